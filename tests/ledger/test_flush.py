"""`manage.py flush` cannot erase the ledger outside the test suite."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction

from ledger.models import Entry
from tests.ledger.conftest import append, sql

pytestmark = pytest.mark.django_db


def test_an_operators_flush_is_refused_by_the_database(monkeypatch):
    append()
    monkeypatch.delattr(mail, "outbox")  # what outside the test suite looks like
    with pytest.raises(CommandError, match="append-only"), transaction.atomic():
        call_command("flush", interactive=False, stdout=io.StringIO())
    assert Entry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_test_suite_may_flush_and_the_triggers_are_back_afterwards():
    # Transactional tests (a real Celery worker, several processes) flush between tests.
    append()
    append()
    call_command("flush", interactive=False, stdout=io.StringIO())
    assert not Entry.objects.exists()
    entry = append()
    assert entry.seq == 1  # the head started again from the genesis
    with pytest.raises(DatabaseError, match="append-only"):
        sql("DELETE FROM ledger_entry")
    assert Entry.objects.count() == 1
