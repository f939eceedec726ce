"""bandit finds nothing in the platform's code; each exception is explained where it is made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "openmined", "accounts", "ledger", "capsule", "sonar_ui", "mine_ui", "stats", "syft",
    "pysonar", "adapters",
]  # fmt: skip


def test_bandit_reports_no_issue():
    completed = subprocess.run(
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-q", "-r", *APPS],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
