"""Writes to the ledger: appending entries, moving money, storing blobs, signing checkpoints."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ledger import merkle
from ledger.canonical import (
    ENTRY_SUFFIX_TEMPLATE,
    HASH_VERSION,
    TRANSFER_PAYLOAD_KEY,
    checkpoint_statement,
    entry_hash,
    entry_prefix_bytes,
    format_timestamp,
    payload_canonical,
    transfer_payload,
)
from ledger.errors import (
    BalanceForgedError,
    BlobIntegrityError,
    BlobNotFoundError,
    BlobTooLargeError,
    ChainBrokenError,
    IdempotencyConflictError,
    InsufficientFundsError,
    LedgerError,
    LedgerUsageError,
)
from ledger.models import (
    ENTRY_KINDS,
    Account,
    AccountKind,
    Blob,
    Checkpoint,
    DepositRequest,
    Entry,
    LedgerHead,
    Transfer,
)
from ledger.selectors import account_balance, entry_leaf_hashes
from ledger.signing import platform_sign

logger = logging.getLogger(__name__)

__all__ = [
    "account_balance",
    "account_by_public_id",
    "account_escrow_for_campaign",
    "account_external",
    "account_wallet_for_user",
    "blob_get",
    "blob_put",
    "checkpoint_create",
    "deposit",
    "ledger_append",
    "transfer",
]

MAX_IDEMPOTENCY_KEY = 200
MAX_MEMO = 500


# --- The chain --------------------------------------------------------------------------------


def _require_transaction(operation: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise LedgerUsageError(
            f"{operation} must be called inside transaction.atomic(), so that the business "
            "write and its ledger entry commit or roll back together."
        )


def _check_kind(kind: str) -> None:
    if kind not in ENTRY_KINDS:
        raise ValueError(
            f"{kind!r} is not a ledger entry kind; use one of {', '.join(sorted(ENTRY_KINDS))} "
            "(new kinds are added to ledger.models.EntryKind)."
        )


def _check_campaign_id(campaign_id: int | None) -> None:
    if campaign_id is not None and (type(campaign_id) is not int or campaign_id < 1):
        raise ValueError(f"campaign_id must be a positive integer or None, not {campaign_id!r}.")


@dataclass
class _Head:
    seq: int
    hash: str
    created_at: datetime | None


def _db_datetime(value) -> datetime | None:
    """A timestamp read by raw SQL: aware from PostgreSQL, naive UTC (or text) from SQLite."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


# PostgreSQL: writers first queue on a transaction-level advisory lock, then lock the head row.
# The row lock is what makes appends correct; the queue only makes them fast. Without it, when
# the holder commits every waiter wakes to re-read the head row and all but one go back to
# sleep; the lock manager instead hands the turn to the next writer in line (about 15% more
# appends per second with 8 writers on 2 CPUs). Everything that locks the head takes both locks
# in this order, so they cannot deadlock. The key is this app's own.
APPEND_QUEUE_LOCK = 7411
_HEAD = "SELECT seq, hash, created_at FROM ledger_head WHERE id = 1"
_HEAD_FOR_UPDATE = (
    "SELECT seq, hash, created_at FROM ledger_head, "
    "(SELECT pg_advisory_xact_lock(%s)) AS queue WHERE id = 1 FOR UPDATE OF ledger_head"
)


def _head_for_update() -> _Head:
    """Lock the head row until the current transaction ends, and read it.

    Why a lock on one row: every append reads the head (last seq and hash) and writes its
    successor. Holding the row lock until commit means the next writer waits, then reads the
    committed head, so two writers can never both extend the same entry (a fork), and a writer
    that rolls back takes its head move with it (no gap, unlike a sequence). The price is that
    appends are serial, so callers append last in their transaction, after any slow work.
    """
    connection = transaction.get_connection()
    # SQLite has no FOR UPDATE; its writers are serialized by BEGIN IMMEDIATE (settings.py).
    if connection.features.has_select_for_update:
        query, params = _HEAD_FOR_UPDATE, [APPEND_QUEUE_LOCK]
    else:
        query, params = _HEAD, []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
        if row is None:
            # First use (or a test database just flushed): start from the last entry, if any.
            last = Entry.objects.order_by("-seq").first()
            LedgerHead.objects.bulk_create(
                [
                    LedgerHead(id=1)
                    if last is None
                    else LedgerHead(id=1, seq=last.seq, hash=last.hash, created_at=last.created_at)
                ],
                ignore_conflicts=True,  # another process may create it at the same moment
            )
            cursor.execute(query, params)
            row = cursor.fetchone()
    return _Head(seq=row[0], hash=row[1], created_at=_db_datetime(row[2]))


