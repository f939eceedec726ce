"""Walking a stretch of the chain: recompute each hash, check each link, collect Merkle leaves.

No Django here. ledger_verify runs it in-process or, on PostgreSQL, in several worker processes
over aligned segments of the chain; `python -m ledger.verify_remote` feeds it entries read from
another platform's API.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ledger import merkle
from ledger.canonical import (
    GENESIS_HASH,
    HASH_VERSION,
    TRANSFER_PAYLOAD_PREFIX,
    kind_json,
    transfer_payload,
)
from ledger.errors import ChainBrokenError

# A row: (seq, version, timestamp text, kind, campaign_id, payload_json, prev_hash, hash).
Row = tuple[int, int, str, str, int | None, str, str, str]


class ChainScanner:
    """Feed it rows in seq order; it raises ChainBrokenError at the first one that is wrong.

    prev_hash=None starts mid-chain without knowing the previous hash: the first row's
    prev_hash is then recorded (first_prev_hash) for the caller to check against the segment
    before.
    """

    def __init__(
        self,
        *,
        kinds: Iterable[str] | None,
        start_seq: int = 1,
        prev_hash: str | None = GENESIS_HASH,
        last_timestamp: str = "",
        tree_sizes: Iterable[int] | None = None,
    ) -> None:
        # kinds=None accepts any kind (a remote verifier does not know the platform's list).
        self._any_kind = kinds is None
        self._kinds = {kind: kind_json(kind) for kind in kinds or ()}
        self.start_seq = start_seq
        self.next_seq = start_seq
        self.first_seq: int | None = None
        self.first_prev_hash: str | None = None
        self.first_timestamp: str | None = None
        self.last_hash = prev_hash
        self.last_timestamp = last_timestamp
        # Every leaf hash, unless tree_sizes is given: then leaves only pass through a Merkle
        # frontier (O(log n) memory, whatever the chain's length), which keeps the perfect
        # subtrees at each of those tree sizes (absolute, as checkpoints count) for the caller.
        self.leaves: list[bytes] = []
        self.frontier: merkle.MerkleFrontier | None = None
        self.subtrees_at: dict[int, list[bytes]] = {}
        if tree_sizes is not None:
            self.frontier = merkle.MerkleFrontier()
            offset = start_seq - 1
            self._pending = deque(sorted({size - offset for size in tree_sizes if size > offset}))
        # (seq, kind, campaign_id, payload_json) of every entry that records a transfer
        self.transfer_entries: list[tuple[int, str, int | None, str]] = []

    @property
    def count(self) -> int:
        return self.next_seq - self.start_seq

    def feed(self, rows: Iterable[Row]) -> None:
        """Check rows that follow the ones fed before."""
        if self.first_seq is None and isinstance(rows, list) and rows:
            self.first_seq = rows[0][0]
        # Locals, not attributes, inside the loop: this is the hot path of ledger_verify.
        expected = self.next_seq
        last_hash = self.last_hash
        last_timestamp = self.last_timestamp
        leaves = self.leaves
        transfers = self.transfer_entries
        kinds = self._kinds
        sha256 = hashlib.sha256
        try:
            for seq, version, timestamp, kind, campaign, payload, prev, stored in rows:
                if seq != expected:
                    raise ChainBrokenError(
                        f"seq {expected}: missing; the chain jumps from seq {expected - 1} to "
                        f"seq {seq} (a deleted entry).",
                        seq=expected,
                    )
                kind_text = kinds.get(kind)
                if kind_text is None and self._any_kind and isinstance(kind, str):
                    kind_text = kinds[kind] = kind_json(kind)
                if kind_text is None or version != HASH_VERSION:
                    raise ChainBrokenError(
                        f"seq {seq}: unknown kind {kind!r} or hash version {version}; "
                        "no ledger_append writes that.",
                        seq=seq,
                    )
                # canonical.ENTRY_TEMPLATE with the leaf prefix, written as an f-string: a third
                # faster than % formatting, on the hot path (tests/ledger/test_canonical.py holds
                # the two together). Canonical text is ASCII; anything else fails the hash.
                digest = sha256(
                    f'\x00{{"campaign":{"null" if campaign is None else campaign},'
                    f'"kind":{kind_text},"payload":{payload},"prev_hash":"{prev}",'
                    f'"seq":{seq},"timestamp":"{timestamp}","version":{version}}}'.encode()
                ).digest()
                if digest.hex() != stored:
                    raise ChainBrokenError(
                        f"seq {seq}: its hash does not match its contents (stored {stored}, "
                        f"recomputed {digest.hex()}); the entry was changed after it was "
                        "written.",
                        seq=seq,
                    )
                if last_hash is None:
                    self.first_prev_hash = prev
                    self.first_timestamp = timestamp
                elif prev != last_hash:
                    raise ChainBrokenError(
                        f"seq {seq}: prev_hash {prev} is not the hash of seq {seq - 1} "
                        f"({last_hash}); the chain was cut or re-ordered here.",
                        seq=seq,
                    )
                if timestamp < last_timestamp:
                    raise ChainBrokenError(
                        f"seq {seq}: timestamp {timestamp} is earlier than seq {seq - 1}'s "
                        f"({last_timestamp}); entries were re-ordered.",
                        seq=seq,
                    )
                if payload.startswith(TRANSFER_PAYLOAD_PREFIX):
                    transfers.append((seq, kind, campaign, payload))
                leaves.append(digest)
                last_hash = stored
                last_timestamp = timestamp
                expected += 1
        finally:
            self.next_seq = expected
            self.last_hash = last_hash
            self.last_timestamp = last_timestamp
            if self.frontier is not None:
                self._fold(leaves)
                leaves.clear()

    def _fold(self, leaves: list[bytes]) -> None:
        """Pass this batch's leaves into the frontier, noting the subtrees at wanted sizes."""
        frontier, pending = self.frontier, self._pending
        base, taken = frontier.size, 0
        while pending and pending[0] <= base + len(leaves):
            cut = pending.popleft() - base
            frontier.extend(leaves[taken:cut])
            taken = cut
            self.subtrees_at[frontier.size] = frontier.subtrees()
        frontier.extend(leaves[taken:])


