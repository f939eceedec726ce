"""Ledger fixtures: the platform key (made once per session), funded wallets, and a way to
tamper with the tables the way only a database superuser could."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import connection, transaction

from ledger import services
from ledger.models import Account
from ledger.signing import platform_key_fingerprint

LEDGER_TABLES = (
    "ledger_entry",
    "ledger_transfer",
    "ledger_checkpoint",
    "ledger_account",
    "ledger_head",
)

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (set DATABASE_URL=postgres://...); CI runs it there",
)


@pytest.fixture(scope="session")
def platform_key(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The platform's Ed25519 signing key, generated once per test session."""
    with django_db_blocker.unblock():
        fingerprint = platform_key_fingerprint()
    assert fingerprint
    yield fingerprint
    # Signing started a gpg-agent for this home; do not leave it running.
    subprocess.run(
        ["gpgconf", "--homedir", str(settings.GNUPGHOME), "--kill", "gpg-agent"],
        capture_output=True,
    )


def key() -> str:
    """A fresh idempotency key."""
    return f"test-{uuid.uuid4()}"


@pytest.fixture
def fund(db) -> Callable[..., Account]:
    """Put money in a person's wallet through a real deposit; returns the wallet."""

    def make(user, amount_minor: int) -> Account:
        services.deposit(user=user, amount_minor=amount_minor, idempotency_key=key(), memo="test")
        return services.account_wallet_for_user(user=user)

    return make


def append(kind: str = "gradient.submitted", payload: dict | None = None, **kwargs):
    """One entry in its own transaction, as a business write would make it."""
    with transaction.atomic():
        return services.ledger_append(kind=kind, payload=payload or {"n": 1}, **kwargs)


@contextlib.contextmanager
def triggers_off() -> Iterator[None]:
    """Switch off the append-only triggers, as a superuser could, for tampering tests.

    Inside the test's transaction, so the rollback at the end of the test restores them.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred; ALTER TABLE needs their checks run first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in LEDGER_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            yield
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in LEDGER_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            saved = [row for row in cursor.fetchall() if row[0].startswith("ledger_")]
            for name, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            for _name, sql in saved:
                cursor.execute(sql)


def sql(statement: str, params: list | None = None) -> None:
    """Raw SQL; without params the text goes as is (a % in it is not a placeholder)."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
