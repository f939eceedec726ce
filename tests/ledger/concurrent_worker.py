"""One writer process for tests/ledger/test_concurrency.py (run with python -m).

Usage: python -m tests.ledger.concurrent_worker MODE INDEX COUNT START_FILE ACCOUNT...
Prints one JSON line with what it did; exits non-zero on any unexpected error.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from pathlib import Path


def main() -> None:
    mode, index, count, start_file, *accounts = sys.argv[1:]
    index, count = int(index), int(count)
    import django

    django.setup()
    from django.db import transaction

    from ledger import services
    from ledger.errors import InsufficientFundsError

    wallets = [services.account_by_public_id(public_id=public_id) for public_id in accounts]
    rng = random.Random(index)
    done = {"appends": 0, "transfers": 0, "refused": 0}
    # Start together, so that the writers really contend for the head.
    deadline = time.monotonic() + 120
    while not Path(start_file).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the start signal never came")
        time.sleep(0.01)

    def move(debit, credit, amount, kind="account.transfer") -> None:
        services.transfer(
            debit=debit,
            credit=credit,
            amount_minor=amount,
            idempotency_key=f"w{index}-{uuid.uuid4()}",
            memo=f"worker {index}",
            kind=kind,
        )

    for i in range(count):
        if mode == "same_keys":
            # Every process sends the same deposits: a client retrying on several servers.
            made = services.transfer(
                debit=services.account_external(),
                credit=wallets[0],
                amount_minor=11,
                idempotency_key=f"same-{i}",
                memo="retried",
                kind="account.deposit",
            )
            done["transfers"] += 1
            done.setdefault("ids", []).append(made.pk)
            continue
        if mode == "opposing":
            debit, credit = (wallets[0], wallets[1]) if index == 0 else (wallets[1], wallets[0])
            move(debit, credit, 7)
            done["transfers"] += 1
            continue
        choice = i % 4
        if choice == 0:
            with transaction.atomic():
                services.ledger_append(
                    kind="gradient.submitted", payload={"worker": index, "i": i}, campaign_id=1
                )
            done["appends"] += 1
        elif choice in (1, 2):
            debit, credit = rng.sample(wallets, 2)
            try:
                move(debit, credit, rng.randint(1, 40))
                done["transfers"] += 1
            except InsufficientFundsError:
                done["refused"] += 1
        else:
            # An event and its money in one transaction, as a campaign launch does: the head is
            # locked first, then the accounts; this must not deadlock with plain transfers.
            debit, credit = rng.sample(wallets, 2)
            try:
                with transaction.atomic():
                    services.ledger_append(
                        kind="campaign.launched", payload={"worker": index, "i": i}, campaign_id=2
                    )
                    move(debit, credit, rng.randint(1, 40), kind="bounty.escrowed")
                done["appends"] += 1
                done["transfers"] += 1
            except InsufficientFundsError:
                done["refused"] += 1
    print(json.dumps(done), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmined.settings")
    main()
