"""The capsule's secrets live only in capsule processes.

A web server (gunicorn, SONAR_ROLES=web) and an evaluation worker (SONAR_ROLES=evaluation) are
started with no capsule variable at all: no CAPSULE_PASSPHRASE, no CAPSULE_GNUPGHOME, so any
attempt to open the capsule's GPG home fails loudly. A capsule worker (SONAR_ROLES=capsule)
alone gets the passphrase and a GPG home of its own. A whole campaign then runs over HTTP:
launch, three mines' gradients, acceptance, payouts, settlement and delivery.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import requests

from accounts.models import MINER
from accounts.services import token_issue
from ledger import services as ledger
from ledger.selectors import account_balance
from tests.conftest import CAPSULE_VARIABLES, WebServer, WorkerProcess, _make, wait_until
from tests.sonar_ui.conftest import FAST_REDELIVERY, Dataset, diabetes_dataset, mine_gradient


@pytest.fixture(scope="module")
def campaign_data() -> Dataset:
    """The diabetes campaign of tests/sonar_ui (the capsule's tests have their own `diabetes`)."""
    return diabetes_dataset()


@pytest.mark.worker
@pytest.mark.slow
def test_a_whole_campaign_runs_with_the_capsule_secrets_only_in_the_capsule_worker(
    celery_worker, tmp_path, alice, bob, carol, campaign_data
):
    capsule_home = tmp_path / "capsule-home"
    celery_worker.stop()  # the session's all-role worker steps aside
    evaluation = WorkerProcess(
        tmp_path / "evaluation.log", extra_env={**FAST_REDELIVERY, "SONAR_ROLES": "evaluation"},
        queues="evaluation,default", drop_env=CAPSULE_VARIABLES,
    )  # fmt: skip
    capsule = WorkerProcess(
        tmp_path / "capsule.log",
        extra_env={**FAST_REDELIVERY, "SONAR_ROLES": "capsule",
                   "CAPSULE_GNUPGHOME": str(capsule_home),
                   "CAPSULE_PASSPHRASE": "boundary-test-passphrase"},
        queues="capsule",
    )  # fmt: skip
    web = WebServer(tmp_path / "web.log")
    logs = lambda: "\n".join(  # noqa: E731
        f"--- {name}\n{p.log()[-4000:]}" for name, p in
        (("web", web), ("evaluation", evaluation), ("capsule", capsule))
    )  # fmt: skip
    try:
        capsule.start()
        evaluation.start()
        web.start()
        _run_campaign(web.url, logs, alice, [bob, carol, _make("dave", [MINER])], campaign_data)
    finally:
        web.stop()
        evaluation.stop()
        capsule.stop()
        celery_worker.start()

    # Only the capsule worker was given the secrets, and only its home holds the capsule key.
    for env in (web.env, evaluation.environment()):
        assert not set(CAPSULE_VARIABLES) & set(env)
        assert env["SONAR_ROLES"] in ("web", "evaluation")
    assert capsule.environment()["CAPSULE_PASSPHRASE"] == "boundary-test-passphrase"
    assert any(capsule_home.glob("private-keys-v1.d/*.key"))
    # Nothing in the web or evaluation processes tried to reach for a capsule secret.
    for process in (web, evaluation):
        assert "capsule role" not in process.log()
        assert "Traceback" not in process.log(), process.log()[-4000:]
    assert "keys prepared (ok=True)" in capsule.log()


def _run_campaign(url: str, logs, owner, miners, dataset) -> None:
    def client(user) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token_issue(user=user).key}"
        return session

    ledger.deposit(user=owner, amount_minor=200_000, idempotency_key="boundary", memo="test")
    alice = client(owner)
    created = alice.post(f"{url}/api/campaigns/", json={
        "name": "boundary", "input_schema": dataset.input_schema,
        "output_schema": dataset.output_schema, "algorithm": dataset.algorithm,
        "bounty_minor": 100_000, "target_accuracy": 0.99,
        "hyperparameters": {"learning_rate": 0.3},
    })  # fmt: skip
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    upload = alice.post(f"{url}/api/campaigns/{campaign_id}/validation-data/",
                        files={"file": ("val.csv", dataset.validation_csv())})  # fmt: skip
    assert upload.status_code == 201, upload.text + logs()
    launch = alice.post(f"{url}/api/campaigns/{campaign_id}/launch/")
    assert launch.status_code == 202, launch.text
    detail = lambda: alice.get(f"{url}/api/campaigns/{campaign_id}/").json()  # noqa: E731
    wait_until(lambda: detail()["status"] == "open", "the launch", logs)

    X = np.vstack([X for X, _ in dataset.mines])
    y = np.concatenate([y for _, y in dataset.mines])
    verdicts = []
    for i, miner in enumerate(miners):
        session = client(miner)
        model = session.get(f"{url}/api/campaigns/{campaign_id}/model/").json()
        wallet = session.get(f"{url}/api/wallet/").json()
        rows = slice(i, None, len(miners))
        sent = session.post(
            f"{url}/api/campaigns/{campaign_id}/gradients/",
            json={"base_version": model["version"], "n_samples": len(X[rows]),
                  "payout_account": wallet["account"],
                  "gradient": mine_gradient(model, X[rows], y[rows])},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        assert sent.status_code == 202, sent.text
        gradient = f"{url}/api/gradients/{sent.json()['id']}/"
        verdicts.append(wait_until(
            lambda g=gradient, s=session: (b := s.get(g).json())["status"] in
            ("accepted", "rejected") and b, "a verdict", logs,
        ))  # fmt: skip
    accepted = [v for v in verdicts if v["status"] == "accepted"]
    assert accepted, verdicts

    closed = alice.post(f"{url}/api/campaigns/{campaign_id}/close/")
    assert closed.status_code == 200, closed.text
    settled = wait_until(lambda: (d := detail())["settled_at"] and d, "settlement", logs)
    result = alice.get(f"{url}/api/campaigns/{campaign_id}/result/")
    assert result.status_code == 200, result.text
    assert result.content[:2] == b"PK"  # the zip, served by a web process with no capsule secret
    paid = sum(v["payout_minor"] for v in accepted)
    assert settled["spent_minor"] == paid
    assert (
        sum(account_balance(account=ledger.account_wallet_for_user(user=m)) for m in miners) == paid
    )
