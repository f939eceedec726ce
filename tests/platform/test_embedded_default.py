"""The README's embedded default: SQLite, eager Celery, files under var/, no services needed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO", "DATABASE_URL", "CELERY_", "PAILLIER_", "DEBUG"))
    }
    env.update(DJANGO_SETTINGS_MODULE="openmined.settings", SONAR_VAR_DIR=str(var_dir))
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_embedded_default_migrates_serves_and_runs_tasks_eagerly(tmp_path):
    env = embedded_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    assert (tmp_path / "sonar.sqlite3").exists()

    eager = subprocess.run(
        [*manage, "shell", "-c", "from openmined.celery import ping; print(ping.delay().get())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert eager.stdout.strip().endswith("pong"), eager.stderr

    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    health = json.loads(r.read())
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert health == {"status": "ok", "checks": {"database": "ok", "broker": "not configured"}}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert "OpenMined Sonar" in r.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
