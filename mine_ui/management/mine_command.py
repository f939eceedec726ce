"""What every mine command shares: a database check, finding the mine, and Sonar's errors as
sentences (a user's mistake is a CommandError, printed without a traceback)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from mine_ui.models import Mine
from mine_ui.sonar_address import miners_own_command_line
from pysonar import SonarError, SonarUnavailable

TOKEN_VARIABLE = "SONAR_TOKEN"  # noqa: S105  # nosec B105 (the name of a variable, not a secret)


def tables_missing() -> bool:
    """True when this database has no mine tables yet (a fresh install before migrate)."""
    try:
        return Mine._meta.db_table not in connection.introspection.table_names()
    except DatabaseError as exc:
        raise CommandError(
            f"Cannot open the mine's database: {exc}. Check DATABASE_URL (a mine on its own "
            "machine needs no more than sqlite:///path/to/mine.sqlite3)."
        ) from None


def sonar_error_sentence(exc: SonarError, sonar_url: str) -> str:
    """What went wrong talking to Sonar, and what to do about it."""
    where = sonar_url or "this platform"
    if isinstance(exc, SonarUnavailable):
        return (
            f"Cannot reach Sonar at {where}: {exc.detail} Check the address (--sonar-url) and "
            "that Sonar is up; nothing was changed."
        )
    if exc.status == 401:
        return (
            f"Sonar at {where} refused the token: {exc.detail} Get a new one from your profile "
            f"there and pass it with --token-file or ${TOKEN_VARIABLE}."
        )
    return f"Sonar at {where} answered: {exc.detail}"


def token_read(*, token_file: Path | None, token_env: str) -> str:
    """The API token from a file (first line) or an environment variable; '' when neither."""
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip().splitlines()
        except OSError as exc:
            raise CommandError(
                f"Cannot read the token file {token_file}: {exc.strerror}."
            ) from None
        if not token or not token[0].strip():
            raise CommandError(f"The token file {token_file} is empty.")
        return token[0].strip()
    return os.environ.get(token_env, "").strip()


class MineCommand(BaseCommand):
    """A command on one mine of this database."""

    # mine_init creates the tables itself; every other command needs them.
    needs_tables = True

    def add_mine_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mine", required=True, help="Name of the mine (in this database).")
        parser.add_argument(
            "--owner", help="Username of the mine's owner (needed when several share the name)."
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        if self.needs_tables and tables_missing():
            raise CommandError(
                "This database has no mines yet (its tables do not exist). Create the mine "
                "with `python manage.py mine_init --mine NAME --sonar-url URL` (it creates the "
                "tables), or run `python manage.py migrate` first."
            )
        # The platform's SSRF guard is for hosted mines; here the miner calls their own choice.
        with miners_own_command_line():
            return super().execute(*args, **options)

    def mine_get(self, name: str, owner: str | None) -> Mine:
        """The one mine with that name (and owner), or a CommandError saying what to do."""
        mines = Mine.objects.filter(name=name).select_related("owner")
        if owner:
            mines = mines.filter(owner__username=owner)
        found = list(mines[:10])
        if not found:
            whose = f" owned by '{owner}'" if owner else ""
            known = list(Mine.objects.order_by("name").values_list("name", flat=True)[:10])
            hint = f" This database has: {', '.join(known)}." if known else ""
            raise CommandError(
                f"No mine named '{name}'{whose}; create it with `python manage.py mine_init "
                f'--mine "{name}" ...` (or on the Mine page of a hosted mine).{hint}'
            )
        if len(found) > 1:
            owners = ", ".join(sorted(mine.owner.username for mine in found))
            raise CommandError(
                f"Several people have a mine named '{name}' ({owners}); add --owner USERNAME."
            )
        return found[0]
