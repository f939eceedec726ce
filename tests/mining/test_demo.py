"""manage.py demo runs the whole story on a fresh install, and its ledger verifies."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, worker_environment


@pytest.fixture
def demo_home() -> Iterator[Path]:
    """A fresh install's folder; short, because gpg-agent's socket path must fit 108 bytes."""
    home = Path(tempfile.mkdtemp(prefix="demo-"))
    yield home
    for gnupg in ("gnupg", "capsule-gnupg"):
        subprocess.run(
            ["gpgconf", "--homedir", str(home / "var" / gnupg), "--kill", "gpg-agent"],
            capture_output=True, check=False, timeout=30,
        )  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_the_demo_trains_two_campaigns_pays_the_mines_and_its_ledger_verifies(demo_home, db):
    env = {
        **worker_environment(),
        "DATABASE_URL": f"sqlite:///{demo_home / 'demo.sqlite3'}",
        "SONAR_VAR_DIR": str(demo_home / "var"),
        "CELERY_BROKER_URL": "",
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip

    assert manage("migrate", "--noinput").returncode == 0
    started = time.monotonic()
    demo = manage("demo", "--rounds", "5")
    elapsed = time.monotonic() - started

    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    assert "Diabetes progression (demo): accuracy 0.0% →" in out
    assert "Breast cancer diagnosis (demo): accuracy" in out
    assert out.count("final model delivered to demo-scientist") == 2
    for miner in ("demo-miner-1", "demo-miner-2", "demo-miner-3"):
        assert f"{miner}: earned" in out
    assert "Ledger:" in out
    assert "demo-scientist" in out and "sonar-demo-password" in out
    assert elapsed < 120, f"the demo took {elapsed:.0f}s"

    again = manage("demo", "--if-new")
    assert again.returncode == 0
    assert "The demo already ran" in again.stdout
