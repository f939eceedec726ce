"""Mines submitting from several processes while evaluations and a settlement run, on
PostgreSQL: zero 500s and zero deadlocks (docs/architecture.md states the lock order)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import MINER
from accounts.services import token_issue
from ledger import services as ledger
from ledger.selectors import account_balance
from sonar_ui.models import Campaign, GradientSubmission
from tests.conftest import ROOT, WebServer, _make, skip_or_fail, wait_until
from tests.sonar_ui.conftest import mine_gradient

SUBMITTERS = 4
PER_SUBMITTER = 4


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.worker
@pytest.mark.slow
def test_concurrent_submissions_evaluations_and_a_settlement_never_deadlock_or_fail(
    role_workers, tmp_path, alice, diabetes, launched, api_as
):
    if connection.vendor != "postgresql":
        skip_or_fail("the lock-order test needs PostgreSQL (set DATABASE_URL)")
    web = WebServer(tmp_path / "web.log")
    web.start()
    try:
        campaign = launched(alice, diabetes, bounty_minor=100_000, target_accuracy=0.99,
                            hyperparameters={"learning_rate": 0.05})  # fmt: skip
        model = api_as(alice).get(f"/api/campaigns/{campaign['id']}/model/").json()
        X = np.vstack([X for X, _ in diabetes.mines])
        y = np.concatenate([y for _, y in diabetes.mines])
        rng = np.random.default_rng(5)
        batches = []
        for s in range(SUBMITTERS):
            miner = _make(f"miner{s}", [MINER])
            token = token_issue(user=miner).key
            account = ledger.account_wallet_for_user(user=miner).public_id
            jobs = []
            for _ in range(PER_SUBMITTER):
                rows = rng.choice(len(X), size=60, replace=False)
                jobs.append({
                    "url": f"{web.url}/api/campaigns/{campaign['id']}/gradients/",
                    "token": token, "key": str(uuid.uuid4()),
                    "body": {"base_version": 0, "n_samples": 60, "payout_account": account,
                             "gradient": mine_gradient(model, X[rows], y[rows])},
                })  # fmt: skip
            batches.append(jobs)
        deadlocks_before = _deadlocks()

        submitters = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "tests/sonar_ui/concurrent_submitter.py")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in batches
        ]
        for process, jobs in zip(submitters, batches, strict=True):
            process.stdin.write(json.dumps(jobs))
            process.stdin.close()
        # While they submit and the workers evaluate, the owner closes: settlement runs too.
        wait_until(lambda: GradientSubmission.objects.filter(campaign_id=campaign["id"]).count()
                   >= SUBMITTERS * PER_SUBMITTER // 2, "half the submissions",
                   lambda: web.log()[-3000:])  # fmt: skip
        closed = api_as(alice).post(f"/api/campaigns/{campaign['id']}/close/")
        codes = [json.loads(p.stdout.read()) for p in submitters]
        for process in submitters:
            assert process.wait(timeout=60) == 0
        wait_until(lambda: Campaign.objects.get(pk=campaign["id"]).settled_at,
                   "settlement", lambda: role_workers.evaluation.log()[-4000:])  # fmt: skip
        time.sleep(1.5)  # PostgreSQL publishes its statistics counters with a short delay
        deadlocks_after = _deadlocks()
    finally:
        web.stop()

    assert closed.status_code == 200
    statuses = [code for batch in codes for code in batch]
    assert len(statuses) == SUBMITTERS * PER_SUBMITTER
    # Accepted for evaluation, or refused because the campaign had closed: never a 500.
    assert set(statuses) <= {202, 409}, statuses
    assert statuses.count(202) >= SUBMITTERS * PER_SUBMITTER // 2
    assert deadlocks_after == deadlocks_before
    for log in (web.log(), role_workers.evaluation.log(), role_workers.capsule.log()):
        assert "deadlock detected" not in log
        assert "Internal Server Error" not in log
    # Every stored submission was decided exactly once, and the money adds up.
    stored = GradientSubmission.objects.filter(campaign_id=campaign["id"])
    assert stored.count() == statuses.count(202)
    assert set(stored.values_list("status", flat=True)) <= {"accepted", "rejected"}
    settled = Campaign.objects.get(pk=campaign["id"])
    paid = sum(
        account_balance(account=ledger.account_wallet_for_user(user=m))
        for m in {g.submitted_by for g in stored}
    )
    assert paid == settled.spent_minor
    call_command("ledger_verify")
