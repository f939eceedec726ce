"""Public statistics: read-only aggregate queries of the other apps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from ledger.models import Checkpoint, Entry, Transfer
from sonar_ui.models import Campaign, GradientSubmission, Payout


def platform_stats() -> dict:
    """Counts and sums anyone may see: no names, no keys, no data."""
    campaigns = dict(
        Campaign.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    gradients = dict(
        GradientSubmission.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    launched = Campaign.objects.exclude(status__in=["draft", "cancelled"])
    latest = Checkpoint.objects.order_by("-tree_size").first()
    return {
        "campaigns": {status: campaigns.get(status, 0) for status in Campaign.Status.values},
        "gradients": {
            status: gradients.get(status, 0) for status in GradientSubmission.Status.values
        },
        "bounties_minor": launched.aggregate(total=Sum("bounty_minor"))["total"] or 0,
        "paid_out_minor": Payout.objects.filter(status=Payout.Status.SETTLED).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0,
        "accrued_minor": Payout.objects.filter(status=Payout.Status.ACCRUED).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0,
        "mines_paid": Payout.objects.values("payout_account").distinct().count(),
        "ledger_entries": Entry.objects.count(),
        "latest_checkpoint_size": latest.tree_size if latest else None,
    }


# How far back each bucket size looks, and how long a computed series is served from the cache.
SERIES_SPANS = {"day": 30, "hour": 48}
SERIES_CACHE_SECONDS = 60
SERIES_FIELDS = (
    "campaigns_launched",
    "gradients_submitted",
    "gradients_accepted",
    "bounty_escrowed_minor",
    "paid_minor",
    "active_mines",
)


def _bucket_starts(bucket: str, now: datetime) -> list[datetime]:
    step = timedelta(days=1) if bucket == "day" else timedelta(hours=1)
    last = now.replace(minute=0, second=0, microsecond=0)
    if bucket == "day":
        last = last.replace(hour=0)
    return [last - step * back for back in range(SERIES_SPANS[bucket] - 1, -1, -1)]


def _per_bucket(queryset, field: str, trunc, value) -> dict[datetime, int]:
    rows = (
        queryset.annotate(bucket=trunc(field, tzinfo=UTC))
        .values("bucket")
        .annotate(value=value)
        .values_list("bucket", "value")
    )
    return {bucket: value or 0 for bucket, value in rows}


def platform_series(*, bucket: str, now: datetime | None = None) -> dict:
    """What happened in each day (last 30) or hour (last 48), UTC, oldest first; cached briefly.

    Counts and sums only, like platform_stats: no names, no accounts, no data.
    """
    if bucket not in SERIES_SPANS:
        raise ValueError(
            f"There is no bucket {bucket!r}; choose one of {', '.join(sorted(SERIES_SPANS))}."
        )
    if now is None:
        key = f"stats:series:{bucket}"
        cached = cache.get(key)
        if cached is None:
            cached = _series(bucket, timezone.now())
            cache.set(key, cached, SERIES_CACHE_SECONDS)
        return cached
    return _series(bucket, now)


def _series(bucket: str, now: datetime) -> dict:
    starts = _bucket_starts(bucket, now)
    since = starts[0]
    trunc = TruncDay if bucket == "day" else TruncHour
    gradients = GradientSubmission.objects.filter(created_at__gte=since)
    values = {
        "campaigns_launched": _per_bucket(
            Campaign.objects.filter(launched_at__gte=since), "launched_at", trunc, Count("id")
        ),
        "gradients_submitted": _per_bucket(gradients, "created_at", trunc, Count("id")),
        "gradients_accepted": _per_bucket(
            GradientSubmission.objects.filter(
                status=GradientSubmission.Status.ACCEPTED, evaluated_at__gte=since
            ),
            "evaluated_at",
            trunc,
            Count("id"),
        ),
        "bounty_escrowed_minor": _per_bucket(
            Transfer.objects.filter(kind="bounty.escrowed", created_at__gte=since),
            "created_at",
            trunc,
            Sum("amount_minor"),
        ),
        "paid_minor": _per_bucket(
            Transfer.objects.filter(kind="payout.settled", created_at__gte=since),
            "created_at",
            trunc,
            Sum("amount_minor"),
        ),
        # A mine is known to Sonar only by the payout account it submits with.
        "active_mines": _per_bucket(
            gradients, "created_at", trunc, Count("payout_account", distinct=True)
        ),
    }
    return {
        "bucket": bucket,
        "generated_at": now,
        "fields": list(SERIES_FIELDS),
        "rows": [
            {"start": start, **{name: values[name].get(start, 0) for name in SERIES_FIELDS}}
            for start in starts
        ],
    }
