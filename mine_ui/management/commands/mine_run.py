"""manage.py mine_run: run one mine against a Sonar, once or forever, without ever crash-looping."""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from django.core.management.base import CommandError, CommandParser

from mine_ui.management.mine_command import MineCommand
from mine_ui.mining import mine_train_once, mining_client
from mine_ui.models import Mine
from pysonar import RetryPolicy, SonarError, SonarUnavailable

logger = logging.getLogger("mine_ui.mine_run")

# Inside one pass a request is retried briefly; longer outages are the loop's backoff below,
# so the log says what is going on at least every half minute.
REQUEST_RETRY = RetryPolicy(max_attempts=3, base_delay_s=1.0, max_delay_s=5.0, max_total_delay_s=15)
MAX_BACKOFF_S = 600.0

EXIT_UNAVAILABLE = 1
EXIT_AUTH = 2


class Command(MineCommand):
    help = (
        "Run a mine: poll Sonar's open campaigns, train on the mine's own rows under Paillier, "
        "submit encrypted gradients, and track their verdicts and earnings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_mine_arguments(parser)
        parser.add_argument("--sonar-url", help="Sonar to poll (default: the mine's own setting).")
        parser.add_argument("--token", help="API token (default: the token saved on the mine).")
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between passes (default 60)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        mine = self.mine_get(options["mine"], options["owner"])
        # Only its delays are used: the loop itself never gives up.
        backoff = RetryPolicy(
            base_delay_s=options["interval"],
            max_delay_s=max(options["interval"], MAX_BACKOFF_S),
        )
        failures = 0
        try:
            while True:
                outcome = self._pass(mine, options)
                if options["once"]:
                    if outcome is not None:
                        raise SystemExit(outcome)
                    return
                failures = 0 if outcome is None else failures + 1
                wait = options["interval"] if failures == 0 else backoff.delay(failures)
                if failures:
                    self.stdout.write(f"Next attempt in {wait:.0f}s.")
                time.sleep(wait)
        except KeyboardInterrupt:
            self.stdout.write("Stopped; pending gradients are resent on the next start.")

    def _pass(self, mine: Mine, options: dict[str, Any]) -> int | None:
        """One pass; returns None when it went through, else the exit status for --once."""
        mine.refresh_from_db()  # a token or URL changed in Mine UI applies from the next pass
        if options["sonar_url"]:
            mine.sonar_url = options["sonar_url"]
        if options["token"]:
            mine.api_token = options["token"]
        try:
            client = mining_client(mine=mine, retry=REQUEST_RETRY)
            touched = mine_train_once(mine=mine, client=client)
        except SonarUnavailable as exc:
            self.stderr.write(
                f"Sonar is unreachable: {exc.detail} Pending gradients are kept and resent "
                "with the same idempotency keys."
            )
            return EXIT_UNAVAILABLE
        except SonarError as exc:
            if exc.status != 401:
                logger.error("Mining pass of '%s' stopped: %s", mine.name, exc)
                return EXIT_UNAVAILABLE
            self.stderr.write(
                f"Sonar refused the token of mine '{mine.name}': {exc.detail} Pass a new one "
                "with --token (or save it on the mine); pending gradients are kept."
            )
            return EXIT_AUTH
        except Exception:
            # Never a crash loop: log the traceback, keep the process, try again later.
            logger.exception("Mining pass of '%s' failed unexpectedly", mine.name)
            return EXIT_UNAVAILABLE
        counts = Counter(contribution.status for contribution in touched)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.stdout.write(f"Mine '{mine.name}': {summary or 'nothing new'}.")
        return None