_INSERT_ENTRY = (
    "INSERT INTO ledger_entry "
    "(seq, version, created_at, kind, campaign_id, payload_json, prev_hash, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)

# PostgreSQL: lock the head, read it, hash and insert its successor in one statement. Every
# writer waits on the head lock until the holder commits, so the time the lock is held is the
# ledger's throughput; one round trip under the lock instead of three is most of the speed.
# Python still decides the canonical bytes: it sends the part it knows (the prefix) and the
# layout of the rest (canonical.ENTRY_SUFFIX_TEMPLATE); the database only fills in the head's
# fields. Every hash is re-checked in Python by ledger_verify and by the tests.
_APPEND_POSTGRES = """
WITH head AS (
    SELECT seq + 1 AS seq, hash AS prev_hash,
           GREATEST(clock_timestamp(), created_at) AS created_at
    FROM ledger_head, (SELECT pg_advisory_xact_lock(%(queue)s)) AS queue
    WHERE id = 1 FOR UPDATE OF ledger_head
)
INSERT INTO ledger_entry
    (seq, version, created_at, kind, campaign_id, payload_json, prev_hash, hash)
SELECT seq, %(version)s, created_at, %(kind)s, %(campaign_id)s, %(payload_json)s, prev_hash,
       encode(sha256(%(prefix)s || convert_to(format(
           %(suffix)s, prev_hash, seq,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), %(version)s
       ), 'UTF8')), 'hex')
FROM head
RETURNING seq, created_at, prev_hash, hash
"""
# PostgreSQL's format() knows only %s.
_POSTGRES_SUFFIX = ENTRY_SUFFIX_TEMPLATE.replace("%d", "%s")


def _append_postgres(connection, *, kind: str, payload_json: str, campaign_id: int | None):
    with connection.cursor() as cursor:
        cursor.execute(
            _APPEND_POSTGRES,
            {
                "version": HASH_VERSION,
                "kind": kind,
                "campaign_id": campaign_id,
                "payload_json": payload_json,
                "prefix": entry_prefix_bytes(
                    kind=kind, campaign_id=campaign_id, payload_json=payload_json
                ),
                "suffix": _POSTGRES_SUFFIX,
                "queue": APPEND_QUEUE_LOCK,
            },
        )
        return cursor.fetchone()


def _append_here(head: _Head, *, kind: str, payload_json: str, campaign_id: int | None):
    """SQLite: the head is read and locked already (its writers are serialized anyway)."""
    now = timezone.now()
    if head.created_at is not None and now < head.created_at:
        # Clocks step backwards (NTP, another machine); the chain's timestamps never do.
        now = head.created_at
    seq = head.seq + 1
    digest = entry_hash(
        version=HASH_VERSION,
        seq=seq,
        prev_hash=head.hash,
        kind=kind,
        campaign_id=campaign_id,
        payload_json=payload_json,
        timestamp=format_timestamp(now),
    )
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_ENTRY,
            [
                seq,
                HASH_VERSION,
                connection.ops.adapt_datetimefield_value(now),
                kind,
                campaign_id,
                payload_json,
                head.hash,
                digest,
            ],
        )
    return seq, now, head.hash, digest