# A transfer row: (id, entry seq, amount_minor, memo, kind, campaign_id, debit public id,
# debit kind, credit public id, credit kind), in entry order.
TransferRow = tuple[int, int, int, str, str, int | None, str, str, str, str]


def check_transfers(
    entries: Sequence[tuple[int, str, int | None, str]], rows: Iterable[TransferRow]
) -> int:
    """Every transfer row matches the entry it points at, and every transfer entry has its row.

    entries are (seq, kind, campaign_id, payload_json) of the entries that record a transfer,
    in seq order. Raises ChainBrokenError at the lowest seq where the two disagree; returns how
    many transfers were checked.
    """
    loads = json.loads
    pending = iter(entries)
    entry = next(pending, None)
    count = 0
    for row in rows:
        transfer_id, seq, amount, memo, kind, campaign, debit, debit_kind, credit, credit_kind = row
        if entry is not None and entry[0] < seq:
            raise ChainBrokenError(
                f"seq {entry[0]}: the entry records a transfer that has no transfer row.",
                seq=entry[0],
            )
        if entry is None or entry[0] != seq:
            raise ChainBrokenError(
                f"seq {seq}: transfer #{transfer_id} points at it, but the entry records no "
                "transfer.",
                seq=seq,
            )
        # The entry's text is the one its hash covers; parsing it is cheaper than re-encoding
        # the row, and comparing dicts catches any field that differs.
        expected = transfer_payload(
            amount_minor=amount,
            debit=debit,
            debit_kind=debit_kind,
            credit=credit,
            credit_kind=credit_kind,
            memo=memo,
        )
        if entry[1] != kind or entry[2] != campaign or loads(entry[3]) != expected:
            raise ChainBrokenError(
                f"seq {seq}: transfer #{transfer_id} ({amount} from {debit} to {credit}) does "
                f"not match what the entry records ({entry[3]}).",
                seq=seq,
            )
        count += 1
        entry = next(pending, None)
    if entry is not None:
        raise ChainBrokenError(
            f"seq {entry[0]}: the entry records a transfer that has no transfer row.",
            seq=entry[0],
        )
    return count


@dataclass
class Segment:
    """What one worker learned about entries start..start+span-1 (a Merkle-aligned stretch)."""

    start: int
    span: int
    count: int = 0
    first_seq: int | None = None
    first_prev_hash: str | None = None
    first_timestamp: str | None = None
    last_hash: str | None = None
    last_timestamp: str = ""
    # Root of the segment's perfect subtree, when the segment is complete.
    root: bytes | None = None
    # For each checkpoint size inside the segment: the perfect subtrees covering start..size.
    partial_subtrees: dict[int, list[bytes]] = field(default_factory=dict)
    transfer_entries: list[tuple[int, str, int | None, str]] = field(default_factory=list)
    error: tuple[int | None, str] | None = None
    # Set by workers that also checked the segment's transfer rows.
    transfers_checked: int | None = None
    transfer_error: tuple[int | None, str] | None = None


def segment_scanner(
    kinds: Iterable[str], *, start: int, span: int, sizes: Sequence[int]
) -> ChainScanner:
    """A scanner for the segment of leaves start..start+span-1 (see segment_from_scanner).

    It keeps the perfect subtrees at each checkpoint size in the segment, and the segment's
    root once complete, rather than its leaves.
    """
    return ChainScanner(
        kinds=kinds, start_seq=start, prev_hash=None, tree_sizes=[*sizes, start - 1 + span]
    )


