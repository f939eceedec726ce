"""RFC 6962 Merkle trees: the published test vectors, and proofs that refuse to lie."""

from __future__ import annotations

import hashlib

import pytest

from ledger import merkle

# Certificate Transparency's reference leaves and tree heads (RFC 6962 test vectors).
LEAF_DATA = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (first size, second size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
LEAVES = [merkle.leaf_hash(data) for data in LEAF_DATA]


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def test_tree_heads_match_the_rfc_6962_vectors_for_every_size():
    for size, expected in enumerate(ROOTS):
        assert merkle.root(LEAVES[:size]).hex() == expected, size


def test_many_prefix_roots_at_once_agree_with_one_at_a_time():
    leaves = [merkle.leaf_hash(bytes([i, i * 3 % 256])) for i in range(70)]
    roots = merkle.roots_at_sizes(leaves, range(1, 71))
    assert all(roots[n] == merkle.root(leaves[:n]) for n in range(1, 71))


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_vectors_and_verify(index, size, path):
    assert merkle.inclusion_proof(LEAVES, index, size) == unhex(path)
    root = bytes.fromhex(ROOTS[size])
    assert merkle.verify_inclusion(LEAVES[index], index, size, unhex(path), root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors_and_verify(first, second, path):
    assert merkle.consistency_proof(LEAVES, first, second) == unhex(path)
    assert merkle.verify_consistency(
        first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), unhex(path)
    )


def _flip(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:position], bytes(changed), *proof[position + 1 :]]


TREE = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(23)]


@pytest.mark.parametrize(("index", "size"), [(0, 8), (5, 8), (6, 7), (12, 23), (22, 23), (3, 5)])
def test_a_tampered_inclusion_proof_is_rejected(index, size):
    root = merkle.root(TREE[:size])
    proof = merkle.inclusion_proof(TREE, index, size)
    leaf = TREE[index]
    assert merkle.verify_inclusion(leaf, index, size, proof, root)
    for position in range(len(proof)):
        for bit in (0, 7, 100, 255):
            assert not merkle.verify_inclusion(leaf, index, size, _flip(proof, position, bit), root)
    assert not merkle.verify_inclusion(_flip([leaf], 0, 3)[0], index, size, proof, root)
    assert not merkle.verify_inclusion(leaf, index, size, proof, _flip([root], 0, 9)[0])
    for wrong_index in {index - 1, index + 1, index ^ 2} - {index}:
        assert not merkle.verify_inclusion(leaf, wrong_index, size, proof, root)
    # The probes of the Certificate Transparency suite: the height of the tree must change.
    for wrong_size in {size * 2, size // 2} - {size}:
        assert not merkle.verify_inclusion(leaf, index, wrong_size, proof, root)
    assert not merkle.verify_inclusion(leaf, index, size, proof[:-1], root)
    assert not merkle.verify_inclusion(leaf, index, size, [*proof, root], root)
    assert not merkle.verify_inclusion(leaf, index, size, [root, *proof], root)
    assert not merkle.verify_inclusion(leaf, index, size, [*proof[:-1], proof[-1][:31]], root)


@pytest.mark.parametrize(("first", "second"), [(1, 8), (2, 5), (6, 8), (7, 23), (16, 23), (3, 4)])
def test_a_tampered_consistency_proof_is_rejected(first, second):
    old, new = merkle.root(TREE[:first]), merkle.root(TREE[:second])
    proof = merkle.consistency_proof(TREE, first, second)
    assert merkle.verify_consistency(first, second, old, new, proof)
    for position in range(len(proof)):
        for bit in (0, 13, 255):
            assert not merkle.verify_consistency(
                first, second, old, new, _flip(proof, position, bit)
            )
    assert not merkle.verify_consistency(first, second, new, old, proof)
    assert not merkle.verify_consistency(first, second, _flip([old], 0, 1)[0], new, proof)
    for wrong_first in {first - 1, first + 1} - {first, 0}:
        assert not merkle.verify_consistency(wrong_first, second, old, new, proof)
    for wrong_second in {second * 2, second // 2} - {second}:
        assert not merkle.verify_consistency(first, wrong_second, old, new, proof)
    assert not merkle.verify_consistency(first, second, old, new, proof[:-1])
    assert not merkle.verify_consistency(first, second, old, new, [*proof, new])
    assert not merkle.verify_consistency(first, second, old, new, [old, *proof])
    assert not merkle.verify_consistency(first, second, old, new, [])


def test_equal_sizes_need_equal_roots_and_an_empty_proof():
    root = merkle.root(TREE[:4])
    assert merkle.verify_consistency(4, 4, root, root, [])
    assert not merkle.verify_consistency(4, 4, root, merkle.root(TREE[:5]), [])
    assert not merkle.verify_consistency(4, 4, root, root, [root])


def test_proofs_for_sizes_outside_the_tree_are_refused_with_a_sentence():
    with pytest.raises(ValueError, match="Leaf index 8 is not in a tree of size 8"):
        merkle.inclusion_proof(LEAVES, 8, 8)
    with pytest.raises(ValueError, match="Tree size 9 is out of range"):
        merkle.inclusion_proof(LEAVES, 0, 9)
    with pytest.raises(ValueError, match="first size must be between 1 and 3"):
        merkle.consistency_proof(LEAVES, 5, 3)


def test_a_frontier_extended_in_uneven_batches_matches_one_built_leaf_by_leaf():
    leaves = [hashlib.sha256(bytes([n % 256, n // 256])).digest() for n in range(1000)]
    for batches in ([1000], [1, 999], [3, 5, 8, 16, 100, 868], [512, 256, 1, 231], [7] * 142 + [6]):
        one_by_one, batched, taken = merkle.MerkleFrontier(), merkle.MerkleFrontier(), 0
        for width in batches:
            for leaf in leaves[taken : taken + width]:
                one_by_one.append(leaf)
            batched.extend(leaves[taken : taken + width])
            taken += width
            assert batched.size == one_by_one.size == taken
            assert batched.subtrees() == one_by_one.subtrees()
            assert batched.root() == merkle.root(leaves[:taken])
