"""A mine keeps its owner's data and decides, by its policy, which campaigns may learn from it.

Everything here lives in the mine's own database. Sonar is remote: campaigns are referred to by
Sonar's id and name, never by a foreign key, and only encrypted gradients ever leave.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from adapters import ADAPTERS, Schema

# Epsilon and delta are summed exactly: floats would drift past the total by rounding.
BUDGET_DIGITS = {"max_digits": 24, "decimal_places": 12}
CONTRIBUTION_STATUSES = ("pending", "submitted", "accepted", "rejected", "failed", "skipped")


class Mine(models.Model):
    """A person's data store that earns from campaigns; Sonar knows only its payout account."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mines"
    )
    name = models.CharField(max_length=100)
    sonar_url = models.URLField(
        blank=True, help_text="The Sonar this mine polls; blank means this platform."
    )
    payout_account = models.CharField(
        max_length=64, help_text="Public id of the wallet that receives payouts, e.g. acct_…."
    )
    api_token = models.CharField(
        max_length=128,
        blank=True,
        help_text="Token for a remote Sonar's API; shown only by its last characters.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="mine_name_unique_per_owner"),
            models.CheckConstraint(condition=~Q(name=""), name="mine_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(payout_account=""), name="mine_payout_account_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"

    @property
    def api_token_hint(self) -> str:
        """The token as people may see it: only its last four characters."""
        if not self.api_token:
            return ""
        return f"…{self.api_token[-4:]}"


class Dataset(models.Model):
    """Rows imported into a mine under an input schema (and an output schema when labeled)."""

    ADAPTER_CHOICES = [(name, name) for name in ADAPTERS]

    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=100)
    input_schema = models.JSONField()
    output_schema = models.JSONField(
        null=True, blank=True, help_text="Empty for unlabeled data, which cannot train."
    )
    adapter = models.CharField(max_length=16, choices=ADAPTER_CHOICES)
    row_count = models.PositiveIntegerField()
    schema_fingerprint = models.CharField(max_length=64, help_text="sha256 of the input schema.")
    output_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the output schema; blank when unlabeled."
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["mine_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["mine", "name"], name="dataset_name_unique_per_mine"),
            models.CheckConstraint(condition=~Q(name=""), name="dataset_name_not_empty"),
            models.CheckConstraint(
                condition=Q(adapter__in=list(ADAPTERS)), name="dataset_adapter_known"
            ),
            # An output fingerprint without an output schema (or the reverse) is a broken import.
            models.CheckConstraint(
                condition=(Q(output_schema__isnull=True) & Q(output_fingerprint=""))
                | (Q(output_schema__isnull=False) & ~Q(output_fingerprint="")),
                name="dataset_output_has_fingerprint",
            ),
        ]
        indexes = [
            models.Index(
                fields=["mine", "schema_fingerprint", "output_fingerprint"],
                name="dataset_match_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.mine.name}"

    @property
    def schema(self) -> Schema:
        """The input schema as an adapters.Schema."""
        return Schema.from_json(self.input_schema)

    @property
    def output(self) -> Schema | None:
        """The output schema as an adapters.Schema, or None when unlabeled."""
        return Schema.from_json(self.output_schema) if self.output_schema else None


class DatasetRow(models.Model):
    """One typed row of a dataset, as JSON; it never leaves the mine."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rows")
    index = models.PositiveIntegerField()
    values = models.JSONField()

    class Meta:
        ordering = ["dataset_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "index"], name="dataset_row_index_unique")
        ]

    def __str__(self) -> str:
        return f"row {self.index} of {self.dataset_id}"


class MinePolicy(models.Model):
    """Which campaigns a mine may join; empty allow lists mean 'any', deny lists always win."""

    mine = models.OneToOneField(Mine, on_delete=models.CASCADE, related_name="policy")
    allowed_campaign_ids = models.JSONField(default=list, blank=True)
    denied_campaign_ids = models.JSONField(default=list, blank=True)
    allowed_schema_fingerprints = models.JSONField(default=list, blank=True)
    denied_schema_fingerprints = models.JSONField(default=list, blank=True)
    min_bounty_minor = models.PositiveBigIntegerField(
        default=0, help_text="Campaigns with a smaller bounty (minor units) are skipped."
    )
    max_contributions_per_campaign = models.PositiveIntegerField(default=10)
    # Off until the owner says so: a new mine must not start sending gradients on its own.
    auto_participate = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "mine policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_contributions_per_campaign__gte=1),
                name="policy_max_contributions_at_least_one",
            )
        ]

    def __str__(self) -> str:
        return f"Policy of {self.mine.name}"


class PrivacyBudget(models.Model):
    """Differential-privacy budget of a mine: what it may spend in total and has spent."""

    mine = models.OneToOneField(Mine, on_delete=models.CASCADE, related_name="privacy_budget")
    epsilon_total = models.DecimalField(**BUDGET_DIGITS, default=Decimal("10"))
    delta_total = models.DecimalField(**BUDGET_DIGITS, default=Decimal("0.00001"))
    epsilon_spent = models.DecimalField(**BUDGET_DIGITS, default=Decimal("0"))
    delta_spent = models.DecimalField(**BUDGET_DIGITS, default=Decimal("0"))
    # Spent once per release (data content × model spec × scaling), not per gradient: every
    # later version reuses the release. 3 keeps wine within 5 points (docs/privacy.md).
    epsilon_per_contribution = models.DecimalField(**BUDGET_DIGITS, default=Decimal("3"))
    delta_per_contribution = models.DecimalField(**BUDGET_DIGITS, default=Decimal("0.000001"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(epsilon_spent__lte=F("epsilon_total")),
                name="budget_epsilon_spent_within_total",
            ),
            models.CheckConstraint(
                condition=Q(delta_spent__lte=F("delta_total")),
                name="budget_delta_spent_within_total",
            ),
            models.CheckConstraint(
                condition=Q(epsilon_spent__gte=0)
                & Q(delta_spent__gte=0)
                & Q(epsilon_total__gte=0)
                & Q(delta_total__gte=0)
                & Q(epsilon_per_contribution__gte=0)
                & Q(delta_per_contribution__gte=0),
                name="budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(delta_total__lte=1), name="budget_delta_is_a_probability"
            ),
        ]

    def __str__(self) -> str:
        return f"Privacy budget of {self.mine.name}"

    @property
    def epsilon_left(self) -> Decimal:
        """Epsilon still available."""
        return self.epsilon_total - self.epsilon_spent

    @property
    def delta_left(self) -> Decimal:
        """Delta still available."""
        return self.delta_total - self.delta_spent


class Contribution(models.Model):
    """One attempt of a mine to help a campaign: a gradient submitted, or a recorded skip."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"
    SKIPPED = "skipped"
    STATUS_CHOICES = [(status, status) for status in CONTRIBUTION_STATUSES]
    # These count against the policy's maximum per campaign; skips and failures do not.
    COUNTED = (PENDING, SUBMITTED, ACCEPTED, REJECTED)

    mine = models.ForeignKey(Mine, on_delete=models.CASCADE, related_name="contributions")
    dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="contributions"
    )
    campaign_id = models.PositiveBigIntegerField(help_text="Sonar's id of the campaign.")
    campaign_name = models.CharField(max_length=200, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    n_samples = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=PENDING)
    reason = models.TextField(blank=True)
    submission_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Sonar's id of the gradient submission."
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    earnings_minor = models.PositiveBigIntegerField(default=0)
    # Earnings are promised when the gradient is accepted and paid when the campaign settles.
    settled_at = models.DateTimeField(
        null=True, blank=True, help_text="When Sonar settled the campaign and paid these earnings."
    )
    epsilon_spent = models.DecimalField(**BUDGET_DIGITS, default=Decimal("0"))
    delta_spent = models.DecimalField(**BUDGET_DIGITS, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CONTRIBUTION_STATUSES),
                name="contribution_status_known",
            ),
            # Only an accepted gradient earns; anything else carrying money is a bookkeeping bug.
            models.CheckConstraint(
                condition=Q(status="accepted") | Q(earnings_minor=0),
                name="contribution_earns_only_when_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(idempotency_key=""), name="contribution_idempotency_key_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(epsilon_spent__gte=0) & Q(delta_spent__gte=0),
                name="contribution_budget_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["mine", "campaign_id"], name="contribution_campaign_idx")]

    def __str__(self) -> str:
        return f"{self.mine.name} → campaign {self.campaign_id}: {self.status}"


class PrivateRelease(models.Model):
    """Noisy statistics of one data content, released once and reused by every version and mine.

    One row per (owner, release_key): the key names the rows' content (sha256), the model spec,
    the clipping and the budget, so the same rows never get fresh noise twice, whichever of the
    owner's mines asks. The epsilon of all releases of one content adds up against the budget.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_releases"
    )
    mine = models.ForeignKey(
        Mine, on_delete=models.SET_NULL, null=True, blank=True, related_name="private_releases"
    )
    content_sha256 = models.CharField(max_length=64)
    release_key = models.CharField(max_length=64)
    epsilon = models.DecimalField(**BUDGET_DIGITS)
    delta = models.DecimalField(**BUDGET_DIGITS)
    statistics = models.JSONField(help_text="The noisy G, b and count: never the exact ones.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "release_key"], name="private_release_once_per_owner"
            ),
            models.CheckConstraint(
                condition=Q(epsilon__gt=0) & Q(delta__gte=0), name="private_release_costs"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "content_sha256"], name="private_release_content_idx")
        ]

    def __str__(self) -> str:
        return f"Release {self.release_key[:12]} of {self.content_sha256[:12]} (ε={self.epsilon})"
