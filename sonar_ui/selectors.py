"""Reads of campaigns, versions, gradients and payouts, with who may see what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from ledger.models import Entry, Transfer
from sonar_ui.errors import CampaignNotFoundError
from sonar_ui.models import Campaign, GradientSubmission, ModelVersion, Payout


def campaign_list_visible(*, user: User, status: str | None = None) -> QuerySet[Campaign]:
    """Everyone sees launched campaigns; owners also see their own drafts."""
    campaigns = Campaign.objects.filter(
        ~Q(status__in=[Campaign.Status.DRAFT, Campaign.Status.CANCELLED]) | Q(owner=user)
    ).select_related("owner")
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns.order_by("-created_at", "-id")


def campaign_get_visible(*, user: User, campaign_id: int) -> Campaign:
    """The campaign if this person may see it; a 404 otherwise (drafts stay secret)."""
    campaign = campaign_list_visible(user=user).filter(pk=campaign_id).first()
    if campaign is None:
        raise CampaignNotFoundError(f"There is no campaign {campaign_id} you can see.")
    return campaign


def campaign_get_owned(*, user: User, campaign_id: int) -> Campaign:
    """The campaign if this person owns it; a 404 otherwise, so existence does not leak."""
    campaign = Campaign.objects.filter(pk=campaign_id, owner=user).first()
    if campaign is None:
        raise CampaignNotFoundError(f"There is no campaign {campaign_id} of yours.")
    return campaign


def gradient_list_visible(*, user: User, campaign: Campaign) -> QuerySet[GradientSubmission]:
    """The owner sees every gradient of the campaign; a miner sees their own."""
    gradients = campaign.gradients.select_related("submitted_by")
    if campaign.owner_id != user.id:
        gradients = gradients.filter(submitted_by=user)
    return gradients.order_by("id")


def gradient_get_visible(*, user: User, gradient_id: int) -> GradientSubmission:
    """A gradient for its submitter or the campaign's owner; 404 for anyone else."""
    gradient = (
        GradientSubmission.objects.select_related("campaign")
        .filter(pk=gradient_id)
        .filter(Q(submitted_by=user) | Q(campaign__owner=user))
        .first()
    )
    if gradient is None:
        raise CampaignNotFoundError(f"There is no gradient {gradient_id} you can see.")
    return gradient


def version_list(*, campaign: Campaign) -> QuerySet[ModelVersion]:
    """Model versions in order, for the accuracy chart."""
    return campaign.versions.order_by("number")


def payout_list_visible(*, user: User, campaign: Campaign) -> QuerySet[Payout]:
    """The owner sees every payout; a miner sees those of their own gradients."""
    payouts = campaign.payouts.select_related("gradient")
    if campaign.owner_id != user.id:
        payouts = payouts.filter(gradient__submitted_by=user)
    return payouts.order_by("id")


@dataclass(frozen=True)
class PendingWork:
    """What the beat sweep must resume: each list is safe to enqueue again."""

    launching: list[Campaign]
    scoring: list[GradientSubmission]
    waiting: list[int]
    unsettled: list[int]


