"""Django's flush, which may empty the append-only ledger tables only while tests run.

Outside tests this is exactly Django's flush, and the ledger's triggers refuse it: an operator's
`manage.py flush` cannot erase the money history. Inside the test suite (Django creates
`django.core.mail.outbox` only there), transactional tests flush between tests, so the
triggers are switched off for that one statement and restored in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import mail
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections, transaction

LEDGER_TABLES = (
    "ledger_entry",
    "ledger_transfer",
    "ledger_checkpoint",
    "ledger_account",
    "ledger_head",
)


def _suspend_postgres(cursor) -> Callable[[], None]:
    cursor.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
        [list(LEDGER_TABLES)],
    )
    triggers = cursor.fetchall()
    for table, name in triggers:
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')

    def restore() -> None:
        for table, name in triggers:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE ALWAYS TRIGGER "{name}"')

    return restore


def _suspend_sqlite(cursor) -> Callable[[], None]:
    placeholders = ", ".join("%s" for _ in LEDGER_TABLES)
    cursor.execute(
        # Only "%s" placeholders are formatted in; the table names go as parameters.
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608  # nosec B608
        f"AND tbl_name IN ({placeholders})",
        list(LEDGER_TABLES),
    )
    triggers = cursor.fetchall()
    for name, _sql in triggers:
        cursor.execute(f'DROP TRIGGER "{name}"')

    def restore() -> None:
        for _name, sql in triggers:
            cursor.execute(sql)

    return restore


class Command(DjangoFlushCommand):
    def handle(self, **options) -> None:
        if not hasattr(mail, "outbox"):
            try:
                super().handle(**options)
            except CommandError as exc:
                if "append-only" in str(exc.__cause__):
                    raise CommandError(
                        "The database refused to flush: the ledger is append-only, and the "
                        "flush ran as one transaction, so nothing at all was erased."
                    ) from exc
                raise
            return
        database = options["database"]
        connection = connections[database]
        suspend = {"postgresql": _suspend_postgres, "sqlite": _suspend_sqlite}.get(
            connection.vendor
        )
        if suspend is None:
            super().handle(**options)
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            restore = suspend(cursor)
            super().handle(**options)
            restore()