def segment_from_scanner(scanner: ChainScanner, *, start: int, span: int) -> Segment:
    """Package a segment_scanner's results with the Merkle subtrees the caller will need.

    The segment holds leaves start..start+span-1, with start-1 a multiple of span and span a
    power of two, so when complete it is one perfect subtree of the whole tree.
    """
    segment = Segment(
        start=start,
        span=span,
        count=scanner.count,
        first_seq=scanner.first_seq,
        first_prev_hash=scanner.first_prev_hash,
        first_timestamp=scanner.first_timestamp,
        last_hash=scanner.last_hash,
        last_timestamp=scanner.last_timestamp,
        transfer_entries=scanner.transfer_entries,
    )
    for local, trees in scanner.subtrees_at.items():
        if local == span:
            segment.root = trees[0]
        elif local < span:
            segment.partial_subtrees[start - 1 + local] = trees
    return segment


POSTGRES_ROWS_SQL = (
    # PostgreSQL formats the timestamp in C: parsing 100 000 timestamps into datetimes and
    # printing them again would cost more than all the hashing. The format is
    # canonical.format_timestamp's; tests/ledger/test_canonical.py holds the two together.
    "SELECT seq, version, to_char(created_at AT TIME ZONE 'UTC', "
    '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'), kind, campaign_id, payload_json, prev_hash, hash '
    "FROM ledger_entry WHERE seq BETWEEN %s AND %s ORDER BY seq LIMIT %s"
)
POSTGRES_BATCH = 8_192


def _postgres_batches(conn, start: int, upto: int) -> Iterator[list[Row]]:
    import psycopg

    # A plain psycopg cursor with binary results: integers arrive without text parsing, which
    # is a third of the reading time. (Django's own cursors are client-side and text only.)
    cursor = psycopg.Cursor(conn)
    try:
        while start <= upto:
            cursor.execute(POSTGRES_ROWS_SQL, [start, upto, POSTGRES_BATCH], binary=True)
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            start = rows[-1][0] + 1
    finally:
        cursor.close()


def feed_from_postgres(conn, scanner: ChainScanner, start: int, upto: int) -> None:
    """Feed entries start..upto read over a psycopg connection, in bounded batches.

    A thread asks for the next batch while this one is hashed, so PostgreSQL reads and sends
    rows at the same time as Python checks them (about a third of the time otherwise spent
    waiting). Only that thread touches the connection until it is done.
    """
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            for rows in _postgres_batches(conn, start, upto):
                while not stop.is_set():
                    try:
                        batches.put(rows, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            batches.put(None)
        except BaseException as exc:  # handed over to the checking thread, which raises it
            batches.put(exc)

    reader = threading.Thread(target=read, name="ledger-verify-reader", daemon=True)
    reader.start()
    try:
        while (rows := batches.get()) is not None:
            if isinstance(rows, BaseException):
                raise rows
            scanner.feed(rows)
    finally:
        stop.set()
        reader.join()


POSTGRES_TRANSFERS_SQL = (
    "SELECT t.id, t.entry_id, t.amount_minor, t.memo, t.kind, t.campaign_id, d.public_id, "
    "d.kind, c.public_id, c.kind FROM ledger_transfer t "
    "JOIN ledger_account d ON d.id = t.debit_id JOIN ledger_account c ON c.id = t.credit_id "
    "WHERE t.entry_id BETWEEN %s AND %s ORDER BY t.entry_id"
)


def scan_postgres(
    conn, kinds: Sequence[str], start: int, span: int, upto: int, sizes: Sequence[int]
) -> Segment:
    """Scan entries start..upto over a psycopg connection, then their transfers.

    The transfer verdict is kept apart from the chain's: the caller reports chain problems of
    every segment before any transfer problem, as a single pass would.
    """
    import psycopg

    scanner = segment_scanner(kinds, start=start, span=span, sizes=sizes)
    error = None
    try:
        feed_from_postgres(conn, scanner, start, upto)
    except ChainBrokenError as exc:
        error = (exc.seq, str(exc))
    segment = segment_from_scanner(scanner, start=start, span=span)
    segment.error = error
    if error is None:
        cursor = psycopg.Cursor(conn)
        try:
            cursor.execute(POSTGRES_TRANSFERS_SQL, [start, upto], binary=True)
            segment.transfers_checked = check_transfers(scanner.transfer_entries, cursor.fetchall())
        except ChainBrokenError as exc:
            segment.transfer_error = (exc.seq, str(exc))
        finally:
            cursor.close()
    return segment


def scan_postgres_segment(
    conninfo: dict,
    snapshot: str | None,
    kinds: Sequence[str],
    start: int,
    span: int,
    upto: int,
    sizes: Sequence[int],
) -> Segment:
    """A worker process: scan_postgres over its own connection, in the caller's snapshot.

    snapshot is what pg_export_snapshot() returned in the caller's REPEATABLE READ
    transaction: every worker then sees exactly the rows the caller sees, not whatever was
    committed between their start times.
    """
    import psycopg
    from psycopg import IsolationLevel, sql

    with psycopg.connect(**conninfo) as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if snapshot is not None:
            # The first statement of the transaction, as PostgreSQL requires.
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        try:
            return scan_postgres(conn, kinds, start, span, upto, sizes)
        finally:
            conn.rollback()
