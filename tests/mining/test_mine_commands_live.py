"""The mine commands that talk to a live Sonar: mine_init's checks and mine_status's verdicts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mine_ui.models import Mine, MinePolicy
from mine_ui.services import budget_set, dataset_import, mine_create, policy_update
from mine_ui.sonar_address import miners_own_command_line
from tests.mining.conftest import client_for


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


@pytest.mark.slow
def test_mine_init_sends_payouts_to_the_tokens_wallet_and_refuses_another(platform, bob, tmp_path):
    sonar = client_for(platform.url, bob)
    wallet = sonar.wallet()["account"]
    token_file = tmp_path / "token"
    token_file.write_text(sonar.token + "\n")
    base = ["mine_init", "--sonar-url", platform.url, "--token-file", str(token_file)]

    message = fails(*base, "--mine", "home", "--payout-account", "acct_someone_else")
    assert message.startswith(
        f"Payout account acct_someone_else is not your wallet on {platform.url}"
    )
    assert not Mine.objects.filter(name="home").exists()

    said = run(*base, "--mine", "home")
    mine = Mine.objects.get(name="home", sonar_url=platform.url)
    assert (mine.payout_account, mine.api_token, mine.owner.username) == (
        wallet,
        sonar.token,
        "bob",
    )
    assert f"Mine 'home' created for {platform.url}; payouts go to {wallet}." in said
    assert MinePolicy.objects.get(mine=mine).auto_participate is False

    message = fails(*base, "--mine", "home")
    assert message.startswith("This database already has a mine named 'home'")


@pytest.mark.slow
def test_mine_status_gives_each_open_campaign_its_verdict_and_cost(platform, open_campaign, bob):
    token = client_for(platform.url, bob).token
    with miners_own_command_line():  # as `mine_init` creates it, on the miner's machine
        mine = mine_create(
            owner=bob, name="cellar", payout_account="acct_x", sonar_url=platform.url,
            api_token=token,
        )  # fmt: skip
    shown = run("mine_status", "--mine", "cellar")
    assert "1 open campaign on" in shown and "joins 0" in shown
    assert f"WON'T (schema) campaign {open_campaign['id']} 'diabetes'" in shown
    assert "privacy: ε 3 per contribution, up to ε 9 over 3 more" in shown

    dataset_import(
        mine=mine, name="rows", source=platform.task.mine_csvs[0], adapter="csv",
        schema=platform.task.input_schema, output=platform.task.output_schema,
    )  # fmt: skip
    policy_update(mine=mine, auto_participate=True, max_contributions_per_campaign=3)
    budget_set(mine=mine, epsilon_total="7.5")
    shown = run("mine_status", "--mine", "cellar")
    assert f"JOINS  campaign {open_campaign['id']} 'diabetes'" in shown
    assert "privacy: ε 3 per contribution, up to ε 6 over 2 more" in shown

    policy_update(mine=mine, paused=True)
    shown = run("mine_status", "--mine", "cellar")
    assert f"WON'T (paused) campaign {open_campaign['id']}" in shown


@pytest.mark.slow
def test_mine_import_from_an_unknown_campaign_says_where_to_look(platform, bob, tmp_path):
    token = client_for(platform.url, bob).token
    with miners_own_command_line():  # as `mine_init` creates it, on the miner's machine
        mine_create(
            owner=bob, name="cellar", payout_account="acct_x", sonar_url=platform.url,
            api_token=token,
        )  # fmt: skip
    rows = tmp_path / "rows.csv"
    rows.write_bytes(platform.task.mine_csvs[0])
    message = fails("mine_import", str(rows), "--mine", "cellar", "--campaign", "999999")
    assert message == (
        "Sonar has no campaign 999999 you can see; `python manage.py mine_status --mine "
        '"cellar"` lists the open ones.'
    )
