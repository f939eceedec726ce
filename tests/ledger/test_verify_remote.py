"""`python -m ledger.verify_remote URL` checks a live platform from its public API alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ledger import api, services
from ledger.canonical import canonical_json
from tests.conftest import ROOT
from tests.ledger.conftest import append, key

pytestmark = pytest.mark.django_db(transaction=True)


def verify_remote(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ledger.verify_remote", url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def platform(live_server, alice, bob, platform_key) -> str:
    """A running platform with money, events and two signed checkpoints."""
    services.deposit(user=alice, amount_minor=900, idempotency_key=key(), memo="in")
    append(kind="campaign.launched", payload={"campaign": 1, "name": "Zoë's"}, campaign_id=1)
    services.checkpoint_create()
    services.transfer(
        debit=services.account_wallet_for_user(user=alice),
        credit=services.account_escrow_for_campaign(campaign_id=1),
        amount_minor=600,
        idempotency_key=key(),
        memo="bounty",
        kind="bounty.escrowed",
        campaign_id=1,
    )
    services.transfer(
        debit=services.account_escrow_for_campaign(campaign_id=1),
        credit=services.account_wallet_for_user(user=bob),
        amount_minor=250,
        idempotency_key=key(),
        memo="payout",
        kind="payout.settled",
        campaign_id=1,
    )
    services.checkpoint_create()
    append()  # one entry not yet under a checkpoint
    return live_server.url


def test_an_honest_platform_passes_and_the_state_file_remembers_it(platform, tmp_path):
    state = tmp_path / "trusted.json"
    result = verify_remote(platform, "--state", str(state))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Remote ledger OK: 5 entries chained from genesis, 3 transfers")
    assert "2 checkpoints signed by" in result.stdout
    assert '"tree_size": 4' in state.read_text()
    # The next run proves the new checkpoint extends the trusted one.
    services.checkpoint_create()
    again = verify_remote(platform, "--state", str(state))
    assert again.returncode == 0, again.stderr
    assert '"tree_size": 5' in state.read_text()


def test_a_platform_that_serves_an_altered_entry_is_caught(platform, monkeypatch):
    honest = api.LedgerEntrySerializer.to_representation

    def lie(self, entry) -> dict:
        served = honest(self, entry)
        if entry.seq == 3:  # the bounty, shrunk consistently in both of its forms
            served["payload"]["transfer"]["amount_minor"] = 60
            served["payload_json"] = canonical_json(served["payload"])
        return served

    monkeypatch.setattr(api.LedgerEntrySerializer, "to_representation", lie)
    result = verify_remote(platform)
    assert result.returncode == 1
    assert "Remote ledger BROKEN: seq 3: its hash does not match its contents" in result.stderr


def test_a_platform_that_cannot_prove_consistency_is_caught(platform, monkeypatch):
    from ledger import selectors

    real = selectors.consistency_proof_for

    def forged(*, first: int, second: int) -> dict:
        proof = real(first=first, second=second)
        proof["proof"] = ["00" * 32 for _ in proof["proof"]] or ["00" * 32]
        return proof

    monkeypatch.setattr(selectors, "consistency_proof_for", forged)
    result = verify_remote(platform)
    assert result.returncode == 1
    assert "rewrote history" in result.stderr


def test_an_unreachable_platform_exits_2():
    result = verify_remote("http://127.0.0.1:9")
    assert result.returncode == 2
    assert "Could not reach" in result.stderr


def test_the_remote_verifier_needs_no_django():
    probe = (
        "import sys, ledger.verify_remote; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
