"""PostgreSQL: one trigger per appended entry instead of three, and a cheaper account guard.

Appends are serialized on the head lock, so every microsecond an insert spends in triggers is
taken from the whole platform's throughput. The link check and the head's advance become one
BEFORE INSERT trigger; the head's own guard now checks only statements from outside a trigger
(pg_trigger_depth() = 0), since the one trigger that moves the head has just checked the link.
The guarantees are those of 0002. SQLite keeps 0002's triggers, which cost little there.
"""

import importlib

from django.db import migrations

FORWARD = [
    "DROP TRIGGER ledger_entry_link_guard_insert ON ledger_entry",
    "DROP TRIGGER ledger_entry_head_advance_insert ON ledger_entry",
    "DROP TRIGGER ledger_head_guard_update ON ledger_head",
    """
    CREATE OR REPLACE FUNCTION ledger_entry_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_seq bigint;
        head_hash varchar;
    BEGIN
        SELECT seq, hash INTO head_seq, head_hash FROM ledger_head WHERE id = 1 FOR UPDATE;
        IF NOT FOUND OR NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
            RAISE EXCEPTION 'Ledger entry % does not extend the head (at %); entries are '
                'appended only by ledger_append.', NEW.seq, head_seq;
        END IF;
        UPDATE ledger_head SET seq = NEW.seq, hash = NEW.hash, created_at = NEW.created_at
            WHERE id = 1;
        RETURN NEW;
    END $$;
    """,
    "CREATE TRIGGER ledger_entry_extend_head_insert BEFORE INSERT ON ledger_entry "
    "FOR EACH ROW EXECUTE FUNCTION ledger_entry_extend_head()",
    "ALTER TABLE ledger_entry ENABLE ALWAYS TRIGGER ledger_entry_extend_head_insert",
    "CREATE TRIGGER ledger_head_guard_update BEFORE UPDATE ON ledger_head "
    "FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_head_guard()",
    "ALTER TABLE ledger_head ENABLE ALWAYS TRIGGER ledger_head_guard_update",
    "DROP FUNCTION ledger_entry_link_guard()",
    "DROP FUNCTION ledger_head_advance()",
    # Every transfer updates two balances: test the frozen columns in the trigger's WHEN, in C,
    # and call PL/pgSQL only to raise the error.
    "DROP TRIGGER ledger_account_guard_update ON ledger_account",
    "CREATE TRIGGER ledger_account_guard_update BEFORE UPDATE ON ledger_account FOR EACH ROW "
    "WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.public_id IS DISTINCT FROM OLD.public_id "
    "OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.user_id IS DISTINCT FROM OLD.user_id "
    "OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id "
    "OR NEW.created_at IS DISTINCT FROM OLD.created_at) "
    "EXECUTE FUNCTION ledger_account_guard()",
    "ALTER TABLE ledger_account ENABLE ALWAYS TRIGGER ledger_account_guard_update",
]

BACKWARD = [
    "DROP TRIGGER ledger_entry_extend_head_insert ON ledger_entry",
    "DROP TRIGGER ledger_head_guard_update ON ledger_head",
    "DROP TRIGGER ledger_account_guard_update ON ledger_account",
    "DROP FUNCTION ledger_entry_extend_head()",
]


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        # No parameters: the % in RAISE are PL/pgSQL's, not the driver's placeholders.
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement, params=None)
    # Put back 0002's three triggers.
    module = importlib.import_module("ledger.migrations.0002_append_only_triggers")
    for statement in module.POSTGRES_FUNCTIONS:
        schema_editor.execute(statement, params=None)
    for table, name, statement in module._postgres_triggers():
        if name in {
            "ledger_entry_link_guard_insert",
            "ledger_entry_head_advance_insert",
            "ledger_head_guard_update",
            "ledger_account_guard_update",
        }:
            schema_editor.execute(statement)
            schema_editor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_triggers")]

    operations = [migrations.RunPython(forward, backward)]
