"""Settings read from the environment fail loudly and clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_settings(env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    prefixes = ("PYTEST", "DJANGO", "SECRET", "PAILLIER", "SONAR", "DEBUG", "DATABASE", "CELERY")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    clean.update({"DJANGO_SETTINGS_MODULE": "openmined.settings", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "x" * 64 + "-production-secret-for-the-check-deploy-test",
    "CAPSULE_PASSPHRASE": "a capsule passphrase",
    "ALLOWED_HOSTS": "sonar.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://sonar.example.org",
}


def test_production_without_secret_key_fails_with_a_clear_error(tmp_path):
    env = {**PRODUCTION, "SONAR_VAR_DIR": str(tmp_path)}
    del env["SECRET_KEY"]
    result = run_settings(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_malformed_boolean_names_the_variable(tmp_path):
    result = run_settings({"DEBUG": "yes", "SONAR_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "DEBUG must be True or False, not 'yes'" in result.stderr


def test_a_malformed_integer_names_the_variable(tmp_path):
    result = run_settings({"PAILLIER_KEY_BITS": "lots", "SONAR_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "PAILLIER_KEY_BITS must be a whole number" in result.stderr


def test_small_paillier_keys_are_refused_outside_tests(tmp_path):
    result = run_settings({"PAILLIER_KEY_BITS": "1024", "SONAR_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "below 2048 bits" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("y" * 64 + "-from-a-file-for-the-check-deploy-test\n")
    env = {**PRODUCTION, "SONAR_VAR_DIR": str(tmp_path), "SECRET_KEY_FILE": str(secret)}
    del env["SECRET_KEY"]
    result = run_settings(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run_settings(
        {**PRODUCTION, "SONAR_VAR_DIR": str(tmp_path)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
