"""Reads of the ledger: balances, transfers, entries, checkpoints, proofs."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from ledger import merkle
from ledger.models import Account, Checkpoint, Entry, LedgerHead, Transfer


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


def inclusion_proof_for(*, seq: int, size: int) -> dict:
    """The RFC 6962 audit path of entry seq in the tree of the first size entries."""
    _checked_size(size)
    if not 1 <= seq <= size:
        raise ValueError(f"Entry {seq} is not in a tree of size {size}; seq runs from 1 to size.")
    leaves = entry_leaf_hashes(size=size)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": leaves[seq - 1].hex(),
        "root_hash": merkle.root(leaves).hex(),
        "proof": [node.hex() for node in merkle.inclusion_proof(leaves, seq - 1, size)],
    }


def consistency_proof_for(*, first: int, second: int) -> dict:
    """The RFC 6962 proof that the tree of size first is a prefix of the tree of size second."""
    _checked_size(second)
    if not 1 <= first <= second:
        raise ValueError(f"The first size must be between 1 and {second}, not {first}.")
    leaves = entry_leaf_hashes(size=second)
    return {
        "first": first,
        "second": second,
        "first_root_hash": merkle.root(leaves[:first]).hex(),
        "second_root_hash": merkle.root(leaves).hex(),
        "proof": [node.hex() for node in merkle.consistency_proof(leaves, first, second)],
    }
