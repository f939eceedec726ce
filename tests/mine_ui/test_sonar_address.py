"""A hosted mine calls only this platform or an allowed public Sonar, and follows no redirect."""

from __future__ import annotations

import socket

import pytest
import requests
from django.core.exceptions import ValidationError

from mine_ui.models import Mine
from mine_ui.services import mine_create
from mine_ui.tasks import mine_train_task
from pysonar import SonarClient, SonarError


def _create(owner, url: str) -> Mine:
    return mine_create(owner=owner, name="m", payout_account="acct_1", sonar_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:6379",
        "http://10.0.0.1:5432",
        "http://127.0.0.1:8001",
        "https://attacker.example.net",
    ],
)
def test_an_address_that_is_not_this_platform_or_allowed_is_refused(bob, url):
    with pytest.raises(ValidationError, match="not a Sonar this platform may call"):
        _create(bob, url)
    assert not Mine.objects.filter(owner=bob).exists()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("169.254.169.254", "http://169.254.169.254/latest/meta-data/"),
        ("localhost", "http://localhost:6379"),
        ("10.0.0.1", "http://10.0.0.1:5432"),
        ("::1", "http://[::1]:8080"),
    ],
)
def test_even_an_allowed_host_may_not_be_a_private_address(bob, settings, host, url):
    settings.MINE_SONAR_ALLOWED_HOSTS = [host]
    with pytest.raises(ValidationError, match="private, loopback, link-local or reserved"):
        _create(bob, url)
    assert not Mine.objects.filter(owner=bob).exists()


def test_an_allowed_name_that_resolves_to_loopback_is_refused(bob, settings, monkeypatch):
    settings.MINE_SONAR_ALLOWED_HOSTS = ["sonar.evil.example"]

    def resolves_to_loopback(host, port, *args, **kwargs):
        # Public first, loopback second: every address is checked, not only the first.
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr("mine_ui.sonar_address.socket.getaddrinfo", resolves_to_loopback)
    with pytest.raises(ValidationError, match=r"resolves to 127\.0\.0\.1"):
        _create(bob, "https://sonar.evil.example")


def test_this_platform_and_an_allowed_public_sonar_are_accepted(bob, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert _create(bob, "http://127.0.0.1:8000/").sonar_url == "http://127.0.0.1:8000"
    mine = mine_create(
        owner=bob, name="remote", payout_account="acct_1", sonar_url="https://sonar.example.org"
    )
    assert mine.sonar_url == "https://sonar.example.org"


def test_credentials_in_the_address_are_refused(bob, settings):
    settings.MINE_SONAR_ALLOWED_HOSTS = ["sonar.example.org"]
    with pytest.raises(ValidationError, match="no user name or password"):
        _create(bob, "https://me:secret@sonar.example.org")


def test_the_create_page_shows_the_refusal(client, bob):
    client.force_login(bob)
    response = client.post(
        "/mine/new/",
        {"name": "m", "payout_account": "acct_1", "sonar_url": "http://169.254.169.254/"},
    )
    assert response.status_code == 400
    assert "not a Sonar this platform may call" in response.content.decode()
    assert not Mine.objects.filter(owner=bob).exists()


def test_a_saved_address_the_operator_no_longer_allows_is_not_called(bob, settings, monkeypatch):
    mine = mine_create(
        owner=bob, name="remote", payout_account="acct_1", sonar_url="https://sonar.example.org",
        api_token="tok",
    )  # fmt: skip
    settings.MINE_SONAR_ALLOWED_HOSTS = []
    called = []
    monkeypatch.setattr("mine_ui.tasks.mining_client", lambda **kwargs: called.append(kwargs))
    assert mine_train_task(mine.id) == 0
    assert called == []


class _Redirecting(requests.Session):
    """A server answering every request with a redirect to the cloud metadata address."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, dict]] = []

    def request(self, method, url, **kwargs):
        self.sent.append((url, kwargs))
        response = requests.Response()
        response.status_code = 302
        response.headers["Location"] = "http://169.254.169.254/latest/meta-data/"
        response.url = url
        response.request = requests.Request(method, url).prepare()
        return response


def test_the_client_follows_no_redirect():
    session = _Redirecting()
    client = SonarClient("https://sonar.example.org", token="tok", session=session)
    with pytest.raises(SonarError, match=r"redirect to 'http://169\.254\.169\.254") as caught:
        client.me()
    assert caught.value.status == 302
    assert [kwargs["allow_redirects"] for _, kwargs in session.sent] == [False]
