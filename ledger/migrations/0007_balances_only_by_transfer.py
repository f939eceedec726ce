"""Balances change only by a transfer: a trigger on ledger_transfer moves them, nothing else may.

Before, the account guard let any UPDATE change balance_minor, so a plain UPDATE (a superuser's,
an operator's script) could raise a balance that was then spent at once. Now inserting a
transfer row moves both balances in the database, and an UPDATE of a balance from anywhere
else is refused:

- PostgreSQL: the balance guard fires only for statements outside a trigger
  (pg_trigger_depth() = 0), i.e. for everything but the transfer trigger's own UPDATE.
- SQLite has no trigger depth: the transfer trigger writes a pass for the two accounts in
  ledger_balance_pass, updates them and removes the pass; the guard refuses a balance change
  without one.

Accounts are created with a zero balance, on both.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION ledger_transfer_move_balances() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_account SET balance_minor = balance_minor + CASE
            WHEN id = NEW.debit_id THEN -NEW.amount_minor ELSE NEW.amount_minor END
            WHERE id IN (NEW.debit_id, NEW.credit_id);
        RETURN NULL;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_account_balance_refuse() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'Ledger account %: its balance changes only by a transfer.',
            COALESCE(OLD.public_id, NEW.public_id)
            USING HINT = 'Record a transfer with ledger.services.transfer instead.';
    END $$;
    """,
    "CREATE TRIGGER ledger_transfer_move_balances_insert AFTER INSERT ON ledger_transfer "
    "FOR EACH ROW EXECUTE FUNCTION ledger_transfer_move_balances()",
    "ALTER TABLE ledger_transfer ENABLE ALWAYS TRIGGER ledger_transfer_move_balances_insert",
    "CREATE TRIGGER ledger_account_balance_guard_update BEFORE UPDATE ON ledger_account "
    "FOR EACH ROW WHEN (NEW.balance_minor IS DISTINCT FROM OLD.balance_minor "
    "AND pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_account_balance_refuse()",
    "ALTER TABLE ledger_account ENABLE ALWAYS TRIGGER ledger_account_balance_guard_update",
    "CREATE TRIGGER ledger_account_balance_guard_insert BEFORE INSERT ON ledger_account "
    "FOR EACH ROW WHEN (NEW.balance_minor <> 0) "
    "EXECUTE FUNCTION ledger_account_balance_refuse()",
    "ALTER TABLE ledger_account ENABLE ALWAYS TRIGGER ledger_account_balance_guard_insert",
]

POSTGRES_BACKWARD = [
    "DROP TRIGGER ledger_transfer_move_balances_insert ON ledger_transfer",
    "DROP TRIGGER ledger_account_balance_guard_update ON ledger_account",
    "DROP TRIGGER ledger_account_balance_guard_insert ON ledger_account",
    "DROP FUNCTION ledger_transfer_move_balances()",
    "DROP FUNCTION ledger_account_balance_refuse()",
]

SQLITE_FORWARD = [
    "CREATE TABLE ledger_balance_pass (account_id integer NOT NULL)",
    "CREATE TRIGGER ledger_transfer_move_balances_insert AFTER INSERT ON ledger_transfer "
    "BEGIN "
    "INSERT INTO ledger_balance_pass (account_id) VALUES (NEW.debit_id), (NEW.credit_id); "
    "UPDATE ledger_account SET balance_minor = balance_minor - NEW.amount_minor "
    "WHERE id = NEW.debit_id; "
    "UPDATE ledger_account SET balance_minor = balance_minor + NEW.amount_minor "
    "WHERE id = NEW.credit_id; "
    "DELETE FROM ledger_balance_pass; "
    "END",
    "CREATE TRIGGER ledger_account_balance_guard_update BEFORE UPDATE ON ledger_account "
    "WHEN NEW.balance_minor IS NOT OLD.balance_minor AND NOT EXISTS ("
    "SELECT 1 FROM ledger_balance_pass WHERE account_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'Ledger account: its balance changes only by a transfer.'); END",
    "CREATE TRIGGER ledger_account_balance_guard_insert BEFORE INSERT ON ledger_account "
    "WHEN NEW.balance_minor <> 0 "
    "BEGIN SELECT RAISE(ABORT, 'Ledger account: its balance changes only by a transfer.'); END",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER ledger_transfer_move_balances_insert",
    "DROP TRIGGER ledger_account_balance_guard_update",
    "DROP TRIGGER ledger_account_balance_guard_insert",
    "DROP TABLE ledger_balance_pass",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        # No parameters: the % in RAISE are PL/pgSQL's, not the driver's placeholders.
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD})


def backward(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_deposit_request")]

    operations = [migrations.RunPython(forward, backward)]
