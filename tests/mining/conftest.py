"""A real Sonar on 127.0.0.1 with an open campaign, bob's mine holding a slice of its data,
and transports that record or disturb what the mining process sends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from django.contrib.auth.models import User

from accounts.services import token_issue
from mine_ui.management.commands.demo import DemoTask, demo_tasks
from mine_ui.models import Dataset, Mine
from mine_ui.services import budget_set, dataset_import, mine_create, policy_update
from pysonar import RetryPolicy, SonarClient
from tests.pysonar.conftest import DisturbingAdapter

FAST_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02)


@dataclass
class Platform:
    """Sonar served on 127.0.0.1, alice's client, and a campaign task's data."""

    url: str
    alice: SonarClient
    task: DemoTask


def client_for(url: str, user: User, **options) -> SonarClient:
    """A pysonar client authenticated with the person's real token."""
    options.setdefault("allow_insecure_keys", True)
    return SonarClient(url, token=token_issue(user=user).key, **options)


@pytest.fixture(scope="session")
def diabetes_task() -> DemoTask:
    """The demo's diabetes campaign: standardized data, a validation share, three slices."""
    return demo_tasks()[0]


@pytest.fixture
def platform(live_server, alice, diabetes_task) -> Platform:
    """Alice, with demo credit, on a live Sonar."""
    sonar = client_for(live_server.url, alice)
    sonar.wallet_deposit(500_000, idempotency_key=f"credit-{uuid.uuid4()}")
    return Platform(url=live_server.url, alice=sonar, task=diabetes_task)


def launch(platform: Platform, **changes) -> dict:
    """Create, feed and launch a campaign of the platform's task through the API."""
    task = platform.task
    fields = {
        "name": "diabetes",
        "description": "progression after a year",
        "input_schema": task.input_schema,
        "output_schema": task.output_schema,
        "algorithm": task.algorithm,
        "hyperparameters": {"learning_rate": task.learning_rate, "fit_intercept": True},
        "bounty_minor": 100_000,
        "target_accuracy": 0.9,
    }
    fields.update(changes)
    campaign = platform.alice.campaign_create(**fields)
    platform.alice.validation_data_upload(campaign["id"], task.validation_csv)
    return platform.alice.campaign_launch(campaign["id"])


@pytest.fixture
def open_campaign(platform) -> dict:
    """An open linear-regression campaign on the diabetes data, at version 0."""
    return launch(platform)


@pytest.fixture
def bob_mine(platform, bob) -> Mine:
    """Bob's mine: his wallet for payouts, automatic participation, exact gradients."""
    wallet = client_for(platform.url, bob).wallet()
    mine = mine_create(owner=bob, name="bob's clinic", payout_account=wallet["account"])
    policy_update(mine=mine, auto_participate=True)
    budget_set(mine=mine, epsilon_per_contribution=0, delta_per_contribution=0)
    return mine


@pytest.fixture
def bob_dataset(bob_mine, diabetes_task) -> Dataset:
    """Bob's slice of the diabetes rows, imported through the CSV adapter."""
    return dataset_import(
        mine=bob_mine,
        name="patients",
        source=diabetes_task.mine_csvs[0],
        adapter="csv",
        schema=diabetes_task.input_schema,
        output=diabetes_task.output_schema,
    )


@pytest.fixture
def wire() -> DisturbingAdapter:
    """The transport of bob's mining client: it records, and disturbs on request."""
    return DisturbingAdapter()


@pytest.fixture
def bob_client(platform, bob, wire) -> SonarClient:
    """Bob's mining client, through that transport."""
    session = requests.Session()
    session.mount("http://", wire)
    return client_for(platform.url, bob, session=session, retry=FAST_RETRY)


@pytest.fixture
def make_idle_mine() -> Callable[[User], Mine]:
    """A mine whose owner has not turned automatic participation on (the default)."""

    def make(owner: User) -> Mine:
        return mine_create(owner=owner, name="idle", payout_account=f"acct_{owner.username}")

    return make
