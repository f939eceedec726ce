"""Operators run a full ledger check from the admin and read when it last ran and what it found."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ledger.errors import ChainBrokenError
from ledger.models import LedgerCheck
from ledger.tasks import ledger_verify_task
from tests.conftest import PASSWORD
from tests.ledger.conftest import append

pytestmark = pytest.mark.django_db
RUN = reverse("admin:ledger_ledgercheck_run")


def test_the_operator_runs_a_ledger_check_and_its_result_is_recorded(client, operator):
    append(payload={"n": 1})
    client.login(username="operator", password=PASSWORD)
    page = client.post(RUN, follow=True).content.decode()
    assert "Ledger check requested" in page
    check = LedgerCheck.objects.get()
    assert check.ok and check.requested_by == "operator"
    assert "Ledger OK: 1 entries" in check.summary
    assert (
        "Ledger OK" in client.get(reverse("admin:ledger_ledgercheck_changelist")).content.decode()
    )


def test_a_get_runs_nothing(client, operator):
    client.login(username="operator", password=PASSWORD)
    assert client.get(RUN).status_code == 302
    assert not LedgerCheck.objects.exists()


def test_a_broken_ledger_is_recorded_before_the_task_fails(monkeypatch, client, operator):
    def broken(jobs: int):
        raise ChainBrokenError("Entry 3: its hash does not match its contents.", seq=3)

    monkeypatch.setattr("ledger.checks.ledger_verify", broken)
    with pytest.raises(ChainBrokenError):
        ledger_verify_task.apply(kwargs={"requested_by": "schedule"})
    check = LedgerCheck.objects.get()
    assert not check.ok and "Entry 3" in check.summary
    client.login(username="operator", password=PASSWORD)
    page = client.post(RUN, follow=True).content.decode()
    assert "The ledger is BROKEN: Entry 3" in page
    assert LedgerCheck.objects.filter(ok=False).count() == 2


def test_mallory_cannot_run_a_ledger_check(client, mallory):
    client.login(username="mallory", password=PASSWORD)
    assert client.post(RUN).status_code == 302
    assert not LedgerCheck.objects.exists()
