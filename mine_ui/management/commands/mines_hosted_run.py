"""manage.py mines_hosted_run: the hosted mines' scheduler for `make run`, where no beat runs."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mine_ui.tasks import mines_hosted_train_task

logger = logging.getLogger("mine_ui.mines_hosted_run")


class Command(BaseCommand):
    help = (
        "Every --interval seconds, run a mining pass of every hosted mine with automatic "
        "participation (what celery beat does in production). `make run` starts it beside "
        "runserver, so the demo's mines keep mining; with a broker, use celery beat instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between passes (default 60)."
        )
        parser.add_argument(
            "--delay", type=float, default=0.0, help="Seconds to wait before the first pass."
        )
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError(
                "A broker is configured (CELERY_BROKER_URL): celery beat schedules hosted "
                "mines there (`celery -A openmined beat`); this loop is for `make run`."
            )
        try:
            time.sleep(options["delay"])
            while True:
                try:
                    # Eager Celery: each mine's pass runs here, in this process, one by one.
                    mine_ids = mines_hosted_train_task()
                except Exception:
                    # Never a crash loop: the next pass tries again.
                    logger.exception("A pass of the hosted mines failed")
                else:
                    logger.info("Hosted mines passed: %s", mine_ids or "none participating")
                if options["once"]:
                    return
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            return
