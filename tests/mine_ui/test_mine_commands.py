"""The mine's command line: mine_init, mine_policy, mine_status, and each one's mistakes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mine_ui.models import Dataset, Mine, MinePolicy, PrivacyBudget
from tests.conftest import ROOT, worker_environment
from tests.mine_ui.conftest import CSV, INPUT_SCHEMA, OUTPUT_SCHEMA

UNREACHABLE = "http://127.0.0.1:9"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


# --- mine_policy --------------------------------------------------------------------------------


def test_mine_policy_shows_the_policy_and_the_default_budget(bob_mine):
    shown = run("mine_policy", "--mine", bob_mine.name)
    assert "state:                      participating automatically" in shown
    assert "privacy budget:             ε 0 spent of 10, δ 0 of 0.00001" in shown
    assert "each contribution spends:   ε 3, δ 0.000001" in shown


def test_mine_policy_sets_policy_and_budget_together(bob_mine):
    shown = run(
        "mine_policy", "--mine", bob_mine.name, "--pause", "--min-bounty", "12.50",
        "--max-contributions", "3", "--allow-campaign", "7", "--allow-campaign", "9",
        "--epsilon-total", "20", "--epsilon-per-contribution", "0.5",
    )  # fmt: skip
    policy = MinePolicy.objects.get(mine=bob_mine)
    budget = PrivacyBudget.objects.get(mine=bob_mine)
    assert (policy.paused, policy.min_bounty_minor, policy.max_contributions_per_campaign) == (
        True, 1250, 3,
    )  # fmt: skip
    assert policy.allowed_campaign_ids == [7, 9]
    assert (budget.epsilon_total, budget.epsilon_per_contribution) == (Decimal(20), Decimal("0.5"))
    assert "Policy of 'bob's clinic' saved." in shown
    assert "state:                      paused" in shown


def test_a_bad_budget_changes_neither_budget_nor_policy(bob_mine):
    message = fails(
        "mine_policy", "--mine", bob_mine.name, "--auto-participate", "off",
        "--epsilon-total", "1000",
    )  # fmt: skip
    assert (
        message == "An ε total above 100 protects nothing; choose at most 100. Nothing was changed."
    )
    assert MinePolicy.objects.get(mine=bob_mine).auto_participate is True
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_total == Decimal(10)


def test_a_malformed_option_is_refused_by_the_parser(bob_mine):
    message = fails("mine_policy", "--mine", bob_mine.name, "--min-bounty", "12.345")
    assert "--min-bounty: invalid amount like 12.50 value: '12.345'" in message
    message = fails("mine_policy", "--mine", bob_mine.name, "--auto-participate", "maybe")
    assert "invalid on or off value: 'maybe'" in message


def test_an_unknown_mine_is_named_with_the_ones_that_exist(bob_mine):
    message = fails("mine_policy", "--mine", "cellar")
    assert message.startswith("No mine named 'cellar'; create it with `python manage.py mine_init")
    assert "This database has: bob's clinic." in message


# --- mine_init ----------------------------------------------------------------------------------


def test_mine_init_without_a_token_says_where_to_get_one(db, monkeypatch):
    monkeypatch.delenv("SONAR_TOKEN", raising=False)
    message = fails("mine_init", "--mine", "home", "--sonar-url", "https://sonar.example.org")
    assert message.startswith("No API token: pass --token-file FILE or set $SONAR_TOKEN")
    assert not Mine.objects.exists()


def test_mine_init_facing_an_unreachable_sonar_creates_nothing(db, monkeypatch):
    monkeypatch.setenv("SONAR_TOKEN", "whatever")
    message = fails("mine_init", "--mine", "home", "--sonar-url", UNREACHABLE)
    assert message.startswith(f"Cannot reach Sonar at {UNREACHABLE}:")
    assert message.endswith(
        "Check the address (--sonar-url) and that Sonar is up; nothing was changed."
    )
    assert not Mine.objects.exists()


def test_mine_init_reads_the_token_file_and_names_a_missing_one(db, tmp_path):
    message = fails(
        "mine_init", "--mine", "home", "--sonar-url", UNREACHABLE,
        "--token-file", str(tmp_path / "nope"),
    )  # fmt: skip
    assert message == f"Cannot read the token file {tmp_path / 'nope'}: No such file or directory."
    (tmp_path / "empty").write_text("\n")
    message = fails(
        "mine_init", "--mine", "home", "--sonar-url", UNREACHABLE,
        "--token-file", str(tmp_path / "empty"),
    )  # fmt: skip
    assert message == f"The token file {tmp_path / 'empty'} is empty."


@pytest.mark.slow
def test_mine_init_with_a_refused_token_creates_nothing(live_server, monkeypatch, bob):
    monkeypatch.setenv("SONAR_TOKEN", "not-a-token")
    message = fails("mine_init", "--mine", "home", "--sonar-url", live_server.url)
    assert message.startswith(f"Sonar at {live_server.url} refused the token:")
    assert not Mine.objects.exists()


# --- mine_status --------------------------------------------------------------------------------


def test_mine_status_facing_an_unreachable_sonar_says_so(bob_mine):
    message = fails(
        "mine_status", "--mine", bob_mine.name, "--sonar-url", UNREACHABLE, "--token", "x"
    )
    assert message.startswith(f"Cannot reach Sonar at {UNREACHABLE}:")


# --- a mine's own process -----------------------------------------------------------------------


def _manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **worker_environment(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "SONAR_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "",
        **env,
    }
    environment.pop("CAPSULE_PASSPHRASE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["mine_policy", "mine_import", "mine_status", "mine_run"])
def test_on_a_fresh_database_each_command_says_to_run_mine_init(tmp_path, command):
    extra = [str(tmp_path / "rows.csv")] if command == "mine_import" else []
    done = _manage(tmp_path, command, "--mine", "home", *extra)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "This database has no mines yet (its tables do not exist)." in done.stderr
    assert "mine_init" in done.stderr


def test_a_mine_process_needs_no_capsule_passphrase_with_debug_off(tmp_path):
    production = {
        "DEBUG": "False",
        "SECRET_KEY": "a-long-secret-for-this-test-only-0123456789",
        "PAILLIER_KEY_BITS": "2048",
        "PAILLIER_ALLOW_INSECURE_KEYS": "False",
    }
    done = _manage(tmp_path, "mine_run", "--mine", "home", "--once", **production)
    assert "CAPSULE_PASSPHRASE" not in done.stderr
    assert "This database has no mines yet" in done.stderr
    # The platform itself still demands it.
    done = _manage(tmp_path, "check", **production)
    assert done.returncode != 0
    assert "CAPSULE_PASSPHRASE is not set" in done.stderr


def test_every_mine_command_explains_itself_with_help(tmp_path):
    for command in ("mine_init", "mine_policy", "mine_import", "mine_status", "mine_run"):
        done = _manage(tmp_path, command, "--help")
        assert done.returncode == 0, done.stderr
        assert "--mine" in done.stdout


def test_mine_import_lists_every_bad_row_not_only_the_first(bob_mine, tmp_path):
    (tmp_path / "rows.csv").write_bytes(CSV + b"x,1,north,true\n2,fat,west,true\n9,1\n")
    (tmp_path / "in.json").write_text(json.dumps(INPUT_SCHEMA))
    (tmp_path / "out.json").write_text(json.dumps(OUTPUT_SCHEMA))
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "mine_import", str(tmp_path / "rows.csv"), "--mine", bob_mine.name,
            "--schema", str(tmp_path / "in.json"), "--output-schema", str(tmp_path / "out.json"),
            stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert str(caught.value) == (
        "Nothing was imported: Line 5, field 'age': expected an integer, got 'x'. "
        "And 3 more problems, 4 in all on 3 lines."
    )
    table = err.getvalue().splitlines()
    assert table[0].split() == ["line", "column", "value", "reason"]
    assert [row.split()[:3] for row in table[1:]] == [
        ["5", "age", "x"], ["6", "bmi", "fat"], ["6", "region", "west"], ["7", "-", "9,1"],
    ]  # fmt: skip
    assert not Dataset.objects.exists()
