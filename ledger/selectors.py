"""Reads of the ledger: balances, transfers, entries, checkpoints, proofs."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q, QuerySet

from ledger import merkle
from ledger.models import Account, Checkpoint, Entry, LedgerHead, MerkleNode, Transfer

logger = logging.getLogger(__name__)


def account_balance(*, account: Account) -> int:
    """The account's balance in minor units, as committed (not the possibly stale object)."""
    return Account.objects.values_list("balance_minor", flat=True).get(pk=account.pk)


def wallet_summary_for_user(*, user) -> dict:
    """A person's wallet: public account id, balance and currency (the wallet is made on demand)."""
    # A miner must be able to name their payout account before anyone has paid them, so the
    # wallet is made on first sight. (services imports this module, hence the late import.)
    from ledger.services import account_wallet_for_user

    account = account_wallet_for_user(user=user)
    return {
        "account": account.public_id,
        "balance_minor": account_balance(account=account),
        "currency": settings.SONAR_CURRENCY,
    }


def transfers_for_account(*, account: Account) -> QuerySet[Transfer]:
    """Every transfer into or out of the account, newest first."""
    return (
        Transfer.objects.filter(Q(debit=account) | Q(credit=account))
        .select_related("debit", "credit")
        .order_by("-entry_id")
    )


def entries_after(*, seq: int, limit: int) -> list[Entry]:
    """Up to limit entries with a seq above seq, in order: a cursor that never skips or repeats."""
    return list(Entry.objects.filter(seq__gt=seq).order_by("seq")[:limit])


def entry_get(*, seq: int) -> Entry | None:
    """One entry, or None."""
    return Entry.objects.filter(seq=seq).first()


def ledger_size() -> int:
    """How many entries are committed (the head's seq)."""
    return LedgerHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def entries_latest(*, limit: int) -> list[Entry]:
    """The newest entries, newest first."""
    return list(Entry.objects.order_by("-seq")[:limit])


def checkpoint_latest() -> Checkpoint | None:
    """The checkpoint with the largest tree, or None before the first."""
    return Checkpoint.objects.order_by("-tree_size").first()


def checkpoint_at(*, tree_size: int) -> Checkpoint | None:
    """The checkpoint of exactly that tree size, if one was signed."""
    return Checkpoint.objects.filter(tree_size=tree_size).first()


def entry_leaf_hashes(*, size: int) -> list[bytes]:
    """The Merkle leaves (entry hashes) of entries 1..size, in order."""
    hashes = list(
        Entry.objects.filter(seq__lte=size).order_by("seq").values_list("hash", flat=True)
    )
    return [bytes.fromhex(value) for value in hashes]


def _checked_size(size: int) -> int:
    available = ledger_size()
    if size < 1 or size > available:
        raise ValueError(
            f"Tree size {size} is out of range: the ledger has {available} entries, "
            f"so a tree size is between 1 and {available}."
        )
    return available


# Nodes of at least 2^8 leaves are cached: a proof then reads about log2(n) cached nodes and
# at most a few blocks of 256 entry hashes, instead of every entry hash of the tree, and the
# cache holds about one row for every 128 entries.
MERKLE_CACHE_MIN_LEVEL = 8


