"""Mines of the personas and an open campaign as a Sonar API would describe it."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from mine_ui import remote
from mine_ui.models import Dataset, Mine
from mine_ui.services import dataset_import, mine_create, policy_update
from pysonar import SonarUnavailable

INPUT_SCHEMA = [
    {"name": "age", "type": "int"},
    {"name": "bmi", "type": "float"},
    {"name": "region", "type": "category", "categories": ["north", "south"]},
]
OUTPUT_SCHEMA = [{"name": "diabetic", "type": "bool"}]
CSV = b"age,bmi,region,diabetic\n31,22.5,north,false\n45,30.1,south,true\n52,27.0,north,true\n"


# A public address standing in for the remote Sonar these tests name (no DNS in CI).
REMOTE_SONAR_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def remote_sonar_allowed(settings, monkeypatch):
    """The operator allows sonar.example.org, and it resolves to a public address."""
    settings.MINE_SONAR_ALLOWED_HOSTS = ["sonar.example.org"]
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "sonar.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (REMOTE_SONAR_ADDRESS, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("mine_ui.sonar_address.socket.getaddrinfo", getaddrinfo)


def open_campaign(**changes: object) -> dict:
    """The public JSON of an open campaign, as GET /api/campaigns/?status=open returns it."""
    campaign = {
        "id": 7,
        "name": "diabetes",
        "input_schema": INPUT_SCHEMA,
        "output_schema": OUTPUT_SCHEMA,
        "algorithm": "logistic_regression",
        "bounty_minor": 100_000,
        "target_accuracy": 0.9,
        "best_accuracy": 0.6,
        "current_version": 3,
        "public_key": {"n": "0x1234"},
        "status": "open",
        "min_other_accepted": 0,
    }
    campaign.update(changes)
    return campaign


@pytest.fixture
def make_mine() -> Callable[..., Mine]:
    """Create a mine for a person through the service, as the Mine page does."""

    def make(owner: User, name: str = "home", **kwargs: object) -> Mine:
        return mine_create(
            owner=owner, name=name, payout_account=f"acct_{owner.username}", **kwargs
        )

    return make


@pytest.fixture
def bob_mine(bob, make_mine) -> Mine:
    """Bob's mine, with automatic participation on."""
    mine = make_mine(bob, "bob's clinic")
    policy_update(mine=mine, auto_participate=True)
    return mine


@pytest.fixture
def bob_dataset(bob_mine) -> Dataset:
    """Three labeled rows in bob's mine, matching open_campaign()'s schemas."""
    return dataset_import(
        mine=bob_mine,
        name="patients",
        source=CSV,
        adapter="csv",
        schema=INPUT_SCHEMA,
        output=OUTPUT_SCHEMA,
    )


class FakeSonar:
    """What the pages ask a Sonar: open campaigns and the person's wallet."""

    base_url = "http://sonar.test/"

    def __init__(self) -> None:
        self.campaigns = [open_campaign(), open_campaign(id=9, name="wine", bounty_minor=50)]
        self.account = "acct_bobs_wallet"
        self.down = False

    def campaigns_open(self) -> list[dict]:
        if self.down:
            raise SonarUnavailable("Connection refused.")
        return self.campaigns

    def wallet(self) -> dict:
        if self.down:
            raise SonarUnavailable("Connection refused.")
        return {"account": self.account, "balance_minor": 0}


@pytest.fixture
def sonar(monkeypatch) -> FakeSonar:
    """This platform's API as the Mine pages see it (the browser tests use the real one)."""
    fake = FakeSonar()
    monkeypatch.setattr(remote, "sonar_client", lambda **kwargs: fake)
    return fake
