"""`manage.py ledger_verify`: recompute every hash, link, balance and checkpoint signature."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ledger.errors import ChainBrokenError
from ledger.selectors import ledger_size
from ledger.verification import ledger_verify


class Command(BaseCommand):
    help = (
        "Verify the ledger: every entry hash and link, gapless seq, transfers against their "
        "entries, balances against transfers, checkpoint roots and signatures. Exits 0 with a "
        "one-line summary, or 1 naming the first bad seq."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show a progress bar even when stderr is not a terminal.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Worker processes for the hash chain on PostgreSQL (default: one per CPU).",
        )

    def handle(self, *args, progress: bool, jobs: int | None, **options) -> None:
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        show = progress or self.stderr.isatty()
        # tqdm redraws with carriage returns, so it writes to the stream under Django's wrapper.
        stream = getattr(self.stderr, "_out", sys.stderr)
        # No tqdm monitor thread: ledger_verify forks its workers only from a process that runs
        # a single thread, and spawns slower ones otherwise.
        tqdm.monitor_interval = 0
        bar = tqdm(total=ledger_size(), unit="entries", disable=not show, file=stream)
        try:
            report = ledger_verify(jobs=jobs, progress=bar.update if show else None)
        except ChainBrokenError as exc:
            bar.close()
            # CommandError prints to stderr and exits 1; the message starts "seq N:" when the
            # problem is in an entry.
            raise CommandError(f"Ledger BROKEN: {exc}") from exc
        bar.close()
        self.stdout.write(report.summary())