def _append(head: _Head | None, *, kind: str, payload_json: str, campaign_id: int | None) -> Entry:
    """Write the head's successor and keep the head locked until the transaction ends.

    The database's insert trigger checks the link and advances the head.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        row = _append_postgres(
            connection, kind=kind, payload_json=payload_json, campaign_id=campaign_id
        )
        if row is None:  # no head row yet: make it, then append
            _head_for_update()
            row = _append_postgres(
                connection, kind=kind, payload_json=payload_json, campaign_id=campaign_id
            )
    else:
        row = _append_here(
            head or _head_for_update(),
            kind=kind,
            payload_json=payload_json,
            campaign_id=campaign_id,
        )
    seq, created_at, prev_hash, digest = row
    entry = Entry(
        seq=seq,
        version=HASH_VERSION,
        created_at=_db_datetime(created_at),
        kind=kind,
        campaign_id=campaign_id,
        payload_json=payload_json,
        prev_hash=prev_hash,
        hash=digest,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    if head is not None:
        head.seq, head.hash, head.created_at = seq, digest, entry.created_at
    return entry


def ledger_append(*, kind: str, payload: dict, campaign_id: int | None = None) -> Entry:
    """Append one entry inside the caller's transaction; it commits or rolls back with it.

    The head stays locked until that transaction ends, so append last, after any slow work.
    """
    _require_transaction("ledger_append")
    _check_kind(kind)
    _check_campaign_id(campaign_id)
    if isinstance(payload, dict) and TRANSFER_PAYLOAD_KEY in payload:
        raise ValueError(
            f"The payload key {TRANSFER_PAYLOAD_KEY!r} is reserved for entries written by "
            "transfer(); move money with transfer(), or rename the key."
        )
    payload_json = payload_canonical(payload)  # before the lock: a bad payload waits for no one
    return _append(None, kind=kind, payload_json=payload_json, campaign_id=campaign_id)


# --- Accounts ---------------------------------------------------------------------------------


def _account_get_or_create(**owner) -> Account:
    account = Account.objects.filter(**owner).first()
    if account is None:
        # ON CONFLICT DO NOTHING: two requests may create the same wallet at once.
        Account.objects.bulk_create([Account(**owner)], ignore_conflicts=True)
        account = Account.objects.get(**owner)
    return account


def account_wallet_for_user(*, user) -> Account:
    """The person's wallet, created on first use."""
    if user is None or not getattr(user, "pk", None):
        raise ValueError("A wallet belongs to a saved user.")
    return _account_get_or_create(kind=AccountKind.WALLET, user=user)


def account_escrow_for_campaign(*, campaign_id: int) -> Account:
    """The campaign's escrow, created on first use."""
    _check_campaign_id(campaign_id)
    if campaign_id is None:
        raise ValueError("An escrow belongs to a campaign; campaign_id is required.")
    return _account_get_or_create(kind=AccountKind.ESCROW, campaign_id=campaign_id)


def account_external() -> Account:
    """The world outside the platform: deposits come from it, so it alone goes negative."""
    return _account_get_or_create(kind=AccountKind.EXTERNAL)


def account_by_public_id(*, public_id: str) -> Account:
    """The account with that public id; raises Account.DoesNotExist."""
    return Account.objects.get(public_id=public_id)


# --- Transfers --------------------------------------------------------------------------------


def _format_minor(amount_minor: int) -> str:
    return f"{amount_minor:,} minor units ({settings.SONAR_CURRENCY})"


def transfer_payload_json(*, amount_minor: int, debit: Account, credit: Account, memo: str) -> str:
    """The canonical payload of a transfer's entry; ledger_verify rebuilds it from the row."""
    return payload_canonical(
        transfer_payload(
            amount_minor=amount_minor,
            debit=debit.public_id,
            debit_kind=debit.kind,
            credit=credit.public_id,
            credit_kind=credit.kind,
            memo=memo,
        )
    )


def _check_transfer_arguments(
    *, debit: Account, credit: Account, amount_minor: int, idempotency_key: str, memo: str
) -> None:
    if type(amount_minor) is not int or amount_minor <= 0:
        raise ValueError(
            f"amount_minor must be a positive whole number of minor units, not {amount_minor!r}."
        )
    if debit.pk is None or credit.pk is None:
        raise ValueError("Both accounts of a transfer must be saved accounts.")
    if debit.pk == credit.pk:
        raise ValueError(f"A transfer needs two different accounts; both are {debit.public_id}.")
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValueError("A transfer needs an idempotency key (a non-empty string).")
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError(
            f"The idempotency key is {len(idempotency_key)} characters; "
            f"at most {MAX_IDEMPOTENCY_KEY} are allowed."
        )
    if not isinstance(memo, str) or len(memo) > MAX_MEMO:
        raise ValueError(f"The memo must be text of at most {MAX_MEMO} characters.")


