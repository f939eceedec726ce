"""manage.py mine_init: set up a mine on this machine (database tables, owner, mine, token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from accounts.models import MINER
from accounts.services import user_set_roles
from mine_ui.management.mine_command import (
    TOKEN_VARIABLE,
    MineCommand,
    sonar_error_sentence,
    tables_missing,
    token_read,
)
from mine_ui.models import Mine
from mine_ui.remote import payout_account_confirm, sonar_client
from mine_ui.services import mine_create
from pysonar import SonarError


class Command(MineCommand):
    help = (
        "Create a mine in this database, creating the database tables first when needed. The "
        "mine polls the Sonar at --sonar-url with an API token read from --token-file or from "
        f"${TOKEN_VARIABLE}; its payouts go to your wallet there (checked with Sonar). It joins "
        "nothing until you import data (mine_import) and turn automatic participation on "
        "(mine_policy --auto-participate on)."
    )
    needs_tables = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mine", required=True, help="A name for the mine.")
        parser.add_argument(
            "--sonar-url",
            default="",
            help="The Sonar the mine works for, e.g. https://sonar.example.org (blank: a mine "
            "hosted on this platform, which needs --owner).",
        )
        parser.add_argument(
            "--token-file",
            type=Path,
            help=f"File holding your API token for that Sonar (default: ${TOKEN_VARIABLE}).",
        )
        parser.add_argument(
            "--token-env",
            default=TOKEN_VARIABLE,
            help=f"Environment variable holding the token (default {TOKEN_VARIABLE}).",
        )
        parser.add_argument(
            "--payout-account",
            default="",
            help="Your wallet on that Sonar (acct_…); by default the one your token belongs to.",
        )
        parser.add_argument(
            "--owner",
            help="Local username owning the mine (default: your username on that Sonar).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if tables_missing():
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("Created the mine's database tables.")
        sonar_url = options["sonar_url"].strip().rstrip("/")
        token = token_read(token_file=options["token_file"], token_env=options["token_env"])
        if sonar_url and not token:
            raise CommandError(
                f"No API token: pass --token-file FILE or set ${options['token_env']} (get a "
                f"token from your profile on {sonar_url}, or POST /api/auth/token/)."
            )
        owner_name = options["owner"]
        if not sonar_url and not owner_name:
            raise CommandError(
                "Give --sonar-url (a mine on its own machine) or --owner USERNAME (a mine "
                "hosted on this platform)."
            )
        if not sonar_url and owner_name and not User.objects.filter(username=owner_name).exists():
            raise CommandError(f"No user named '{owner_name}' on this platform.")
        try:
            owner = User.objects.filter(username=owner_name).first() if owner_name else None
            client = sonar_client(sonar_url=sonar_url, token=token, owner=owner)
            me = client.me()
            payout_account = payout_account_confirm(
                client=client, payout_account=options["payout_account"]
            )
        except SonarError as exc:
            raise CommandError(sonar_error_sentence(exc, sonar_url)) from None
        except (ValueError, ValidationError) as exc:
            raise CommandError(_sentence(exc)) from None
        owner_name = owner_name or str(me.get("username") or "miner")
        name = options["mine"].strip()
        with transaction.atomic():
            owner = User.objects.filter(username=owner_name).first() or _local_owner(owner_name)
            if Mine.objects.filter(owner=owner, name=name).exists():
                raise CommandError(
                    f"This database already has a mine named '{name}'; see it with "
                    f'`python manage.py mine_status --mine "{name}"`, or choose another name.'
                )
            try:
                mine = mine_create(
                    owner=owner,
                    name=name,
                    payout_account=payout_account,
                    sonar_url=sonar_url,
                    api_token=token if sonar_url else "",
                )
            except ValidationError as exc:
                raise CommandError(_sentence(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Mine '{mine.name}' created for {sonar_url or 'this platform'}; payouts go to "
                f"{mine.payout_account}."
            )
        )
        self.stdout.write(
            "Next: import data (mine_import), turn participation on (mine_policy "
            "--auto-participate on), see what it would join (mine_status), run it (mine_run)."
        )


def _local_owner(username: str) -> User:
    """A local person to own the mine: no password, since nobody signs in to a remote mine."""
    user = User.objects.create_user(username=username)  # no password: it cannot sign in
    user_set_roles(user=user, roles=[MINER])
    return user


def _sentence(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
