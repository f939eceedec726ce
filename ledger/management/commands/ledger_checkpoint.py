"""`manage.py ledger_checkpoint`: sign the Merkle root of every entry so far."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ledger.errors import LedgerError
from ledger.services import checkpoint_create


class Command(BaseCommand):
    help = "Sign a Merkle checkpoint over all committed entries with the platform's GPG key."

    def handle(self, *args, **options) -> None:
        try:
            checkpoint = checkpoint_create()
        except LedgerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Checkpoint at tree size {checkpoint.tree_size}: root {checkpoint.root_hash}, "
            f"signed by {checkpoint.key_fingerprint} at {checkpoint.created_at.isoformat()}."
        )
