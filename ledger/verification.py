"""Recompute everything the ledger claims and name the first thing that does not add up."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Sum

from ledger import merkle
from ledger.canonical import (
    GENESIS_HASH,
    checkpoint_statement,
    format_timestamp,
)
from ledger.chainscan import (
    Row,
    Segment,
    check_transfers,
    scan_postgres,
    scan_postgres_segment,
    segment_from_scanner,
    segment_scanner,
)
from ledger.errors import ChainBrokenError
from ledger.models import ENTRY_KINDS, Account, AccountKind, Checkpoint, Entry, Transfer
from ledger.openpgp import SignatureChecker
from ledger.signing import platform_key_fingerprint, platform_public_key

BATCH_SIZE = 10_000
# Worker processes pay for themselves only on long chains.
PARALLEL_MIN_ENTRIES = 50_000
PARALLEL_MIN_SEGMENT = 1 << 13
KINDS = sorted(ENTRY_KINDS)


def _start_method() -> str:
    """fork when this process runs one thread; otherwise spawn.

    A forked worker starts in milliseconds (a spawned one spends a third of a second importing),
    but fork copies only the calling thread: a lock another thread held at that moment (logging,
    a connection pool) would stay locked forever in the child. So fork only when no other thread
    exists, as in manage.py ledger_verify and the benchmark; a threaded server or worker gets
    spawn.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


@dataclass
class VerifyReport:
    """What a successful verification covered."""

    entries: int = 0
    transfers: int = 0
    accounts: int = 0
    checkpoints: int = 0
    root_hash: str = merkle.EMPTY_ROOT.hex()
    key_fingerprint: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people and cron mail."""
        signed = (
            f"{self.checkpoints} checkpoints signed by {self.key_fingerprint}"
            if self.checkpoints
            else "no checkpoints yet"
        )
        return (
            f"Ledger OK: {self.entries} entries chained from genesis, {self.transfers} transfers "
            f"matching {self.accounts} account balances that sum to zero, {signed}; "
            f"Merkle root {self.root_hash} at tree size {self.entries} ({self.seconds:.2f}s)."
        )


@dataclass
class _Scan:
    count: int = 0
    last_hash: str = GENESIS_HASH
    # Merkle root of every checkpoint size, and of the whole chain
    roots: dict[int, bytes] = field(default_factory=dict)
    # (seq, kind, campaign_id, payload_json) of every entry that records a transfer, in order
    transfer_entries: list[tuple[int, str, int | None, str]] = field(default_factory=list)
    # When worker processes already checked the transfers: how many, and the first problem
    transfers_checked: int | None = None
    transfer_error: tuple[int | None, str] | None = None


def _sqlite_rows(start: int, upto: int) -> Iterator[list[Row]]:
    """Batches of scanner rows read through the ORM (SQLite stores timestamps as text)."""
    after = start - 1
    while after < upto:
        rows = [
            (seq, version, format_timestamp(created_at), kind, campaign, payload, prev, digest)
            for seq, version, created_at, kind, campaign, payload, prev, digest in (
                Entry.objects.filter(seq__gt=after, seq__lte=upto)
                .order_by("seq")
                .values_list(
                    "seq",
                    "version",
                    "created_at",
                    "kind",
                    "campaign_id",
                    "payload_json",
                    "prev_hash",
                    "hash",
                )[:BATCH_SIZE]
            )
        ]
        if not rows:
            return
        after = rows[-1][0]
        yield rows


def _scan_here(
    start: int, span: int, upto: int, sizes: list[int], progress: Callable[[int], None] | None
) -> Segment:
    """Scan in this process, over Django's connection (and inside its transaction)."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        segment = scan_postgres(connection.connection, KINDS, start, span, upto, sizes)
        if progress is not None:
            progress(segment.count)
        return segment
    scanner = segment_scanner(KINDS, start=start, span=span, sizes=sizes)
    error = None
    try:
        for rows in _sqlite_rows(start, upto):
            scanner.feed(rows)
            if progress is not None:
                progress(len(rows))
    except ChainBrokenError as exc:
        error = (exc.seq, str(exc))
    segment = segment_from_scanner(scanner, start=start, span=span)
    segment.error = error
    return segment


def _postgres_conninfo() -> dict:
    """Connection parameters a worker process can use to reach the same database."""
    settings_dict = connection.settings_dict
    info = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if isinstance(value, str | int) and key not in {"isolation_level", "server_side_binding"}
    }
    return {**{k: v for k, v in info.items() if v is not None}, **options}