def campaigns_needing_work(*, older_than: timedelta) -> PendingWork:
    """Steps left behind: launches and capsule scorings out longer than `older_than`,
    campaigns with gradients waiting, completed campaigns not yet settled."""
    cutoff = timezone.now() - older_than
    launching = list(
        Campaign.objects.filter(status=Campaign.Status.LAUNCHING, launch_requested_at__lt=cutoff)
    )
    scoring = list(
        GradientSubmission.objects.filter(
            status=GradientSubmission.Status.EVALUATING, scoring_started_at__lt=cutoff
        ).select_related("campaign")
    )
    waiting = list(
        GradientSubmission.objects.filter(status=GradientSubmission.Status.PENDING)
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    unsettled = list(
        Campaign.objects.filter(
            status=Campaign.Status.COMPLETED, settled_at__isnull=True
        ).values_list("id", flat=True)
    )
    return PendingWork(launching=launching, scoring=scoring, waiting=waiting, unsettled=unsettled)


# --- events and stalls -------------------------------------------------------------------------

# A campaign is stalled when it has gone this long without an accepted gradient (the default
# of settings.SONAR_STALLED_AFTER_S, which is what the selector reads) ...
STALL_AFTER = timedelta(hours=1)
# ... or when this many gradients in a row, since the last accepted one, were all rejected.
STALL_REJECTIONS = 2
MAX_EVENTS_PAGE = 500


def campaign_events_after(*, campaign: Campaign, after: int, limit: int = 100) -> list[Entry]:
    """The campaign's ledger entries with seq > after, oldest first (at most `limit`)."""
    return list(
        Entry.objects.filter(campaign_id=campaign.id, seq__gt=after).order_by("seq")[:limit]
    )


def campaign_last_event_seq(*, campaign: Campaign) -> int:
    """The seq of the campaign's newest ledger entry (0 when it has none)."""
    return Entry.objects.filter(campaign_id=campaign.id).aggregate(last=Max("seq"))["last"] or 0


def campaign_stalled_since(*, campaign: Campaign, now: datetime | None = None) -> datetime | None:
    """When an open campaign stopped making progress, or None while it progresses.

    Progress is an accepted gradient (or the launch). Stalled: STALL_AFTER without progress, or
    STALL_REJECTIONS evaluated gradients since the last progress, all rejected (then it is
    stalled since the one that made the count) — the mines' data no longer improves the model.
    """
    if campaign.status != Campaign.Status.OPEN or campaign.launched_at is None:
        return None
    now = now or timezone.now()
    last_accepted = campaign.gradients.filter(status=GradientSubmission.Status.ACCEPTED).aggregate(
        at=Max("evaluated_at")
    )["at"]
    progress = max(filter(None, [campaign.launched_at, last_accepted]))
    rejected = list(
        campaign.gradients.filter(
            status=GradientSubmission.Status.REJECTED, evaluated_at__gt=progress
        )
        .order_by("evaluated_at", "id")
        .values_list("evaluated_at", flat=True)[:STALL_REJECTIONS]
    )
    candidates = []
    if len(rejected) == STALL_REJECTIONS:
        candidates.append(rejected[-1])
    stall_after = timedelta(seconds=settings.SONAR_STALLED_AFTER_S)
    if now - progress >= stall_after:
        candidates.append(progress + stall_after)
    return min(candidates) if candidates else None


# --- What the campaign pages show ---------------------------------------------------------------


def campaign_list_open() -> QuerySet[Campaign]:
    """Campaigns taking gradients, for anyone (signed in or not)."""
    return Campaign.objects.filter(status=Campaign.Status.OPEN).select_related("owner")


def campaign_list_owned(*, user: User) -> QuerySet[Campaign]:
    """A person's own campaigns, drafts included."""
    return Campaign.objects.filter(owner=user).select_related("owner")


def campaign_get_public(*, campaign_id: int) -> Campaign:
    """An open campaign anyone may read about before joining; a 404 for any other."""
    campaign = campaign_list_open().filter(pk=campaign_id).first()
    if campaign is None:
        raise CampaignNotFoundError(f"There is no open campaign {campaign_id}.")
    return campaign


def campaign_progress(campaign: Campaign) -> float | None:
    """How far the best model has come from the starting accuracy to the target, 0..1."""
    start, best, target = (
        campaign.start_accuracy_ppm,
        campaign.best_accuracy_ppm,
        campaign.target_accuracy_ppm,
    )
    if start is None or best is None:
        return None
    if target <= start:
        return 1.0
    return min(1.0, max(0.0, (best - start) / (target - start)))


def campaign_money(campaign: Campaign) -> dict[str, int]:
    """Bounty, earned by mines (accrued and settled apart), remaining and refunded."""
    sums = dict(
        campaign.payouts.values("status")
        .annotate(total=Sum("amount_minor"))
        .values_list("status", "total")
    )
    refunded = (
        Transfer.objects.filter(campaign_id=campaign.id, kind="bounty.refunded").aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    return {
        "bounty": campaign.bounty_minor,
        "spent": campaign.spent_minor,
        "accrued": sums.get(Payout.Status.ACCRUED, 0),
        "settled": sums.get(Payout.Status.SETTLED, 0),
        "remaining": campaign.remaining_minor,
        "refunded": refunded,
    }


def contributions_by_account(*, user: User, campaign: Campaign) -> list[dict]:
    """Per payout account: gradients sent, accepted, and earned (owner: all; miner: own)."""
    gradients = gradient_list_visible(user=user, campaign=campaign)
    return list(
        gradients.order_by()
        .values("payout_account")
        .annotate(
            gradients=Count("id"),
            accepted=Count("id", filter=Q(status=GradientSubmission.Status.ACCEPTED)),
            earned=Sum("payout_minor"),
            last=Max("created_at"),
        )
        .order_by("-earned", "payout_account")
    )
