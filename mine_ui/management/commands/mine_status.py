"""manage.py mine_status: every open campaign on the mine's Sonar, and whether the mine joins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from mine_ui.management.mine_command import MineCommand, sonar_error_sentence
from mine_ui.policy import Verdict, campaign_verdicts, money
from mine_ui.remote import sonar_client
from pysonar import SonarError


class Command(MineCommand):
    help = (
        "List the open campaigns on the mine's Sonar with this mine's verdict for each (joins, "
        "or why not: paused, policy, schema, budget) and the privacy it would spend there "
        "(ε per contribution, and in all if it joins as often as its policy and budget allow). "
        "Changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_mine_arguments(parser)
        parser.add_argument("--sonar-url", help="Sonar to ask (default: the mine's own setting).")
        parser.add_argument("--token", help="API token (default: the token saved on the mine).")

    def handle(self, *args: Any, **options: Any) -> None:
        mine = self.mine_get(options["mine"], options["owner"])
        sonar_url = options["sonar_url"] or mine.sonar_url
        try:
            client = sonar_client(
                sonar_url=sonar_url, token=options["token"] or mine.api_token, owner=mine.owner
            )
            campaigns = client.campaigns_open()
        except SonarError as exc:
            raise CommandError(sonar_error_sentence(exc, sonar_url)) from None
        verdicts = campaign_verdicts(mine=mine, campaigns=campaigns)
        where = sonar_url or "this platform"
        if not verdicts:
            self.stdout.write(f"No open campaigns on {where} right now.")
            return
        joining = sum(verdict.joins for verdict in verdicts)
        self.stdout.write(
            f"Mine '{mine.name}': {len(verdicts)} open campaign"
            f"{'s' if len(verdicts) != 1 else ''} on {where}, joins {joining}."
        )
        for verdict in verdicts:
            self.stdout.write(verdict_text(verdict))


def verdict_text(verdict: Verdict) -> str:
    """One campaign's verdict in three lines."""
    mark = "JOINS " if verdict.joins else f"WON'T ({verdict.kind})"
    bounty = "" if verdict.bounty_minor is None else f", bounty {money(verdict.bounty_minor)}"
    if verdict.exact:
        cost = "no privacy noise (exact gradients)"
    else:
        cost = (
            f"ε {verdict.epsilon_per_contribution.normalize():f} per contribution, up to ε "
            f"{verdict.epsilon_expected.normalize():f} over {verdict.contributions_left} more"
        )
    return (
        f"- {mark} campaign {verdict.campaign_id} '{verdict.name}'{bounty}\n"
        f"    {verdict.reason}\n"
        f"    privacy: {cost}"
    )