def _segments(head_seq: int, jobs: int) -> tuple[int, list[tuple[int, int]]]:
    """Merkle-aligned stretches of the chain: (span, [(start, upto), ...])."""
    if jobs <= 1:
        span = 1 << max(0, (head_seq - 1).bit_length())
    else:
        # Several stretches per process, so that whoever finishes early takes another.
        span = max(PARALLEL_MIN_SEGMENT, 1 << max(0, (-(-head_seq // (jobs * 4)) - 1).bit_length()))
    return span, [(offset + 1, min(offset + span, head_seq)) for offset in range(0, head_seq, span)]


def _scan_chain(
    head_seq: int, sizes: list[int], jobs: int, progress: Callable[[int], None] | None
) -> _Scan:
    """Check entries 1..head_seq: hashes and links, in one process or several."""
    scan = _Scan()
    if head_seq == 0:
        return scan
    sizes = sorted(set(sizes) | {head_seq})
    span, pieces = _segments(head_seq, jobs)
    if len(pieces) == 1:
        segments = [_scan_here(1, span, head_seq, sizes, progress)]
    else:
        conninfo = _postgres_conninfo()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        # A forked child inherits this process's database connection but never touches it: it
        # opens its own, and leaves through os._exit, which closes nothing.
        with ProcessPoolExecutor(
            max_workers=min(jobs - 1, len(pieces) - 1),
            mp_context=multiprocessing.get_context(_start_method()),
        ) as pool:
            # The workers take stretches from the end while this process, already running,
            # takes them from the start, until the two meet.
            futures = {
                start: pool.submit(
                    scan_postgres_segment, conninfo, snapshot, KINDS, start, span, upto, sizes
                )
                for start, upto in reversed(pieces)
            }
            done: dict[int, Segment] = {}
            for start, upto in pieces:
                if not futures[start].cancel():
                    break
                done[start] = _scan_here(start, span, upto, sizes, progress)
            for start, _upto in pieces:
                if start not in done:
                    done[start] = futures[start].result()
                    if progress is not None:
                        progress(done[start].count)
        segments = [done[start] for start, _upto in pieces]

    # Stitch the segments together exactly as one pass over the chain would have: the same
    # checks, in the same order, so the same first bad seq is named.
    frontier = merkle.MerkleFrontier()
    expected, last_hash, last_timestamp = 1, GENESIS_HASH, ""
    for segment in segments:
        if segment.first_seq is None:
            continue  # no rows here; a later segment or the head will say what is missing
        if segment.first_seq != expected:
            raise ChainBrokenError(
                f"seq {expected}: missing; the chain jumps from seq {expected - 1} to seq "
                f"{segment.first_seq} (a deleted entry).",
                seq=expected,
            )
        error_seq, message = segment.error or (None, "")
        if error_seq != expected:  # the first row's own hash was fine: check its link
            if segment.first_prev_hash != last_hash:
                raise ChainBrokenError(
                    f"seq {expected}: prev_hash {segment.first_prev_hash} is not the hash of "
                    f"seq {expected - 1} ({last_hash}); the chain was cut or re-ordered here.",
                    seq=expected,
                )
            if (segment.first_timestamp or "") < last_timestamp:
                raise ChainBrokenError(
                    f"seq {expected}: timestamp {segment.first_timestamp} is earlier than seq "
                    f"{expected - 1}'s ({last_timestamp}); entries were re-ordered.",
                    seq=expected,
                )
        if segment.error is not None:
            raise ChainBrokenError(message, seq=error_seq)
        expected += segment.count
        last_hash, last_timestamp = segment.last_hash or last_hash, segment.last_timestamp
        base = frontier.subtrees()
        for size, subtrees in segment.partial_subtrees.items():
            scan.roots[size] = merkle.fold_subtrees(base + subtrees)
        if segment.root is not None:
            frontier.append(segment.root)
            scan.roots[segment.start - 1 + segment.span] = frontier.root()
        scan.transfer_entries.extend(segment.transfer_entries)
    scan.count = expected - 1
    scan.last_hash = last_hash
    if all(s.transfers_checked is not None or s.transfer_error is not None for s in segments):
        # The workers checked the transfers too; their verdict waits for _check_transfers, so
        # that chain and head problems are reported first, as in a single pass.
        scan.transfers_checked = sum(s.transfers_checked or 0 for s in segments)
        scan.transfer_error = next(
            (s.transfer_error for s in segments if s.transfer_error is not None), None
        )
    return scan


def _check_head(head_seq: int, head_hash: str, scan: _Scan) -> None:
    if scan.count < head_seq:
        raise ChainBrokenError(
            f"seq {scan.count + 1}: missing; the head says the chain ends at seq {head_seq} "
            f"but the stored entries stop at seq {scan.count}.",
            seq=scan.count + 1,
        )
    if scan.last_hash != head_hash:
        raise ChainBrokenError(
            f"seq {head_seq}: the head records hash {head_hash} but the entry's hash is "
            f"{scan.last_hash}.",
            seq=head_seq,
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(seq) FROM ledger_entry WHERE seq > %s", [head_seq])
        beyond = cursor.fetchone()[0]
    if beyond is not None:
        raise ChainBrokenError(
            f"seq {beyond}: stored beyond the head (seq {head_seq}); it was written around "
            "ledger_append.",
            seq=beyond,
        )


def _transfer_rows(head_seq: int) -> Iterator[tuple]:
    """Transfer rows with their accounts' public ids, in entry order, in bounded batches."""
    after = 0
    while True:
        rows = list(
            Transfer.objects.filter(entry_id__gt=after, entry_id__lte=head_seq)
            .order_by("entry_id")
            .values_list(
                "id",
                "entry_id",
                "amount_minor",
                "memo",
                "kind",
                "campaign_id",
                "debit__public_id",
                "debit__kind",
                "credit__public_id",
                "credit__kind",
            )[:BATCH_SIZE]
        )
        if not rows:
            return
        yield from rows
        after = rows[-1][1]


def _check_transfers(scan: _Scan, head_seq: int) -> int:
    """Transfers against their entries: done by the workers, or here for an in-process scan."""
    if scan.transfer_error is not None:
        seq, message = scan.transfer_error
        raise ChainBrokenError(message, seq=seq)
    if scan.transfers_checked is not None:
        return scan.transfers_checked
    return check_transfers(scan.transfer_entries, _transfer_rows(head_seq))


def _check_balances() -> int:
    """Each balance equals its transfers; wallets and escrows are not negative; all sum to 0."""
    credits = dict(
        Transfer.objects.values("credit_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("credit_id", "total")
    )
    debits = dict(
        Transfer.objects.values("debit_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("debit_id", "total")
    )
    total = 0
    count = 0
    for account_id, public_id, kind, balance in Account.objects.order_by("id").values_list(
        "id", "public_id", "kind", "balance_minor"
    ):
        count += 1
        expected = credits.get(account_id, 0) - debits.get(account_id, 0)
        if balance != expected:
            raise ChainBrokenError(
                f"Account {public_id} holds {balance} but its transfers add up to {expected}."
            )
        if kind != AccountKind.EXTERNAL and balance < 0:
            raise ChainBrokenError(f"Account {public_id} ({kind}) is negative: {balance}.")
        total += balance
    if total != 0:
        raise ChainBrokenError(f"The balances of all accounts sum to {total}, not zero.")
    return count


def _check_checkpoints(scan: _Scan, checkpoints: list[Checkpoint], report: VerifyReport) -> None:
    roots = scan.roots
    if scan.count:
        report.root_hash = roots[scan.count].hex()
    if not checkpoints:
        return
    fingerprint = platform_key_fingerprint(create=False)
    if fingerprint is None:
        raise ChainBrokenError(
            f"{len(checkpoints)} checkpoints exist but the platform key is not in GNUPGHOME; "
            "their signatures cannot be checked. Restore the key."
        )
    signed_up_to = 0
    with SignatureChecker(platform_public_key()) as checker:
        for checkpoint in checkpoints:
            size = checkpoint.tree_size
            if size > scan.count:
                raise ChainBrokenError(
                    f"seq {scan.count + 1}: a checkpoint covers {size} entries but the chain "
                    f"has only {scan.count}; signed entries were removed.",
                    seq=scan.count + 1,
                )
            if roots[size].hex() != checkpoint.root_hash:
                raise ChainBrokenError(
                    f"seq {signed_up_to + 1}: the checkpoint at tree size {size} signed root "
                    f"{checkpoint.root_hash}, but entries 1..{size} hash to {roots[size].hex()}; "
                    f"an entry in seq {signed_up_to + 1}..{size} was rewritten after it was "
                    "signed.",
                    seq=signed_up_to + 1,
                )
            statement = checkpoint_statement(
                tree_size=size,
                root_hash=checkpoint.root_hash,
                timestamp=format_timestamp(checkpoint.created_at),
            )
            if checkpoint.key_fingerprint != checker.fingerprint or not checker.valid(
                statement, checkpoint.signature
            ):
                raise ChainBrokenError(
                    f"The checkpoint at tree size {size} does not carry a valid signature by "
                    f"the platform key {checker.fingerprint}."
                )
            signed_up_to = size
    report.checkpoints = len(checkpoints)
    report.key_fingerprint = fingerprint


def ledger_verify(
    *, jobs: int | None = None, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Check the whole ledger; raise ChainBrokenError naming the first bad seq.

    jobs: processes for the hash chain on PostgreSQL, this one included (default: one per
    CPU). Inside a caller's transaction the check runs in-process, since workers could not see
    its rows.
    """
    started = time.perf_counter()
    report = VerifyReport()
    if jobs is None:
        jobs = os.cpu_count() or 1
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        jobs = 1
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every check: appends and transfers committed meanwhile are not
            # half-seen (a balance moved whose transfer row is not visible yet).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, hash FROM ledger_head WHERE id = 1")
            row = cursor.fetchone()
        head_seq, head_hash = row if row else (0, GENESIS_HASH)
        checkpoints = list(Checkpoint.objects.order_by("tree_size"))
        if head_seq < PARALLEL_MIN_ENTRIES:
            jobs = 1
        scan = _scan_chain(head_seq, [c.tree_size for c in checkpoints], jobs, progress)
        _check_head(head_seq, head_hash, scan)
        report.entries = scan.count
        report.transfers = _check_transfers(scan, head_seq)
        report.accounts = _check_balances()
        _check_checkpoints(scan, checkpoints, report)
    report.seconds = time.perf_counter() - started
    return report
