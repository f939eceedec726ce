"""A real Sonar on 127.0.0.1 with an open campaign, bob's mine holding a slice of its data,
and transports that record or disturb what the mining process sends."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from django.contrib.auth.models import User
from requests.adapters import HTTPAdapter

from accounts.services import token_issue
from mine_ui.management.commands.demo import DemoTask, demo_tasks
from mine_ui.models import Dataset, Mine
from mine_ui.services import budget_set, dataset_import, mine_create, policy_update
from pysonar import RetryPolicy, SonarClient

FAST_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02)


@dataclass
class Rule:
    """What to do to the requests matching METHOD and a path pattern, `times` times."""

    method: str
    path: str
    action: str  # "refuse" | "lose_response" | "before" | "tamper"
    times: int = 1
    callback: Callable | None = None


class DisturbingAdapter(HTTPAdapter):
    """The real requests transport, which records every request and can disturb chosen ones.

    "refuse": fail as if Sonar were unreachable (nothing is sent); "lose_response": send, then
    fail as if the connection dropped before the answer; "before": run a callback, then send;
    "tamper": send, then let a callback rewrite the JSON answer (a broken or hostile Sonar).
    """

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[Rule] = []
        self.sent: list[requests.PreparedRequest] = []

    def _rule_for(self, request: requests.PreparedRequest) -> Rule | None:
        path = requests.utils.urlparse(request.url).path
        for rule in self.rules:
            if rule.times > 0 and rule.method == request.method and re.search(rule.path, path):
                rule.times -= 1
                return rule
        return None

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        self.sent.append(request)
        rule = self._rule_for(request)
        if rule is not None and rule.action == "refuse":
            raise requests.ConnectionError("Connection refused (disturbed by the test)")
        if rule is not None and rule.action == "before":
            assert rule.callback is not None
            rule.callback()
        response = super().send(request, *args, **kwargs)
        if rule is not None and rule.action == "lose_response":
            raise requests.ConnectionError("Connection reset before the answer (by the test)")
        if rule is not None and rule.action == "tamper":
            assert rule.callback is not None
            body = rule.callback(response.json())
            response._content = json.dumps(body).encode()
        return response

    def sent_to(self, method: str, path: str) -> list[requests.PreparedRequest]:
        """The requests sent with METHOD to a path matching the pattern."""
        return [
            r
            for r in self.sent
            if r.method == method and re.search(path, requests.utils.urlparse(r.url).path)
        ]


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
def wire(platform, bob) -> DisturbingAdapter:
    """The transport of bob's mining client."""
    return DisturbingAdapter()


@pytest.fixture
def bob_client(platform, bob, wire) -> SonarClient:
    """Bob's mining client, through the recording (and, on request, disturbing) transport."""
    session = requests.Session()
    session.mount("http://", wire)
    return client_for(platform.url, bob, session=session, retry=FAST_RETRY)


@pytest.fixture
def make_idle_mine() -> Callable[[User], Mine]:
    """A mine whose owner has not turned automatic participation on (the default)."""

    def make(owner: User) -> Mine:
        return mine_create(owner=owner, name="idle", payout_account=f"acct_{owner.username}")

    return make