class _CachedTree:
    """MTH of ranges of entries, from cached perfect subtrees where it can (one request).

    prepare() first walks the proof with placeholder hashes to learn which subtrees it needs,
    then reads the cached ones in one query and the entry hashes of the rest in another.
    """

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._leaves: dict[int, bytes] = {}

    def prepare(self, walk: Callable[[Callable[[int, int], bytes]], object]) -> None:
        needed: set[tuple[int, int]] = set()

        def record(lo: int, size: int) -> bytes:
            needed.add((lo, size))
            return bytes(merkle.HASH_SIZE)

        walk(lambda lo, hi: merkle.range_root(lo, hi, record))
        cached = {self._key(lo, size) for lo, size in needed} - {None}
        if cached:
            levels = {level for level, _ in cached}
            indices = {index for _, index in cached}
            for level, index, digest in MerkleNode.objects.filter(
                level__in=levels, index__in=indices
            ).values_list("level", "index", "hash"):
                if (level, index) in cached:
                    self._nodes[(level, index)] = bytes(digest)
        blocks = {
            lo >> MERKLE_CACHE_MIN_LEVEL for lo, size in needed if self._key(lo, size) is None
        }
        if blocks:
            width = 1 << MERKLE_CACHE_MIN_LEVEL
            ranges = Q()
            for block in blocks:
                ranges |= Q(seq__gt=block * width, seq__lte=(block + 1) * width)
            for seq, digest in Entry.objects.filter(ranges).values_list("seq", "hash"):
                self._leaves[seq - 1] = bytes.fromhex(digest)

    @staticmethod
    def _key(lo: int, size: int) -> tuple[int, int] | None:
        """(level, index) of a cacheable subtree, None for a small or unaligned one."""
        level = size.bit_length() - 1
        if level < MERKLE_CACHE_MIN_LEVEL or lo % size:
            return None
        return level, lo >> level

    def leaves(self, lo: int, hi: int) -> list[bytes]:
        """Leaf hashes lo..hi-1 (entry seq lo+1..hi)."""
        known = [self._leaves.get(index) for index in range(lo, hi)]
        if None not in known:
            return known
        hashes = list(
            Entry.objects.filter(seq__gt=lo, seq__lte=hi)
            .order_by("seq")
            .values_list("hash", flat=True)
        )
        if len(hashes) != hi - lo:
            raise ValueError(f"Entries {lo + 1}..{hi} are not all stored; run ledger_verify.")
        return [bytes.fromhex(value) for value in hashes]

    def perfect_root(self, lo: int, size: int) -> bytes:
        key = self._key(lo, size)
        if key is None:
            return merkle.root(self.leaves(lo, lo + size))
        if key not in self._nodes:
            cached = (
                MerkleNode.objects.filter(level=key[0], index=key[1])
                .values_list("hash", flat=True)
                .first()
            )
            if cached is not None:
                self._nodes[key] = bytes(cached)
            else:
                self._compute(lo, size)
        return self._nodes[key]

    def _compute(self, lo: int, size: int) -> None:
        """Hash a subtree from its leaves once; cache its nodes from the lowest cached level up."""
        levels = merkle.node_levels(self.leaves(lo, lo + size))
        nodes = []
        for level in range(MERKLE_CACHE_MIN_LEVEL, len(levels)):
            first = lo >> level
            for offset, digest in enumerate(levels[level]):
                self._nodes[(level, first + offset)] = digest
                nodes.append(MerkleNode(level=level, index=first + offset, hash=digest))
        # Another request may have cached the same nodes meanwhile; they are equal.
        MerkleNode.objects.bulk_create(nodes, ignore_conflicts=True, batch_size=1_000)

    def root(self, lo: int, hi: int) -> bytes:
        return merkle.range_root(lo, hi, self.perfect_root)


def _proof_from_cache(build: Callable[[], dict], check: Callable[[dict, dict], bool], sizes):
    """build() a proof from the cache; if check(proof, signed roots) fails, rebuild it afresh.

    check verifies the proof as a client would: against the signed root where a checkpoint of
    that size exists, otherwise against the root it came with. A failure means a damaged cached
    node: every cached node is dropped and made again from the entries, so the proof served is
    the one the entries give. Should that fail too, the entries themselves were changed.
    """
    signed = {
        size: bytes.fromhex(root)
        for size, root in Checkpoint.objects.filter(tree_size__in=sizes).values_list(
            "tree_size", "root_hash"
        )
    }
    proof = build()
    if check(proof, signed):
        return proof
    logger.warning(
        "A Merkle proof made from cached nodes did not verify (tree sizes %s); rebuilding the "
        "cache from the entries.",
        sorted(sizes),
    )
    MerkleNode.objects.all().delete()
    proof = build()
    if not check(proof, signed):
        logger.error(
            "A Merkle proof made from the entries does not lead to the signed root (tree sizes "
            "%s); run `manage.py ledger_verify`.",
            sorted(sizes),
        )
    return proof


