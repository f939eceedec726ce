"""The database itself refuses to change the ledger.

Entries, transfers and checkpoints refuse UPDATE, DELETE and TRUNCATE. Accounts may only change
their balance and are never deleted. An entry may only be inserted as the head's direct
successor, and inserting it advances the head in the same statement; the head may only advance
by one, to an entry that exists. Even SQL that bypasses ledger_append cannot fork the chain or
leave a gap.

On PostgreSQL the triggers are ENABLE ALWAYS, so `SET session_replication_role = replica` does
not switch them off; only the table owner or a superuser running ALTER TABLE ... DISABLE TRIGGER
can, and ledger_verify catches whatever they change (docs/ledger.md).
"""

from django.db import migrations

FROZEN_TABLES = ("ledger_entry", "ledger_transfer", "ledger_checkpoint")
NO_DELETE_TABLES = ("ledger_account", "ledger_head")

POSTGRES_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'The ledger is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
            USING HINT = 'Ledger rows are never changed; record a new entry instead.';
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id IS DISTINCT FROM OLD.id
           OR NEW.public_id IS DISTINCT FROM OLD.public_id
           OR NEW.kind IS DISTINCT FROM OLD.kind
           OR NEW.user_id IS DISTINCT FROM OLD.user_id
           OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id
           OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
            RAISE EXCEPTION 'Ledger account %: only its balance may change.', OLD.public_id;
        END IF;
        RETURN NEW;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
            SELECT 1 FROM ledger_entry WHERE seq = NEW.seq AND hash = NEW.hash
        ) THEN
            RAISE EXCEPTION 'The ledger head only advances by one, to an entry that exists '
                '(from % to %).', OLD.seq, NEW.seq;
        END IF;
        RETURN NEW;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ledger_head SET seq = NEW.seq, hash = NEW.hash, created_at = NEW.created_at
            WHERE id = 1;
        RETURN NULL;
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_entry_link_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head_seq bigint;
        head_hash varchar;
    BEGIN
        SELECT seq, hash INTO head_seq, head_hash FROM ledger_head WHERE id = 1;
        IF NOT FOUND OR NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
            RAISE EXCEPTION 'Ledger entry % does not extend the head (at %); entries are '
                'appended only by ledger_append.', NEW.seq, head_seq;
        END IF;
        RETURN NEW;
    END $$;
    """,
]


def _postgres_triggers() -> list[tuple[str, str, str]]:
    """(table, trigger name, CREATE TRIGGER statement)."""
    triggers = []
    for table in FROZEN_TABLES + NO_DELETE_TABLES:
        events = ["DELETE"] if table in NO_DELETE_TABLES else ["UPDATE", "DELETE"]
        for event in events:
            name = f"{table}_refuse_{event.lower()}"
            triggers.append(
                (
                    table,
                    name,
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
                )
            )
        name = f"{table}_refuse_truncate"
        triggers.append(
            (
                table,
                name,
                f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()",
            )
        )
    triggers += [
        (
            "ledger_account",
            "ledger_account_guard_update",
            "CREATE TRIGGER ledger_account_guard_update BEFORE UPDATE ON ledger_account "
            "FOR EACH ROW EXECUTE FUNCTION ledger_account_guard()",
        ),
        (
            "ledger_head",
            "ledger_head_guard_update",
            "CREATE TRIGGER ledger_head_guard_update BEFORE UPDATE ON ledger_head "
            "FOR EACH ROW EXECUTE FUNCTION ledger_head_guard()",
        ),
        (
            "ledger_entry",
            "ledger_entry_link_guard_insert",
            "CREATE TRIGGER ledger_entry_link_guard_insert BEFORE INSERT ON ledger_entry "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entry_link_guard()",
        ),
        (
            "ledger_entry",
            "ledger_entry_head_advance_insert",
            "CREATE TRIGGER ledger_entry_head_advance_insert AFTER INSERT ON ledger_entry "
            "FOR EACH ROW EXECUTE FUNCTION ledger_head_advance()",
        ),
    ]
    return triggers


def _sqlite_triggers() -> list[tuple[str, str]]:
    """(trigger name, CREATE TRIGGER statement)."""
    triggers = []
    for table in FROZEN_TABLES + NO_DELETE_TABLES:
        events = ["DELETE"] if table in NO_DELETE_TABLES else ["UPDATE", "DELETE"]
        for event in events:
            name = f"{table}_refuse_{event.lower()}"
            triggers.append(
                (
                    name,
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'The ledger is append-only: {event} on {table} "
                    "is refused.'); END",
                )
            )
    triggers += [
        (
            "ledger_account_guard_update",
            "CREATE TRIGGER ledger_account_guard_update BEFORE UPDATE ON ledger_account "
            "WHEN NEW.id IS NOT OLD.id OR NEW.public_id IS NOT OLD.public_id "
            "OR NEW.kind IS NOT OLD.kind OR NEW.user_id IS NOT OLD.user_id "
            "OR NEW.campaign_id IS NOT OLD.campaign_id OR NEW.created_at IS NOT OLD.created_at "
            "BEGIN SELECT RAISE(ABORT, 'Ledger account: only its balance may change.'); END",
        ),
        (
            "ledger_head_guard_update",
            "CREATE TRIGGER ledger_head_guard_update BEFORE UPDATE ON ledger_head "
            "WHEN NEW.id IS NOT OLD.id OR NEW.seq IS NOT OLD.seq + 1 OR NOT EXISTS ("
            "SELECT 1 FROM ledger_entry WHERE seq = NEW.seq AND hash = NEW.hash) "
            "BEGIN SELECT RAISE(ABORT, 'The ledger head only advances by one, to an entry "
            "that exists.'); END",
        ),
        (
            "ledger_entry_link_guard_insert",
            "CREATE TRIGGER ledger_entry_link_guard_insert BEFORE INSERT ON ledger_entry "
            "WHEN NEW.seq IS NOT (SELECT seq + 1 FROM ledger_head WHERE id = 1) "
            "OR NEW.prev_hash IS NOT (SELECT hash FROM ledger_head WHERE id = 1) "
            "BEGIN SELECT RAISE(ABORT, 'Ledger entry does not extend the head; entries are "
            "appended only by ledger_append.'); END",
        ),
        (
            "ledger_entry_head_advance_insert",
            "CREATE TRIGGER ledger_entry_head_advance_insert AFTER INSERT ON ledger_entry "
            "BEGIN UPDATE ledger_head SET seq = NEW.seq, hash = NEW.hash, "
            "created_at = NEW.created_at WHERE id = 1; END",
        ),
    ]
    return triggers


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_FUNCTIONS:
            # No parameters: the % in RAISE are PL/pgSQL's, not the driver's placeholders.
            schema_editor.execute(statement, params=None)
        for table, name, statement in _postgres_triggers():
            schema_editor.execute(statement)
            # ALWAYS: fire even for sessions in replica mode (session_replication_role).
            schema_editor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")
    elif vendor == "sqlite":
        for _name, statement in _sqlite_triggers():
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(
            f"The ledger's append-only triggers exist for PostgreSQL and SQLite, not {vendor}."
        )


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table, name, _statement in _postgres_triggers():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in (
            "ledger_refuse_change",
            "ledger_account_guard",
            "ledger_head_guard",
            "ledger_head_advance",
            "ledger_entry_link_guard",
        ):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    elif vendor == "sqlite":
        for name, _statement in _sqlite_triggers():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
