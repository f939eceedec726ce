"""Campaigns, their model versions, the gradients mines send, and the payouts they earn.

Accuracies are stored as integer parts per million (ppm): payouts are computed from them with
integer arithmetic, so the seed's example (+2 points of an 80% target on 1,000.00 pays 25.00)
is exact instead of depending on how 0.02 / 0.8 rounds in binary floating point.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

PPM = 1_000_000


def ppm_to_fraction(value: int | None) -> float | None:
    """0..1_000_000 -> 0.0..1.0 for display and the API."""
    return None if value is None else value / PPM


class Algorithm(models.TextChoices):
    LINEAR_REGRESSION = "linear_regression", "Linear regression"
    LOGISTIC_REGRESSION = "logistic_regression", "Logistic regression (binary)"
    LOGISTIC_REGRESSION_OVR = "logistic_regression_ovr", "Logistic regression (one-vs-rest)"
    # One-vs-one does not mask a class that lies between two others, as one-vs-rest on the
    # linearised sigmoid does (docs/syft.md).
    LOGISTIC_REGRESSION_OVO = "logistic_regression_ovo", "Logistic regression (one-vs-one)"


class Campaign(models.Model):
    """A data scientist's offer: train this model to this accuracy for this bounty."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        # Launch asked for; the capsule is making the key pair and scoring version 0.
        LAUNCHING = "launching"
        OPEN = "open"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    class PayoutBasis(models.TextChoices):
        # The seed's formula: (accuracy increase / target accuracy) × bounty.
        TARGET = "target", "Share of the target accuracy"
        # (accuracy increase / (target − starting accuracy)) × bounty: reaching the target
        # spends the whole bounty.
        GAP = "gap", "Share of the gap from the starting accuracy to the target"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    input_schema = models.JSONField()
    output_schema = models.JSONField()
    algorithm = models.CharField(max_length=40, choices=Algorithm.choices)
    n_features = models.PositiveIntegerField()
    n_classes = models.PositiveIntegerField(null=True, blank=True)
    learning_rate = models.FloatField(default=0.5)
    fit_intercept = models.BooleanField(default=True)
    # Anti-takeover rule: a payout account's next gradient needs this many accepted from others.
    min_other_accepted = models.PositiveIntegerField(default=0)
    payout_basis = models.CharField(
        max_length=10, choices=PayoutBasis.choices, default=PayoutBasis.TARGET
    )
    bounty_minor = models.BigIntegerField()
    target_accuracy_ppm = models.PositiveIntegerField(default=PPM)
    claimed_start_accuracy_ppm = models.PositiveIntegerField(null=True, blank=True)
    start_accuracy_ppm = models.PositiveIntegerField(null=True, blank=True)
    best_accuracy_ppm = models.PositiveIntegerField(null=True, blank=True)
    current_version = models.PositiveIntegerField(null=True, blank=True)
    initial_weights = models.JSONField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    spent_minor = models.BigIntegerField(default=0)
    completion_reason = models.CharField(max_length=200, blank=True)
    # Why the last launch did not open the campaign (it is a draft again), for its owner.
    launch_error = models.TextField(blank=True)
    launch_requested_at = models.DateTimeField(null=True, blank=True)
    result_sha256 = models.CharField(max_length=64, blank=True)
    result_filename = models.CharField(max_length=200, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    result_pgp_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set once the result is delivered, payouts settled and the remainder refunded.
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(bounty_minor__gt=0), name="campaign_bounty_positive"
            ),
            models.CheckConstraint(
                condition=Q(target_accuracy_ppm__gt=0) & Q(target_accuracy_ppm__lte=PPM),
                name="campaign_target_in_range",
            ),
            # The sum of payouts never exceeds the bounty, whatever the code above does.
            models.CheckConstraint(
                condition=Q(spent_minor__gte=0) & Q(spent_minor__lte=F("bounty_minor")),
                name="campaign_spent_within_bounty",
            ),
            models.CheckConstraint(
                condition=Q(learning_rate__gt=0), name="campaign_learning_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk}, {self.status})"

    @property
    def target_accuracy(self) -> float:
        return self.target_accuracy_ppm / PPM

    @property
    def best_accuracy(self) -> float | None:
        return ppm_to_fraction(self.best_accuracy_ppm)

    @property
    def start_accuracy(self) -> float | None:
        return ppm_to_fraction(self.start_accuracy_ppm)

    @property
    def remaining_minor(self) -> int:
        return self.bounty_minor - self.spent_minor


class ModelVersion(models.Model):
    """One encrypted model of a campaign: v0 at launch, v(N+1) for each accepted gradient."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    blob_address = models.CharField(max_length=64)
    accuracy_ppm = models.PositiveIntegerField()
    gradient = models.OneToOneField(
        "GradientSubmission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="produced_version",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.name} v{self.number}"


class GradientSubmission(models.Model):
    """An encrypted gradient a mine sent, and what the evaluation made of it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        EVALUATING = "evaluating"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="gradients")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gradients"
    )
    base_version = models.PositiveIntegerField()
    evaluated_version = models.PositiveIntegerField(null=True, blank=True)
    blob_address = models.CharField(max_length=64)
    n_samples = models.PositiveIntegerField()
    payout_account = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=200)
    # sha256 of what was submitted: the same key with other content is a client bug.
    request_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    score_ppm = models.PositiveIntegerField(null=True, blank=True)
    delta_ppm = models.IntegerField(null=True, blank=True)
    payout_minor = models.BigIntegerField(default=0)
    # While evaluating: the candidate model (current − lr·gradient/n, on ciphertexts) the capsule
    # is scoring, and since when, so the sweep can resume a step a killed worker left.
    candidate_blob = models.CharField(max_length=64, blank=True)
    scoring_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "created_at", "id"]
        indexes = [models.Index(fields=["campaign", "status", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"], name="gradient_unique_idempotency_key"
            ),
            models.CheckConstraint(
                condition=Q(n_samples__gt=0), name="gradient_n_samples_positive"
            ),
            models.CheckConstraint(condition=Q(payout_minor__gte=0), name="gradient_payout_nonneg"),
        ]

    def __str__(self) -> str:
        return f"gradient #{self.pk} for {self.campaign_id} ({self.status})"


class Payout(models.Model):
    """What an accepted gradient earned: accrued at acceptance, settled at completion."""

    class Status(models.TextChoices):
        ACCRUED = "accrued"
        SETTLED = "settled"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="payouts")
    gradient = models.OneToOneField(
        GradientSubmission, on_delete=models.PROTECT, related_name="payout"
    )
    payout_account = models.CharField(max_length=64)
    amount_minor = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCRUED)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive")
        ]

    def __str__(self) -> str:
        return f"payout {self.amount_minor} to {self.payout_account}"
