"""Proofs served from cached Merkle nodes: the same proofs as from every leaf, made cheaply."""

from __future__ import annotations

import pytest

from ledger import merkle, selectors
from ledger.models import Entry, MerkleNode
from ledger.services import checkpoint_create
from tests.ledger.conftest import append

pytestmark = pytest.mark.django_db

SIZE = 77  # not a power of two, so right edges need splitting at several levels


@pytest.fixture
def chain(monkeypatch) -> list[bytes]:
    """77 entries, with nodes of 4 leaves and more cached (instead of 256), as leaf hashes."""
    monkeypatch.setattr(selectors, "MERKLE_CACHE_MIN_LEVEL", 2)
    for n in range(SIZE):
        append(payload={"n": n})
    return [bytes.fromhex(h) for h in Entry.objects.order_by("seq").values_list("hash", flat=True)]


def test_inclusion_proofs_match_those_computed_from_every_leaf(chain):
    for size in (1, 2, 3, 4, 5, 8, 9, 31, 32, 33, 64, 65, 76, 77):
        for seq in sorted({min(2, size), max(size // 2, 1), max(size - 1, 1), 1, size}):
            served = selectors.inclusion_proof_for(seq=seq, size=size)
            proof = merkle.inclusion_proof(chain, seq - 1, size)
            assert served["proof"] == [node.hex() for node in proof], (seq, size)
            assert served["root_hash"] == merkle.root(chain[:size]).hex()
            assert served["leaf_hash"] == chain[seq - 1].hex()
            assert merkle.verify_inclusion(
                chain[seq - 1], seq - 1, size, proof, merkle.root(chain[:size])
            )


def test_consistency_proofs_match_those_computed_from_every_leaf(chain):
    for second in (1, 4, 7, 16, 17, 50, 64, 77):
        for first in sorted({1, min(3, second), max(second // 2, 1), max(second - 1, 1), second}):
            served = selectors.consistency_proof_for(first=first, second=second)
            proof = merkle.consistency_proof(chain, first, second)
            assert served["proof"] == [node.hex() for node in proof], (first, second)
            assert served["first_root_hash"] == merkle.root(chain[:first]).hex()
            assert served["second_root_hash"] == merkle.root(chain[:second]).hex()


def test_nodes_are_cached_once_and_reused(chain):
    first = selectors.inclusion_proof_for(seq=3, size=SIZE)
    cached = MerkleNode.objects.count()
    # 64 leaves in nodes of 4 and up (16 + 8 + 4 + 2 + 1), then down the right edge: the
    # next 8 (with its two 4s), and 4 more; the 77th leaf is read as an entry.
    assert cached == 31 + 3 + 1
    levels = merkle.node_levels(chain)
    for node in MerkleNode.objects.all():
        assert bytes(node.hash) == levels[node.level][node.index]
    assert selectors.inclusion_proof_for(seq=3, size=SIZE) == first
    assert selectors.inclusion_proof_for(seq=70, size=SIZE)["tree_size"] == SIZE
    assert MerkleNode.objects.count() == cached


def damage(level: int, index: int) -> None:
    assert MerkleNode.objects.filter(level=level, index=index).update(hash=b"\x00" * 32) == 1


def proof_leads_to(served: dict, leaf: bytes, index: int, size: int, root: bytes) -> bool:
    proof = [bytes.fromhex(node) for node in served["proof"]]
    return merkle.verify_inclusion(leaf, index, size, proof, root)


def test_a_damaged_cache_is_caught_against_the_signed_root_and_rebuilt_from_the_entries(
    chain, platform_key, caplog
):
    checkpoint = checkpoint_create()
    signed_root = bytes.fromhex(checkpoint.root_hash)
    # Checkpoints are hashed from the entries themselves, never from the cache.
    assert signed_root == merkle.root(chain)
    selectors.inclusion_proof_for(seq=1, size=SIZE)
    damage(level=4, index=1)

    served = selectors.inclusion_proof_for(seq=1, size=SIZE)

    assert proof_leads_to(served, chain[0], 0, SIZE, signed_root)
    assert "did not verify (tree sizes [77]); rebuilding the cache" in caplog.text
    assert bytes(MerkleNode.objects.get(level=4, index=1).hash) == merkle.root(chain[16:32])


def test_a_damaged_node_that_makes_a_proof_disagree_with_its_own_root_is_rebuilt(chain):
    selectors.consistency_proof_for(first=20, second=SIZE)
    # Leaves 16..19: in the proof and in the first root, but the second root is made from the
    # node of leaves 0..63 above it, so the proof cannot lead to both.
    damage(level=2, index=4)

    served = selectors.consistency_proof_for(first=20, second=SIZE)

    proof = [bytes.fromhex(node) for node in served["proof"]]
    assert proof == merkle.consistency_proof(chain, 20, SIZE)
    assert served["first_root_hash"] == merkle.root(chain[:20]).hex()
    assert merkle.verify_consistency(20, SIZE, merkle.root(chain[:20]), merkle.root(chain), proof)


def test_without_a_checkpoint_a_node_damaged_in_both_proof_and_root_goes_unnoticed_until_deleted(
    chain,
):
    # The right edge (leaves 64..71) is in the root and in the audit path of seq 1 alike, so
    # the proof agrees with its own root; only a signed root could tell. Deleting the rows
    # (docs/ledger.md) repairs it.
    selectors.inclusion_proof_for(seq=1, size=SIZE)
    damage(level=3, index=8)
    true_root = merkle.root(chain)

    served = selectors.inclusion_proof_for(seq=1, size=SIZE)
    assert not proof_leads_to(served, chain[0], 0, SIZE, true_root)

    MerkleNode.objects.all().delete()
    served = selectors.inclusion_proof_for(seq=1, size=SIZE)
    assert proof_leads_to(served, chain[0], 0, SIZE, true_root)


def test_a_proof_from_a_warm_cache_takes_four_queries_whatever_the_tree_size(
    chain, django_assert_num_queries
):
    selectors.inclusion_proof_for(seq=5, size=SIZE)
    selectors.consistency_proof_for(first=50, second=SIZE)
    # The ledger's size, the cached nodes, the hashes of the few small subtrees, and the
    # checkpoints to check the roots against.
    with django_assert_num_queries(4):
        selectors.inclusion_proof_for(seq=41, size=SIZE)
    with django_assert_num_queries(4):
        selectors.consistency_proof_for(first=21, second=SIZE)
