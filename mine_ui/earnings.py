"""A mine's money: earnings promised by accepted gradients, and paid once their campaign settles.

Sonar accrues a payout when it accepts a gradient and moves it to the mine's wallet when the
campaign settles; until then it is promised, not paid. The mine learns of settlement by polling
the campaign (Sonar never calls a mine).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from mine_ui.models import Contribution, Mine
from pysonar import SonarClient, SonarError, SonarUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Earnings:
    """Paid (settled) and promised (accepted, campaign not yet settled), in minor units."""

    settled_minor: int
    unsettled_minor: int

    @property
    def total_minor(self) -> int:
        return self.settled_minor + self.unsettled_minor


def mine_earnings(*, mine: Mine) -> Earnings:
    """The mine's earnings, settled and unsettled apart."""
    accepted = Contribution.objects.filter(mine=mine, status=Contribution.ACCEPTED)
    settled = accepted.filter(settled_at__isnull=False).aggregate(t=Sum("earnings_minor"))["t"]
    unsettled = accepted.filter(settled_at__isnull=True).aggregate(t=Sum("earnings_minor"))["t"]
    return Earnings(settled_minor=int(settled or 0), unsettled_minor=int(unsettled or 0))


def mine_earnings_by_day(*, mine: Mine) -> list[tuple[date, int, int]]:
    """(day, cumulative settled, cumulative unsettled) for each day the mine earned something."""
    rows = (
        Contribution.objects.filter(mine=mine, status=Contribution.ACCEPTED, earnings_minor__gt=0)
        .annotate(day=TruncDate("created_at"))
        .values("day", "settled_at")
        .annotate(total=Sum("earnings_minor"))
        .order_by("day")
    )
    by_day: dict[date, list[int]] = {}
    for row in rows:
        sums = by_day.setdefault(row["day"], [0, 0])
        sums[0 if row["settled_at"] else 1] += int(row["total"])
    series = []
    settled = unsettled = 0
    for day in sorted(by_day):
        settled += by_day[day][0]
        unsettled += by_day[day][1]
        series.append((day, settled, unsettled))
    return series


def contributions_settle_refresh(*, mine: Mine, client: SonarClient) -> list[Contribution]:
    """Mark accepted, unsettled contributions settled once Sonar says their campaign settled."""
    unsettled = Contribution.objects.filter(
        mine=mine, status=Contribution.ACCEPTED, settled_at__isnull=True, earnings_minor__gt=0
    )
    changed: list[Contribution] = []
    for campaign_id in sorted(set(unsettled.values_list("campaign_id", flat=True))):
        try:
            campaign = client.campaign(campaign_id)
        except SonarUnavailable:
            raise
        except SonarError as exc:
            logger.warning("Mine '%s': campaign %s: %s", mine.name, campaign_id, exc)
            continue
        settled_at = _when(campaign.get("settled_at"))
        if settled_at is None:
            continue
        rows = list(unsettled.filter(campaign_id=campaign_id))
        unsettled.filter(campaign_id=campaign_id).update(
            settled_at=settled_at, updated_at=timezone.now()
        )
        changed.extend(rows)
        logger.info("Mine '%s': campaign %s settled at %s", mine.name, campaign_id, settled_at)
    return changed


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    moment = parse_datetime(value)
    if moment is None or timezone.is_naive(moment):
        return None
    return moment
