"""Failed sign-ins are counted per address and per username, across processes and doors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from accounts.login_throttle import client_address, login_throttle_blocked
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def strict_throttle(settings, tmp_path):
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    # A cache of this test's own, in files as on a laptop: no other test or process of the
    # session shares it (its var directory is what a second process is pointed at below).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    cache.clear()
    yield
    cache.clear()


def _page_login(client, path, username, password, address="203.0.113.9", **extra):
    return client.post(
        path, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def _api_login(api, username, password, address="203.0.113.9", **extra):
    return api.post(
        "/api/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **extra,
    )


def test_the_login_page_refuses_the_right_password_after_three_wrong_ones(client, alice):
    for _ in range(3):
        assert _page_login(client, "/accounts/login/", "alice", "wrong").status_code == 200
    response = _page_login(client, "/accounts/login/", "alice", PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert response["Retry-After"] == str(django_settings.LOGIN_FAILURE_WINDOW_S)
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_throttled_too(client, operator):
    for _ in range(3):
        assert _page_login(client, "/admin/login/", "operator", "wrong").status_code == 200
    response = _page_login(client, "/admin/login/", "operator", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_is_throttled_in_the_error_shape(api, alice):
    for _ in range(3):
        assert _api_login(api, "alice", "wrong").status_code == 401
    response = _api_login(api, "alice", PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert "Too many failed sign-ins" in response.json()["detail"]
    assert not Token.objects.filter(user=alice).exists()


def test_a_username_is_protected_whatever_address_the_guesses_come_from(api, alice):
    for index in range(3):
        _api_login(api, "alice", "wrong", address=f"198.51.100.{index}")
    assert _api_login(api, "alice", PASSWORD, address="192.0.2.77").status_code == 429


def test_rotating_x_forwarded_for_does_not_escape_the_address_count(api, alice, bob, carol):
    # Different usernames so only the per-address count can stop the fifth... and sixth try.
    for index, name in enumerate(["alice", "bob", "carol", "alice", "bob"]):
        forged = f"10.9.{index}.1"
        assert _api_login(api, name, "wrong", HTTP_X_FORWARDED_FOR=forged).status_code == 401
    response = _api_login(api, "carol", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.99.1")
    assert response.status_code == 429


def test_a_successful_sign_in_is_not_counted(api, alice):
    for _ in range(5):
        assert _api_login(api, "alice", PASSWORD).status_code == 200
    assert not login_throttle_blocked(address="203.0.113.9", username="alice")


def test_the_client_address_ignores_x_forwarded_for_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "10.0.0.2"


def test_with_one_trusted_proxy_only_the_address_it_wrote_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    assert client_address(request) == "198.51.100.7"


def test_the_counts_are_shared_with_other_processes(alice, tmp_path):
    # Another web process (here: a fresh interpreter on the same settings) records failures...
    script = (
        "import django; django.setup()\n"
        "from accounts.login_throttle import login_failure_record\n"
        "for _ in range(3): login_failure_record(address='192.0.2.1', username='alice')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "openmined.settings_test",
        "SONAR_VAR_DIR": str(tmp_path),  # its cache: tmp_path / "cache", as in this process
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # ...and this one refuses the next attempt for that username.
    assert login_throttle_blocked(address="192.0.2.2", username="alice")
