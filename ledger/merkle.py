"""RFC 6962 Merkle trees over ledger entries: roots, proofs and their verification.

Hashes are 32-byte `bytes`. Leaves are leaf hashes (sha256(0x00 ‖ data)); a ledger entry's
hash already is one. No Django here, so remote verifiers can use it as is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """sha256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """sha256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2): RFC 6962's split point."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleFrontier:
    """The roots of the perfect subtrees of a growing tree: O(log n) memory, any prefix root."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        self._push(leaf, 1)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add many leaf hashes: whole perfect blocks at a time, hashed level by level."""
        start, count = 0, len(leaves)
        while start < count:
            width = 1 << ((count - start).bit_length() - 1)
            if self.size:
                # A block must start where a subtree of its width can: at a multiple of it.
                width = min(width, self.size & -self.size)
            self._push(node_levels(leaves[start : start + width])[-1][0], width)
            start += width

    def _push(self, node: bytes, width: int) -> None:
        """Add the root of a perfect subtree of width leaves; self.size is a multiple of width."""
        stack = self._stack
        stack.append(node)
        self.size += width
        # Each trailing 0 bit of the new size (counted in widths) is a pair of equal subtrees
        # to merge.
        count = self.size // width
        while not count & 1:
            right = stack.pop()
            stack[-1] = hashlib.sha256(_NODE_PREFIX + stack[-1] + right).digest()
            count >>= 1

    def subtrees(self) -> list[bytes]:
        """The perfect subtrees so far, left to right."""
        return list(self._stack)

    def root(self) -> bytes:
        """MTH of the leaves appended so far."""
        # RFC 6962 splits at the largest power of two, so the tree is the perfect subtrees
        # joined from the right.
        return fold_subtrees(self._stack)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes."""
    frontier = MerkleFrontier()
    frontier.extend(leaves)
    return frontier.root()


def perfect_subtrees_at_sizes(
    leaves: Sequence[bytes], sizes: Sequence[int]
) -> dict[int, list[bytes]]:
    """For each size, the roots of the perfect subtrees that make up the first size leaves.

    Left to right, one per binary digit of size; every node is hashed once for all sizes.
    """
    wanted = sorted({size for size in sizes if 0 < size <= len(leaves)})
    if not wanted:
        return {}
    levels = node_levels(leaves[: wanted[-1]])
    result = {}
    for size in wanted:
        subtrees = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                subtrees.append(levels[level][start >> level])
                start += 1 << level
        result[size] = subtrees
    return result


def fold_subtrees(subtrees: Sequence[bytes]) -> bytes:
    """The root from the perfect subtrees, left to right (RFC 6962 joins from the right)."""
    if not subtrees:
        return EMPTY_ROOT
    result = subtrees[-1]
    for subtree in reversed(subtrees[:-1]):
        result = node_hash(subtree, result)
    return result


def roots_at_sizes(leaves: Sequence[bytes], sizes: Sequence[int]) -> dict[int, bytes]:
    """MTH of several prefixes at once."""
    return {
        size: fold_subtrees(subtrees)
        for size, subtrees in perfect_subtrees_at_sizes(leaves, sizes).items()
    }


def _check_range(index: int, size: int, available: int) -> None:
    if size < 1 or size > available:
        raise ValueError(f"Tree size {size} is out of range: the ledger has {available} entries.")
    if not 0 <= index < size:
        raise ValueError(f"Leaf index {index} is not in a tree of size {size}.")


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 section 2.1.1."""
    _check_range(index, size, len(leaves))
    return inclusion_path(index, size, lambda lo, hi: root(leaves[lo:hi]))


def inclusion_path(index: int, size: int, mth: Callable[[int, int], bytes]) -> list[bytes]:
    """PATH(index, D[size]), asking mth(lo, hi) for MTH(D[lo:hi]) of each sibling."""

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, lo, lo + k), mth(lo + k, hi)]
        return [*path(m - k, lo + k, hi), mth(lo, lo + k)]

    return path(index, 0, size)


def consistency_proof(leaves: Sequence[bytes], first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 6962 section 2.1.2."""
    if second < 1 or second > len(leaves):
        raise ValueError(
            f"Tree size {second} is out of range: the ledger has {len(leaves)} entries."
        )
    if not 1 <= first <= second:
        raise ValueError(f"The first size must be between 1 and {second}, not {first}.")
    return consistency_path(first, second, lambda lo, hi: root(leaves[lo:hi]))


def consistency_path(first: int, second: int, mth: Callable[[int, int], bytes]) -> list[bytes]:
    """PROOF(first, D[second]), asking mth(lo, hi) for MTH(D[lo:hi])."""

    def subproof(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [mth(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, lo, lo + k, complete), mth(lo + k, hi)]
        return [*subproof(m - k, lo + k, hi, False), mth(lo, lo + k)]

    return subproof(first, 0, second, True)


def range_root(lo: int, hi: int, perfect_root: Callable[[int, int], bytes]) -> bytes:
    """MTH(D[lo:hi]) from the roots of perfect subtrees: perfect_root(start, size), size 2^k.

    RFC 6962 splits a list at the largest power of two below its length, so the left part is
    always a perfect subtree; only the right edge needs more splitting.
    """
    n = hi - lo
    if n < 1:
        raise ValueError(f"An empty range ({lo}..{hi}) has no Merkle root here.")
    if n & (n - 1) == 0:
        return perfect_root(lo, n)
    k = _split(n)
    return node_hash(perfect_root(lo, k), range_root(lo + k, hi, perfect_root))


def node_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """The leaves, then each level of perfect-subtree roots above them (pairs from the left).

    Level L holds the roots of leaves i·2^L .. (i+1)·2^L − 1; a leftover odd node stays out of
    the level above. For 2^k leaves the last level is the root.
    """
    sha256 = hashlib.sha256
    result = [list(leaves)]
    while len(result[-1]) > 1:
        pairs = iter(result[-1])
        result.append(
            [
                sha256(_NODE_PREFIX + left + right).digest()
                for left, right in zip(pairs, pairs, strict=False)
            ]
        )
    return result


def _all_hashes(*values: bytes) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """True when proof shows leaf at index in the tree of size with that root (RFC 9162 2.1.3.2)."""
    if not _all_hashes(leaf, expected_root, *proof) or not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False  # more proof elements than levels
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == expected_root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when proof shows tree `first` is a prefix of tree `second` (RFC 9162 2.1.4.2)."""
    if not _all_hashes(first_root, second_root, *proof) or not 1 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_result = second_result = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first_result = node_hash(sibling, first_result)
            second_result = node_hash(sibling, second_result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_result = node_hash(second_result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and first_result == first_root and second_result == second_root
