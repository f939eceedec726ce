"""Public statistics: read-only aggregate queries of the other apps."""

from __future__ import annotations

from django.db.models import Count, Sum

from ledger.models import Checkpoint, Entry
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