def _replayed(
    existing: Transfer,
    *,
    debit: Account,
    credit: Account,
    amount_minor: int,
    memo: str,
    kind: str,
    campaign_id: int | None,
) -> Transfer:
    """The original transfer when a retry asks for the same thing; an error when it does not."""
    same = (
        existing.debit_id == debit.pk
        and existing.credit_id == credit.pk
        and existing.amount_minor == amount_minor
        and existing.memo == memo
        and existing.kind == kind
        and existing.campaign_id == campaign_id
    )
    if not same:
        raise IdempotencyConflictError(
            f"The idempotency key {existing.idempotency_key!r} was already used for a different "
            f"transfer ({_format_minor(existing.amount_minor)} from {existing.debit.public_id} "
            f"to {existing.credit.public_id}, memo {existing.memo!r}); this request asks for "
            f"{_format_minor(amount_minor)} from {debit.public_id} to {credit.public_id}, memo "
            f"{memo!r}. Use a new key for a new transfer."
        )
    return existing


def transfer(
    *,
    debit: Account,
    credit: Account,
    amount_minor: int,
    idempotency_key: str,
    memo: str,
    kind: str = "account.transfer",
    campaign_id: int | None = None,
) -> Transfer:
    """Move amount_minor from debit to credit and record it as one ledger entry.

    Idempotent: the same key with the same request returns the original transfer; the same key
    with a different request raises IdempotencyConflictError. Raises InsufficientFundsError,
    changing nothing, when debit is a wallet or escrow that holds less than amount_minor.
    """
    _check_kind(kind)
    _check_campaign_id(campaign_id)
    _check_transfer_arguments(
        debit=debit,
        credit=credit,
        amount_minor=amount_minor,
        idempotency_key=idempotency_key,
        memo=memo,
    )
    request = {
        "debit": debit,
        "credit": credit,
        "amount_minor": amount_minor,
        "memo": memo,
        "kind": kind,
        "campaign_id": campaign_id,
    }
    existing = _transfer_by_key(idempotency_key)
    if existing is not None:
        return _replayed(existing, **request)
    try:
        created, source, target = _transfer_locked(
            debit=debit,
            credit=credit,
            amount_minor=amount_minor,
            idempotency_key=idempotency_key,
            memo=memo,
            kind=kind,
            campaign_id=campaign_id,
        )
    except IntegrityError:
        # A retry with the same key committed while this one waited for the head; the unique
        # key rolled this one back whole, entry included. Answer as the retry it is.
        existing = _transfer_by_key(idempotency_key)
        if existing is None:
            raise
        return _replayed(existing, **request)
    # The caller's objects now show the balances this transfer left.
    debit.balance_minor = source.balance_minor - amount_minor
    credit.balance_minor = target.balance_minor + amount_minor
    return created


def _transfer_by_key(idempotency_key: str) -> Transfer | None:
    return (
        Transfer.objects.select_related("debit", "credit")
        .filter(idempotency_key=idempotency_key)
        .first()
    )


def _balance_from_transfers(account: Account) -> int:
    """What the account holds according to its transfers alone."""
    totals = Transfer.objects.filter(Q(credit_id=account.pk) | Q(debit_id=account.pk)).aggregate(
        credited=Coalesce(Sum("amount_minor", filter=Q(credit_id=account.pk)), 0),
        debited=Coalesce(Sum("amount_minor", filter=Q(debit_id=account.pk)), 0),
    )
    return totals["credited"] - totals["debited"]


