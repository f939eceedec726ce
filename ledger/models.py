"""The ledger's tables: the hash chain and its head, accounts and transfers, checkpoints, blobs.

Entries, transfers and checkpoints are append-only: migration 0002 installs database triggers
that refuse UPDATE, DELETE and TRUNCATE, so no code path (ORM, admin, raw SQL) can edit them.
"""

from __future__ import annotations

import json
import secrets
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q

from ledger.canonical import GENESIS_HASH


class EntryKind(models.TextChoices):
    """Every kind of event the ledger records; kinds are only ever added, never removed."""

    CAMPAIGN_CREATED = "campaign.created"
    CAMPAIGN_LAUNCHED = "campaign.launched"
    CAMPAIGN_CLOSED = "campaign.closed"
    CAMPAIGN_COMPLETED = "campaign.completed"
    CAMPAIGN_CANCELLED = "campaign.cancelled"
    BOUNTY_ESCROWED = "bounty.escrowed"
    BOUNTY_REFUNDED = "bounty.refunded"
    KEY_PUBLISHED = "key.published"
    MODEL_PUBLISHED = "model.published"
    GRADIENT_SUBMITTED = "gradient.submitted"
    GRADIENT_ACCEPTED = "gradient.accepted"
    GRADIENT_REJECTED = "gradient.rejected"
    PAYOUT_ACCRUED = "payout.accrued"
    PAYOUT_SETTLED = "payout.settled"
    ACCOUNT_DEPOSIT = "account.deposit"
    ACCOUNT_TRANSFER = "account.transfer"
    ACCOUNT_WITHDRAWAL = "account.withdrawal"


ENTRY_KINDS = frozenset(EntryKind.values)


class Entry(models.Model):
    """One link of the hash chain; its hash covers everything in the row."""

    seq = models.BigIntegerField(primary_key=True)
    version = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField()
    # Not a choices field: adding a kind must not need a migration. ledger_append validates it.
    kind = models.CharField(max_length=64)
    # A plain integer, not a foreign key: the ledger depends on no business app, and an entry
    # must outlive anything it mentions.
    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Canonical JSON text, stored exactly as hashed (a jsonb column would re-order the keys).
    payload_json = models.TextField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_entry_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    @cached_property
    def payload(self) -> dict:
        """The payload as a dict."""
        return json.loads(self.payload_json)


class LedgerHead(models.Model):
    """The one row naming the last entry; locking it serializes appends (see ledger_append)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ledger_head"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_head_single_row")]

    def __str__(self) -> str:
        return f"head at #{self.seq}"


class AccountKind(models.TextChoices):
    WALLET = "wallet", "person's wallet"
    ESCROW = "escrow", "campaign escrow"
    EXTERNAL = "external", "outside world"


def new_account_public_id() -> str:
    return f"acct_{secrets.token_urlsafe(12)}"


class Account(models.Model):
    """A place money can be: a person's wallet, a campaign's escrow, or the world outside."""

    public_id = models.CharField(max_length=40, unique=True, default=new_account_public_id)
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # money history outlives nobody: deactivate people instead
        related_name="ledger_accounts",
    )
    campaign_id = models.BigIntegerField(null=True, blank=True)
    # Kept in the same transaction as every transfer; ledger_verify re-derives it from them.
    balance_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The database, not only Python, refuses an overdraft.
            models.CheckConstraint(
                condition=Q(kind=AccountKind.EXTERNAL) | Q(balance_minor__gte=0),
                name="ledger_account_no_overdraft",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=AccountKind.WALLET, user__isnull=False, campaign_id__isnull=True)
                    | Q(kind=AccountKind.ESCROW, user__isnull=True, campaign_id__isnull=False)
                    | Q(kind=AccountKind.EXTERNAL, user__isnull=True, campaign_id__isnull=True)
                ),
                name="ledger_account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="wallet"), name="ledger_one_wallet_per_user"
            ),
            models.UniqueConstraint(
                fields=["campaign_id"],
                condition=Q(kind="escrow"),
                name="ledger_one_escrow_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="external"), name="ledger_one_external_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.kind})"


class Transfer(models.Model):
    """Money moving from one account (debit) to another (credit), recorded by one entry."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits")
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    amount_minor = models.BigIntegerField()
    memo = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=64)
    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="transfer")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["entry_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="ledger_transfer_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(debit=models.F("credit")), name="ledger_transfer_two_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} from {self.debit_id} to {self.credit_id} (#{self.entry_id})"


class Checkpoint(models.Model):
    """A signed Merkle root over the first tree_size entries."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_fingerprint = models.CharField(max_length=64)
    # ASCII-armored detached OpenPGP signature over ledger.canonical.checkpoint_statement().
    signature = models.TextField()

    class Meta:
        ordering = ["tree_size"]
        get_latest_by = "tree_size"
        constraints = [
            models.CheckConstraint(
                condition=Q(tree_size__gte=1), name="ledger_checkpoint_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"checkpoint at {self.tree_size}"


class Blob(models.Model):
    """A stored model or gradient: its bytes live in the blob storage under their sha256."""

    address = models.CharField(max_length=64, primary_key=True)
    size_bytes = models.BigIntegerField()
    kind = models.CharField(max_length=32, default="blob")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.address[:12]}… ({self.size_bytes} bytes)"


class MerkleNode(models.Model):
    """A cached Merkle node: the root of leaves index·2^level .. (index+1)·2^level − 1.

    Entries never change, so once its leaves exist a node never changes either. Proofs read
    these instead of hashing the whole ledger on every request; checkpoints and ledger_verify
    never use them, so a damaged cache can only make proofs fail to verify, and is repaired
    by deleting its rows (they are made again on demand).
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="ledger_merklenode_unique"),
        ]

    def __str__(self) -> str:
        return f"Merkle node {self.index} at level {self.level}"


class LedgerCheck(models.Model):
    """The outcome of one full verification, so operators see when the ledger was last checked."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    # VerifyReport.summary() when it held, the first problem (with its seq) when it did not.
    summary = models.TextField()
    # "schedule" for Celery beat, otherwise the operator who asked for it.
    requested_by = models.CharField(max_length=150, default="schedule")

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        outcome = "ok" if self.ok else "BROKEN"
        return f"ledger check at {self.finished_at:%Y-%m-%d %H:%M} UTC: {outcome}"


class DepositRequest(models.Model):
    """A person asks for money in their wallet; an operator approves it, and only then it moves.

    Approval calls ledger.services.deposit, so the money itself is a transfer on the chain like
    any other; this row only records who asked, for how much, and who said yes.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_requests"
    )
    amount_minor = models.BigIntegerField()
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposit_requests_approved",
    )
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="deposit_request"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="deposit_request_amount_positive"
            ),
            # Approved means the money moved: the transfer is there, and only then.
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(transfer__isnull=True))
                | (Q(status="approved") & Q(transfer__isnull=False)),
                name="deposit_request_approved_has_transfer",
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit request #{self.pk} of {self.amount_minor} for user {self.user_id}"
