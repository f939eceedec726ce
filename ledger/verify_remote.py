"""Verify a Sonar platform's ledger from its public API alone.

    python -m ledger.verify_remote http://127.0.0.1:8000 [--state ~/.sonar-ledger.json]

Downloads every entry and recomputes its hash and link from the genesis, replays every transfer
(no wallet or escrow ever below zero), checks every checkpoint's Merkle root and its OpenPGP
signature by the platform key, and has the platform prove inclusion of sample entries and
consistency between checkpoints. With --state it also remembers the last checkpoint it trusted
and makes the platform prove that today's ledger extends it: a rewritten history cannot pass.

Needs only Python, requests, python-gnupg and the gpg binary; no Django, no database. Exit
status 0 with a one-line summary, 1 naming the first problem, 2 when the platform is unreachable.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import requests

from ledger import merkle
from ledger.canonical import checkpoint_statement, payload_canonical
from ledger.chainscan import ChainScanner
from ledger.errors import ChainBrokenError
from ledger.openpgp import SignatureChecker


class Unreachable(Exception):
    """The platform did not answer as an API should."""


@dataclass
class Client:
    base: str
    timeout: float = 30.0

    def get(self, path: str, **params) -> dict:
        url = self.base.rstrip("/") + path
        try:
            response = requests.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unreachable(f"Could not reach {url}: {exc}") from exc
        if response.status_code != 200:
            raise Unreachable(f"{url} answered {response.status_code}: {response.text[:300]}")
        try:
            return response.json()
        except ValueError as exc:
            raise Unreachable(f"{url} did not answer JSON.") from exc


def _entries(client: Client, page_size: int):
    after = 0
    while True:
        page = client.get("/api/ledger/entries/", after=after, limit=page_size)
        yield page["entries"]
        if page["next_after"] is None:
            return
        after = page["next_after"]


def _checkpoints(client: Client) -> list[dict]:
    found, after = [], 0
    while True:
        page = client.get("/api/ledger/checkpoints/", after=after)
        found.extend(page["checkpoints"])
        if page["next_after"] is None:
            return found
        after = page["next_after"]


def _row(entry: dict) -> tuple:
    payload_json = payload_canonical(entry["payload"])
    if entry.get("payload_json") not in (None, payload_json):
        raise ChainBrokenError(
            f"seq {entry['seq']}: the payload and its canonical text disagree.", seq=entry["seq"]
        )
    return (
        entry["seq"],
        entry["version"],
        entry["timestamp"],
        entry["kind"],
        entry["campaign_id"],
        payload_json,
        entry["prev_hash"],
        entry["hash"],
    )


def _replay_transfers(transfers: list[tuple[int, str, int | None, str]]) -> int:
    """Balances from the public entries alone; wallets and escrows must never dip below zero."""
    balances: dict[str, int] = {}
    for seq, _kind, _campaign, payload_json in transfers:
        move = json.loads(payload_json)["transfer"]
        amount = move["amount_minor"]
        if not isinstance(amount, int) or amount <= 0:
            raise ChainBrokenError(f"seq {seq}: a transfer of {amount!r}.", seq=seq)
        balances[move["debit"]] = balances.get(move["debit"], 0) - amount
        balances[move["credit"]] = balances.get(move["credit"], 0) + amount
        if move["debit_kind"] != "external" and balances[move["debit"]] < 0:
            raise ChainBrokenError(
                f"seq {seq}: {move['debit_kind']} {move['debit']} pays {amount} and goes to "
                f"{balances[move['debit']]}.",
                seq=seq,
            )
    if sum(balances.values()) != 0:
        raise ChainBrokenError("The replayed balances do not sum to zero.")
    return len(balances)


def verify(client: Client, *, page_size: int, proofs: int, state: Path | None) -> str:
    """Check everything; return the summary line or raise ChainBrokenError."""
    key = client.get("/api/ledger/key/")
    checkpoints = _checkpoints(client)
    sizes = [c["tree_size"] for c in checkpoints]

    scanner = ChainScanner(kinds=None)
    for entries in _entries(client, page_size):
        scanner.feed(_row(entry) for entry in entries)
    size = scanner.count
    roots = merkle.roots_at_sizes(scanner.leaves, [*sizes, size])
    accounts = _replay_transfers(scanner.transfer_entries)

    with SignatureChecker(key["public_key"]) as checker:
        if checker.fingerprint != key["fingerprint"]:
            raise ChainBrokenError("The served key's fingerprint is not the one announced.")
        for checkpoint in checkpoints:
            tree_size = checkpoint["tree_size"]
            if tree_size > size:
                raise ChainBrokenError(
                    f"seq {size + 1}: a checkpoint covers {tree_size} entries but the API "
                    f"served only {size}.",
                    seq=size + 1,
                )
            if roots[tree_size].hex() != checkpoint["root_hash"]:
                raise ChainBrokenError(
                    f"The checkpoint at tree size {tree_size} signed root "
                    f"{checkpoint['root_hash']}, but the served entries hash to "
                    f"{roots[tree_size].hex()}."
                )
            statement = checkpoint_statement(
                tree_size=tree_size,
                root_hash=checkpoint["root_hash"],
                timestamp=checkpoint["timestamp"],
            )
            if not checker.valid(statement, checkpoint["signature"]):
                raise ChainBrokenError(
                    f"The checkpoint at tree size {tree_size} is not signed by the platform key "
                    f"{checker.fingerprint}."
                )

    inclusion = consistency = 0
    if checkpoints:
        latest = checkpoints[-1]
        signed_size, signed_root = latest["tree_size"], bytes.fromhex(latest["root_hash"])
        sample = {
            1,
            signed_size,
            # From the OS: a server that could predict the sample could forge the rest.
            *random.SystemRandom().sample(range(1, signed_size + 1), min(proofs, signed_size)),
        }
        for seq in sorted(sample):
            proof = client.get("/api/ledger/proofs/inclusion/", seq=seq, size=signed_size)
            path = [bytes.fromhex(node) for node in proof["proof"]]
            if not merkle.verify_inclusion(
                scanner.leaves[seq - 1], seq - 1, signed_size, path, signed_root
            ):
                raise ChainBrokenError(
                    f"seq {seq}: the platform's inclusion proof does not lead to the signed root "
                    f"at tree size {signed_size}.",
                    seq=seq,
                )
            inclusion += 1
        pairs = list(pairwise(checkpoints))[-proofs:]
        trusted = _load_state(state, client.base)
        if trusted is not None:
            pairs.append((trusted, latest))
        for older, newer in pairs:
            if older["tree_size"] > newer["tree_size"]:
                raise ChainBrokenError(
                    f"The platform's latest checkpoint ({newer['tree_size']} entries) is smaller "
                    f"than one trusted before ({older['tree_size']}): history was cut."
                )
            proof = client.get(
                "/api/ledger/proofs/consistency/",
                first=older["tree_size"],
                second=newer["tree_size"],
            )
            if not merkle.verify_consistency(
                older["tree_size"],
                newer["tree_size"],
                bytes.fromhex(older["root_hash"]),
                bytes.fromhex(newer["root_hash"]),
                [bytes.fromhex(node) for node in proof["proof"]],
            ):
                raise ChainBrokenError(
                    f"The tree at {newer['tree_size']} entries does not extend the one at "
                    f"{older['tree_size']}: the platform rewrote history in between."
                )
            consistency += 1
        _save_state(state, client.base, latest)

    signed = (
        f"{len(checkpoints)} checkpoints signed by {key['fingerprint']}"
        if checkpoints
        else "no checkpoints yet"
    )
    return (
        f"Remote ledger OK: {size} entries chained from genesis, "
        f"{len(scanner.transfer_entries)} transfers replayed over {accounts} accounts, {signed}, "
        f"{inclusion} inclusion and {consistency} consistency proofs verified; Merkle root "
        f"{roots[size].hex() if size else merkle.EMPTY_ROOT.hex()} at tree size {size}."
    )


def _load_state(path: Path | None, base: str) -> dict | None:
    if path is None or not path.exists():
        return None
    saved = json.loads(path.read_text())
    return saved if saved.get("url") == base else None


def _save_state(path: Path | None, base: str, checkpoint: dict) -> None:
    if path is None:
        return
    path.write_text(
        json.dumps(
            {
                "url": base,
                "tree_size": checkpoint["tree_size"],
                "root_hash": checkpoint["root_hash"],
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledger.verify_remote",
        description="Verify a Sonar platform's ledger from its public API alone.",
    )
    parser.add_argument("url", help="The platform's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--state",
        type=Path,
        help="A file remembering the last verified checkpoint; the next run proves the ledger "
        "still extends it.",
    )
    parser.add_argument("--page-size", type=int, default=1000, help="Entries per request.")
    parser.add_argument(
        "--proofs", type=int, default=8, help="Sample inclusion and consistency proofs to check."
    )
    args = parser.parse_args(argv)
    try:
        summary = verify(
            Client(args.url), page_size=args.page_size, proofs=args.proofs, state=args.state
        )
    except Unreachable as exc:
        print(f"Remote ledger UNREACHABLE: {exc}", file=sys.stderr)
        return 2
    except (ChainBrokenError, KeyError, TypeError, ValueError) as exc:
        print(f"Remote ledger BROKEN: {exc}", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
