"""manage.py mine_policy: show, and change, what a mine may join and its privacy budget."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from mine_ui.management.mine_command import MineCommand
from mine_ui.models import Mine
from mine_ui.policy import money
from mine_ui.selectors import mine_budget, mine_policy
from mine_ui.services import budget_set, policy_update

ON_OFF = {"on": True, "off": False, "yes": True, "no": False, "true": True, "false": False}


def _on_off(text: str) -> bool:
    try:
        return ON_OFF[text.strip().lower()]
    except KeyError:
        raise ValueError(text) from None


def _money_minor(text: str) -> int:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(amount * 100)


_on_off.__name__ = "on or off"
_money_minor.__name__ = "amount like 12.50"


class Command(MineCommand):
    help = (
        "Show a mine's policy and privacy budget; with options, change them first (all or "
        "nothing). The privacy budget is differential privacy: each contribution spends ε "
        "(default 1) of a total (default 10); smaller ε means more noise in the gradient, more "
        "privacy for your rows and less accuracy for the campaign. 0 sends exact gradients."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_mine_arguments(parser)
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--pause", action="store_true", help="Join nothing until resumed.")
        state.add_argument("--resume", action="store_true", help="Undo --pause.")
        parser.add_argument(
            "--auto-participate",
            type=_on_off,
            metavar="on|off",
            help="Join every campaign the policy allows, without asking.",
        )
        parser.add_argument(
            "--min-bounty", type=_money_minor, metavar="AMOUNT", help="Skip smaller bounties."
        )
        parser.add_argument(
            "--max-contributions",
            type=int,
            metavar="N",
            help="At most N gradients per campaign.",
        )
        for flag, what in (
            ("--allow-campaign", "Only these campaigns (ids; repeat the option)."),
            ("--deny-campaign", "Never these campaigns (ids; repeat the option)."),
            ("--allow-schema", "Only these input schema fingerprints (repeat the option)."),
            ("--deny-schema", "Never these input schema fingerprints (repeat the option)."),
        ):
            parser.add_argument(flag, action="append", metavar="VALUE", help=what)
        parser.add_argument(
            "--clear-lists", action="store_true", help="Empty all four allow and deny lists."
        )
        parser.add_argument("--epsilon-total", metavar="ε", help="Total ε the mine may spend.")
        parser.add_argument(
            "--epsilon-per-contribution",
            metavar="ε",
            help="ε each gradient spends (0: exact gradients, no noise).",
        )
        parser.add_argument("--delta-total", metavar="δ", help="Total δ the mine may spend.")
        parser.add_argument("--delta-per-contribution", metavar="δ", help="δ each gradient spends.")

    def handle(self, *args: Any, **options: Any) -> None:
        mine = self.mine_get(options["mine"], options["owner"])
        changes = self._policy_changes(options)
        budget = {
            name: options[name]
            for name in (
                "epsilon_total",
                "epsilon_per_contribution",
                "delta_total",
                "delta_per_contribution",
            )
            if options[name] is not None
        }
        if changes or budget:
            try:
                with transaction.atomic():
                    if changes:
                        policy_update(mine=mine, **changes)
                    if budget:
                        budget_set(mine=mine, **budget)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages) + " Nothing was changed.") from None
            self.stdout.write(self.style.SUCCESS(f"Policy of '{mine.name}' saved."))
        self.stdout.write(policy_text(mine))

    def _policy_changes(self, options: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if options["pause"]:
            changes["paused"] = True
        if options["resume"]:
            changes["paused"] = False
        if options["auto_participate"] is not None:
            changes["auto_participate"] = options["auto_participate"]
        if options["min_bounty"] is not None:
            changes["min_bounty_minor"] = options["min_bounty"]
        if options["max_contributions"] is not None:
            changes["max_contributions_per_campaign"] = options["max_contributions"]
        if options["clear_lists"]:
            for name in (
                "allowed_campaign_ids",
                "denied_campaign_ids",
                "allowed_schema_fingerprints",
                "denied_schema_fingerprints",
            ):
                changes[name] = []
        for option, name in (
            ("allow_campaign", "allowed_campaign_ids"),
            ("deny_campaign", "denied_campaign_ids"),
            ("allow_schema", "allowed_schema_fingerprints"),
            ("deny_schema", "denied_schema_fingerprints"),
        ):
            if options[option]:
                changes[name] = options[option]
        return changes


def policy_text(mine: Mine) -> str:
    """The policy and budget as a person reads them."""
    policy = mine_policy(mine=mine)
    budget = mine_budget(mine=mine)
    state = (
        "paused"
        if policy.paused
        else "participating automatically"
        if policy.auto_participate
        else "automatic participation off"
    )
    per_epsilon = budget.epsilon_per_contribution
    noise = (
        "exact gradients (no noise)"
        if per_epsilon <= 0
        else f"ε {per_epsilon.normalize():f}, δ {budget.delta_per_contribution.normalize():f}"
    )
    lines = [
        f"Mine '{mine.name}' for {mine.sonar_url or 'this platform'}, payouts to "
        f"{mine.payout_account}",
        f"  state:                      {state}",
        f"  minimum bounty:             {money(policy.min_bounty_minor)}",
        f"  contributions per campaign: at most {policy.max_contributions_per_campaign}",
        f"  campaigns allowed:          {_ids(policy.allowed_campaign_ids, 'any')}",
        f"  campaigns denied:           {_ids(policy.denied_campaign_ids, 'none')}",
        f"  input schemas allowed:      {_ids(policy.allowed_schema_fingerprints, 'any')}",
        f"  input schemas denied:       {_ids(policy.denied_schema_fingerprints, 'none')}",
        f"  privacy budget:             ε {budget.epsilon_spent.normalize():f} spent of "
        f"{budget.epsilon_total.normalize():f}, δ {budget.delta_spent.normalize():f} of "
        f"{budget.delta_total.normalize():f}",
        f"  each contribution spends:   {noise}",
    ]
    return "\n".join(lines)


def _ids(values: list, empty: str) -> str:
    return ", ".join(str(value) for value in values) or empty