@transaction.atomic
def _transfer_locked(
    *,
    debit: Account,
    credit: Account,
    amount_minor: int,
    idempotency_key: str,
    memo: str,
    kind: str,
    campaign_id: int | None,
) -> tuple[Transfer, Account, Account]:
    """The transfer itself, under the head lock: every statement here makes others wait."""
    # The head first, then the accounts by id: every ledger write takes its locks in this one
    # order, so a transaction that appended an entry before transferring cannot deadlock with a
    # transfer that is waiting to append.
    head = _head_for_update()
    locked = {
        account.pk: account
        for account in Account.objects.select_for_update()
        .filter(pk__in=[debit.pk, credit.pk])
        .order_by("pk")
    }
    source, target = locked[debit.pk], locked[credit.pk]
    if source.kind != AccountKind.EXTERNAL:
        # Spend only what the transfers say the account holds: a balance raised behind the
        # ledger's back (triggers disabled, a restored backup) must not buy anything.
        earned = _balance_from_transfers(source)
        if earned != source.balance_minor:
            logger.error(
                "Account %s stores %d but its transfers sum to %d; spending refused.",
                source.public_id, source.balance_minor, earned,
            )  # fmt: skip
            raise BalanceForgedError(
                f"Account {source.public_id}'s balance does not match its transfers; nothing "
                "was transferred. The operator must run `manage.py ledger_verify`."
            )
    if source.kind != AccountKind.EXTERNAL and source.balance_minor < amount_minor:
        raise InsufficientFundsError(
            f"Account {source.public_id} holds {_format_minor(source.balance_minor)}; "
            f"it cannot pay {_format_minor(amount_minor)}. Nothing was transferred."
        )
    payload_json = transfer_payload_json(
        amount_minor=amount_minor, debit=source, credit=target, memo=memo
    )
    entry = _append(head, kind=kind, payload_json=payload_json, campaign_id=campaign_id)
    # Inserting the transfer moves both balances: a database trigger does it (migration 0005),
    # and refuses any other change of a balance. The CHECK constraint
    # ledger_account_no_overdraft backs the test above in the database.
    created = Transfer.objects.create(
        idempotency_key=idempotency_key,
        debit=source,
        credit=target,
        amount_minor=amount_minor,
        memo=memo,
        kind=kind,
        campaign_id=campaign_id,
        entry=entry,
        created_at=entry.created_at,
    )
    return created, source, target


def deposit(*, user, amount_minor: int, idempotency_key: str, memo: str) -> Transfer:
    """Money from outside into the person's wallet (an operator's deposit or a demo credit)."""
    return transfer(
        debit=account_external(),
        credit=account_wallet_for_user(user=user),
        amount_minor=amount_minor,
        idempotency_key=idempotency_key,
        memo=memo,
        kind="account.deposit",
    )


# --- Blobs ------------------------------------------------------------------------------------

_ADDRESS = re.compile(r"[0-9a-f]{64}")


def _blob_name(address: str) -> str:
    # Two levels of fan-out keep directories small on file systems.
    return f"{address[:2]}/{address[2:4]}/{address}"


