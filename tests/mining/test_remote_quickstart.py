"""docs/pysonar.md's quickstart, run verbatim: a mine on another machine joins a live campaign."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sonar_ui.models import GradientSubmission
from tests.conftest import ROOT, worker_environment
from tests.mining.conftest import client_for

DOC = ROOT / "docs" / "pysonar.md"


def quickstart_lines() -> list[str]:
    """The commands of the quickstart block, in order (the exports are the test's to set)."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart:.*?-->\s*```sh\n(.*?)```", text, re.S)
    assert block, "docs/pysonar.md lost its quickstart block"
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    exports = [line for line in lines if line.startswith("export ")]
    assert [line.split("=")[0] for line in exports] == [
        "export SONAR_URL", "export SONAR_TOKEN", "export DATABASE_URL", "export CAMPAIGN",
    ]  # fmt: skip
    return [line for line in lines if not line.startswith("export ")]


def test_the_quickstart_names_each_mine_command_once_in_order():
    commands = [line.split()[2] for line in quickstart_lines()]
    assert commands == ["mine_init", "mine_import", "mine_policy", "mine_status", "mine_run"]


@pytest.mark.slow
def test_the_quickstart_run_verbatim_gets_a_gradient_accepted(
    platform, open_campaign, bob, tmp_path
):
    bob_sonar = client_for(platform.url, bob)
    home = tmp_path / "home"
    home.mkdir()
    (home / "rows.csv").write_bytes(platform.task.mine_csvs[1])
    # The commands say `python manage.py` from the mine's checkout; this checkout serves.
    (home / "manage.py").symlink_to(ROOT / "manage.py")
    env = {
        **worker_environment(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SONAR_URL": platform.url,
        "SONAR_TOKEN": bob_sonar.token,
        "DATABASE_URL": f"sqlite:///{home / 'mine.sqlite3'}",
        "CAMPAIGN": str(open_campaign["id"]),
        "SONAR_VAR_DIR": str(home / "var"),
        "CELERY_BROKER_URL": "",
    }
    outputs = []
    for line in quickstart_lines():
        done = subprocess.run(
            ["bash", "-c", line], cwd=home, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout)

    init, imported, policy, status, run = outputs
    wallet = bob_sonar.wallet()["account"]
    assert f"payouts go to {wallet}" in init
    assert "Imported" in imported and "labeled" in imported
    assert "participating automatically" in policy
    assert "each contribution spends:   exact gradients (no noise)" in policy
    assert f"JOINS  campaign {open_campaign['id']} 'diabetes'" in status
    assert "Mine 'home': 1 accepted." in run
    [submission] = GradientSubmission.objects.filter(campaign_id=open_campaign["id"])
    assert (submission.status, submission.payout_account) == ("accepted", wallet)
    assert submission.payout_minor > 0
