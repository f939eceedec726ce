"""Each kind of worker SIGKILLed at each step of an evaluation: after a restart the gradient
is evaluated once and paid once, and the chain stays valid."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from sonar_ui.models import GradientSubmission, Payout
from tests.conftest import wait_until
from tests.sonar_ui.conftest import entries_of


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.parametrize(
    ("role_workers", "victim"),
    [("advance", "evaluation"), ("score", "capsule"), ("decide", "evaluation")],
    indirect=["role_workers"],
    ids=["evaluation-worker-in-advance", "capsule-worker-in-score", "evaluation-worker-in-decide"],
)
def test_a_gradient_whose_worker_died_is_evaluated_and_paid_exactly_once(
    alice, bob, diabetes, launched, submit, role_workers, victim, request
):
    step = request.node.callspec.params["role_workers"]
    worker = getattr(role_workers, victim)
    campaign = launched(alice, diabetes, hyperparameters={"learning_rate": 0.3})
    X, y = diabetes.mines[0]
    sent = submit(bob, campaign["id"], X, y).json()

    # The victim logs when it starts holding the step (fault injection); kill it in there.
    wait_until(lambda: f"in step {step}" in worker.log(), f"the {step} step", worker.log)
    time.sleep(0.3)
    worker.kill()
    row = GradientSubmission.objects.get(pk=sent["id"])
    assert row.status in ("pending", "evaluating")
    assert not Payout.objects.exists()

    worker.start()  # the broker redelivers the unacknowledged task
    wait_until(
        lambda: GradientSubmission.objects.get(pk=sent["id"]).status in ("accepted", "rejected"),
        "the verdict",
        lambda: role_workers.evaluation.log() + role_workers.capsule.log(),
    )

    row = GradientSubmission.objects.get(pk=sent["id"])
    assert row.status == "accepted", row.reason
    assert Payout.objects.filter(gradient=row).count() == 1
    assert len(entries_of("gradient.accepted", gradient=row.id)) == 1
    assert len(entries_of("payout.accrued", gradient=row.id)) == 1
    call_command("ledger_verify")