def blob_put(data: bytes, *, kind: str = "blob") -> str:
    """Store bytes under their sha256 and return the address; storing twice is harmless."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"blob_put stores bytes, not {type(data).__name__}.")
    data = bytes(data)
    limit = settings.BLOB_MAX_BYTES
    if len(data) > limit:
        raise BlobTooLargeError(
            f"The {kind} is {len(data):,} bytes; the platform stores at most {limit:,} bytes "
            "per blob (BLOB_MAX_BYTES)."
        )
    address = hashlib.sha256(data).hexdigest()
    storage = storages["blobs"]
    name = _blob_name(address)
    if storage.exists(name) and storage.size(name) != len(data):
        storage.delete(name)  # a truncated copy from a crash mid-write: replace it
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(data))
        if saved != name:
            # An identical writer won the race; its copy is the same bytes, so drop ours.
            storage.delete(saved)
    Blob.objects.bulk_create(
        [Blob(address=address, size_bytes=len(data), kind=kind)], ignore_conflicts=True
    )
    return address


def blob_get(address: str) -> bytes:
    """The bytes stored at address, re-hashed on every read."""
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
        raise BlobNotFoundError(
            f"{address!r} is not a blob address; an address is the 64 lowercase hex digits of "
            "the sha256 of the bytes."
        )
    storage = storages["blobs"]
    name = _blob_name(address)
    if not storage.exists(name):
        raise BlobNotFoundError(f"No blob is stored at {address}.")
    try:
        with storage.open(name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as exc:
        raise BlobNotFoundError(f"No blob is stored at {address}.") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != address:
        raise BlobIntegrityError(
            f"The blob stored at {address} is damaged: its {len(data):,} bytes hash to {actual}. "
            "It cannot be used; restore it from a backup."
        )
    return data


# --- Checkpoints ------------------------------------------------------------------------------


def checkpoint_create() -> Checkpoint:
    """Sign the Merkle root of every committed entry; returns the existing one if none is new."""
    head = LedgerHead.objects.filter(pk=1).first()
    size = head.seq if head is not None else 0
    if size == 0:
        raise LedgerError("The ledger has no entries yet; there is nothing to checkpoint.")
    existing = Checkpoint.objects.filter(tree_size=size).first()
    if existing is not None:
        return existing
    # Entries 1..size are committed and immutable: the head moved in their transactions.
    leaves = entry_leaf_hashes(size=size)
    if len(leaves) != size:
        raise ChainBrokenError(
            f"The head says {size} entries but {len(leaves)} are stored; run "
            "`manage.py ledger_verify` before signing anything.",
            seq=len(leaves) + 1,
        )
    root_hash = merkle.root(leaves).hex()
    now = timezone.now()
    statement = checkpoint_statement(
        tree_size=size, root_hash=root_hash, timestamp=format_timestamp(now)
    )
    signature, fingerprint = platform_sign(statement)
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(
                tree_size=size,
                root_hash=root_hash,
                created_at=now,
                key_fingerprint=fingerprint,
                signature=signature,
            )
    except IntegrityError:
        # A beat task and an operator signed the same size at once; the first one stands.
        return Checkpoint.objects.get(tree_size=size)


# --- Deposit requests -------------------------------------------------------------------------

MAX_DEPOSIT_REQUEST_MINOR = 100_000_000_00


def deposit_request_create(*, user, amount_minor: int, note: str = "") -> DepositRequest:
    """A person asks an operator to credit their wallet; nothing moves until it is approved."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise LedgerUsageError("amount: ask for a positive amount.")
    if amount_minor > MAX_DEPOSIT_REQUEST_MINOR:
        raise LedgerUsageError(
            f"amount: at most {_format_minor(MAX_DEPOSIT_REQUEST_MINOR)} per request; "
            "ask for less, or make several requests."
        )
    return DepositRequest.objects.create(user=user, amount_minor=amount_minor, note=note[:300])


def deposit_request_approve(*, request: DepositRequest, approved_by) -> DepositRequest:
    """An operator approves a request: the deposit is made once, however often this is called."""
    if not getattr(approved_by, "is_staff", False):
        raise LedgerUsageError("Only operators can approve deposit requests.")
    with transaction.atomic():
        locked = DepositRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status == DepositRequest.Status.APPROVED:
            return locked
        locked.transfer = deposit(
            user=locked.user,
            amount_minor=locked.amount_minor,
            idempotency_key=f"deposit-request:{locked.pk}",
            memo=f"Deposit request #{locked.pk} approved by {approved_by.username}",
        )
        locked.status = DepositRequest.Status.APPROVED
        locked.approved_by = approved_by
        locked.approved_at = timezone.now()
        locked.save()
    return locked


def deposit_demo_credit(*, user) -> Transfer:
    """Test money for one's own wallet, only where the platform runs in demo mode."""
    if not settings.SONAR_DEMO_MODE:
        raise LedgerUsageError(
            "Test funds exist only in demo mode; ask an operator to approve a deposit request."
        )
    with transaction.atomic():
        return deposit(
            user=user,
            amount_minor=settings.SONAR_DEMO_CREDIT_MINOR,
            idempotency_key=f"demo-credit:{user.pk}:{uuid.uuid4()}",
            memo="Demo credit (test funds)",
        )