def inclusion_proof_for(*, seq: int, size: int) -> dict:
    """The RFC 6962 audit path of entry seq in the tree of the first size entries."""
    _checked_size(size)
    if not 1 <= seq <= size:
        raise ValueError(f"Entry {seq} is not in a tree of size {size}; seq runs from 1 to size.")

    def build() -> dict:
        tree = _CachedTree()
        tree.prepare(
            lambda mth: (mth(seq - 1, seq), mth(0, size), merkle.inclusion_path(seq - 1, size, mth))
        )
        return {
            "seq": seq,
            "leaf_index": seq - 1,
            "tree_size": size,
            "leaf_hash": tree.leaves(seq - 1, seq)[0].hex(),
            "root_hash": tree.root(0, size).hex(),
            "proof": [node.hex() for node in merkle.inclusion_path(seq - 1, size, tree.root)],
        }

    def check(proof: dict, signed: dict[int, bytes]) -> bool:
        root = bytes.fromhex(proof["root_hash"])
        return signed.get(size, root) == root and merkle.verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            seq - 1,
            size,
            [bytes.fromhex(node) for node in proof["proof"]],
            root,
        )

    return _proof_from_cache(build, check, [size])


def consistency_proof_for(*, first: int, second: int) -> dict:
    """The RFC 6962 proof that the tree of size first is a prefix of the tree of size second."""
    _checked_size(second)
    if not 1 <= first <= second:
        raise ValueError(f"The first size must be between 1 and {second}, not {first}.")

    def build() -> dict:
        tree = _CachedTree()
        tree.prepare(
            lambda mth: (
                mth(0, first),
                mth(0, second),
                merkle.consistency_path(first, second, mth),
            )
        )
        return {
            "first": first,
            "second": second,
            "first_root_hash": tree.root(0, first).hex(),
            "second_root_hash": tree.root(0, second).hex(),
            "proof": [node.hex() for node in merkle.consistency_path(first, second, tree.root)],
        }

    def check(proof: dict, signed: dict[int, bytes]) -> bool:
        roots = bytes.fromhex(proof["first_root_hash"]), bytes.fromhex(proof["second_root_hash"])
        return (
            signed.get(first, roots[0]) == roots[0]
            and signed.get(second, roots[1]) == roots[1]
            and merkle.verify_consistency(
                first, second, *roots, [bytes.fromhex(node) for node in proof["proof"]]
            )
        )

    return _proof_from_cache(build, check, [first, second])


def entries_filtered(
    *, kind: str = "", campaign_id: int | None = None, account: str = ""
) -> QuerySet[Entry]:
    """Entries newest first, narrowed by kind, campaign and account (public id) when given."""
    entries = Entry.objects.select_related("transfer__debit", "transfer__credit").order_by("-seq")
    if kind:
        entries = entries.filter(kind=kind)
    if campaign_id is not None:
        entries = entries.filter(campaign_id=campaign_id)
    if account:
        entries = entries.filter(
            Q(transfer__debit__public_id=account) | Q(transfer__credit__public_id=account)
        )
    return entries


def entry_with_transfer(*, seq: int) -> Entry | None:
    """One entry and, for money entries, its transfer and both accounts."""
    return (
        Entry.objects.select_related("transfer__debit", "transfer__credit").filter(seq=seq).first()
    )


def checkpoints_newest() -> QuerySet[Checkpoint]:
    """Every signed checkpoint, the largest tree first."""
    return Checkpoint.objects.order_by("-tree_size")


def checkpoints_covering(*, seq: int, limit: int) -> list[Checkpoint]:
    """The newest signed checkpoints whose tree contains entry seq."""
    return list(Checkpoint.objects.filter(tree_size__gte=seq).order_by("-tree_size")[:limit])


def entries_seq_range(*, above: int, upto: int) -> list[Entry]:
    """Entries with above < seq <= upto, newest first: a page of the chain by its index alone."""
    return list(
        Entry.objects.select_related("transfer__debit", "transfer__credit")
        .filter(seq__gt=above, seq__lte=upto)
        .order_by("-seq")
    )
