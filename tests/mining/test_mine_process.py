"""A mine in its own process, with its own database and files, mines a campaign over HTTP."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sonar_ui.models import GradientSubmission
from tests.conftest import ROOT, worker_environment
from tests.mining.conftest import client_for

SETUP_MINE = """
from accounts.services import user_signup
from mine_ui.services import budget_set, dataset_import, mine_create, policy_update
owner = user_signup(username="bob", email="bob@example.org", password="a long local password",
                    roles=["miner"])
mine = mine_create(owner=owner, name="basement", payout_account={account!r})
policy_update(mine=mine, auto_participate=True)
budget_set(mine=mine, epsilon_per_contribution=0, delta_per_contribution=0)
dataset_import(mine=mine, name="patients", source={csv!r}, adapter="csv",
               schema={schema!r}, output={output!r})
"""


def _manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _mine_env(folder: Path) -> dict[str, str]:
    """A mine's own settings: its database and files in `folder`, no broker."""
    return {
        **worker_environment(),
        "DATABASE_URL": f"sqlite:///{folder / 'mine.sqlite3'}",
        "SONAR_VAR_DIR": str(folder / "mine-var"),
        "CELERY_BROKER_URL": "",
    }


@pytest.fixture(scope="module")
def migrated_mine_database(tmp_path_factory) -> Path:
    """An empty, migrated mine database, made once and copied by each test."""
    folder = tmp_path_factory.mktemp("mine-template")
    migrated = _manage(_mine_env(folder), "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    return folder / "mine.sqlite3"


@pytest.fixture
def mine_env(migrated_mine_database, tmp_path) -> dict[str, str]:
    """Settings of a fresh mine installation in tmp_path."""
    shutil.copy(migrated_mine_database, tmp_path / "mine.sqlite3")
    return _mine_env(tmp_path)


@pytest.mark.slow
def test_a_mine_in_its_own_process_and_database_mines_a_campaign_end_to_end(
    platform, open_campaign, bob, mine_env, tmp_path
):
    bob_sonar = client_for(platform.url, bob)
    csv_path = tmp_path / "patients.csv"
    csv_path.write_bytes(platform.task.mine_csvs[1])
    setup = SETUP_MINE.format(
        account=bob_sonar.wallet()["account"],
        csv=str(csv_path),
        schema=platform.task.input_schema,
        output=platform.task.output_schema,
    )
    made = _manage(mine_env, "shell", "-c", setup)
    assert made.returncode == 0, made.stderr

    run = _manage(
        mine_env, "mine_run", "--mine", "basement", "--sonar-url", platform.url,
        "--token", bob_sonar.token, "--once",
    )  # fmt: skip

    assert run.returncode == 0, run.stdout + run.stderr
    assert "Mine 'basement': 1 accepted." in run.stdout
    with sqlite3.connect(tmp_path / "mine.sqlite3") as db:
        rows = db.execute(
            "SELECT status, submission_id, earnings_minor, idempotency_key, model_version "
            "FROM mine_ui_contribution WHERE status != 'skipped'"
        ).fetchall()
    [(status, submission_id, earnings, key, version)] = rows
    submission = GradientSubmission.objects.get(pk=submission_id)
    assert (status, version) == ("accepted", 0)
    assert submission.status == "accepted"
    assert submission.idempotency_key == key
    assert submission.payout_minor == earnings > 0
    # The platform's database never held the mine's rows: it has no mine at all.
    from mine_ui.models import Dataset

    assert not Dataset.objects.exists()


@pytest.fixture
def bare_mine_env(mine_env) -> dict[str, str]:
    """A mine installation holding one mine, 'basement', with no data yet."""
    made = _manage(
        mine_env, "shell", "-c",
        "from accounts.services import user_signup\n"
        "from mine_ui.services import mine_create\n"
        "u = user_signup(username='bob', email='b@example.org', password='a long local password',"
        " roles=['miner'])\n"
        "mine_create(owner=u, name='basement', payout_account='acct_x')\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return mine_env


UNREACHABLE = ["--sonar-url", "http://127.0.0.1:9", "--token", "whatever"]


@pytest.mark.slow
def test_a_mine_process_facing_an_unreachable_sonar_says_so_and_exits_without_a_traceback(
    bare_mine_env,
):
    run = _manage(bare_mine_env, "mine_run", "--mine", "basement", *UNREACHABLE, "--once")

    assert run.returncode == 1
    assert "Sonar is unreachable" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_a_running_mine_keeps_trying_an_unreachable_sonar_and_stops_cleanly_on_ctrl_c(
    bare_mine_env,
):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "mine_run", "--mine", "basement", *UNREACHABLE,
         "--interval", "0.2"],
        cwd=ROOT, env=bare_mine_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        unreachable = 0
        deadline = time.monotonic() + 60
        while unreachable < 2 and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line, "mine_run exited instead of waiting for Sonar"
            unreachable += "Sonar is unreachable" in line
        assert unreachable == 2
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Next attempt in" in out
    assert "Stopped; pending gradients are resent on the next start." in out
    assert "Traceback" not in err
