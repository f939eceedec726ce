"""A worker killed (SIGKILL) mid-evaluation: after a restart the gradient is evaluated once
and paid once."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from sonar_ui.models import GradientSubmission, Payout
from tests.sonar_ui.conftest import entries_of


@pytest.mark.worker
@pytest.mark.slow
def test_a_gradient_whose_worker_died_is_evaluated_and_paid_exactly_once(
    alice, bob, diabetes, launched, submit, crashing_worker
):
    campaign = launched(alice, diabetes, hyperparameters={"learning_rate": 0.3})
    X, y = diabetes.mines[0]
    sent = submit(bob, campaign["id"], X, y).json()

    # The worker holds the campaign lock for seconds (fault injection); kill it in there.
    deadline = time.monotonic() + 60
    while GradientSubmission.objects.get(pk=sent["id"]).status != "evaluating":
        assert time.monotonic() < deadline, crashing_worker.log()
        time.sleep(0.05)
    time.sleep(0.5)
    crashing_worker.kill()
    assert GradientSubmission.objects.get(pk=sent["id"]).status == "evaluating"
    assert not Payout.objects.exists()

    crashing_worker.start()  # the broker redelivers the unacknowledged task
    deadline = time.monotonic() + 90
    while GradientSubmission.objects.get(pk=sent["id"]).status == "evaluating":
        assert time.monotonic() < deadline, crashing_worker.log()
        time.sleep(0.2)

    row = GradientSubmission.objects.get(pk=sent["id"])
    assert row.status == "accepted"
    assert Payout.objects.filter(gradient=row).count() == 1
    assert len(entries_of("gradient.accepted", gradient=row.id)) == 1
    assert len(entries_of("payout.accrued", gradient=row.id)) == 1
    call_command("ledger_verify")
