"""The wallet API and the public ledger API."""

from __future__ import annotations

import pytest

from ledger import merkle, selectors, services
from ledger.models import Entry, Transfer
from tests.ledger.conftest import append, key

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return selectors.wallet_summary_for_user(user=user)["balance_minor"]


# --- GET /api/wallet/ ---------------------------------------------------------------------------


def test_a_person_sees_their_wallet_and_transfers(api_as, alice, bob, fund):
    fund(alice, 1_000)
    services.transfer(
        debit=services.account_wallet_for_user(user=alice),
        credit=services.account_wallet_for_user(user=bob),
        amount_minor=150,
        idempotency_key=key(),
        memo="for the data",
    )
    body = api_as(alice).get("/api/wallet/").json()
    assert body["account"] == services.account_wallet_for_user(user=alice).public_id
    assert body["balance_minor"] == 850
    assert body["currency"] == "USD"
    assert body["transfers"]["count"] == 2
    newest = body["transfers"]["results"][0]
    assert newest["direction"] == "out"
    assert newest["amount_minor"] == 150
    assert newest["counterparty"] == services.account_wallet_for_user(user=bob).public_id
    assert newest["memo"] == "for the data"
    bob_view = api_as(bob).get("/api/wallet/").json()
    assert bob_view["balance_minor"] == 150
    assert [t["direction"] for t in bob_view["transfers"]["results"]] == ["in"]


def test_me_shows_the_wallet_too(api_as, alice, fund):
    fund(alice, 42)
    wallet = api_as(alice).get("/api/me/").json()["wallet"]
    assert wallet["balance_minor"] == 42
    assert wallet["account"].startswith("acct_")


def test_the_wallet_needs_a_login(api):
    response = api.get("/api/wallet/")
    assert response.status_code in (401, 403)
    assert set(response.json()) >= {"error", "detail"}


# --- POST /api/wallet/deposit/ ------------------------------------------------------------------


def deposit(client, idempotency_key: str | None = "k1", **data):
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    return client.post("/api/wallet/deposit/", data, format="json", **headers)


def test_an_operator_deposits_into_anyones_wallet(api_as, operator, alice):
    response = deposit(api_as(operator), amount_minor=5_000, username="alice", memo="wire 17")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "alice"
    assert body["balance_minor"] == 5_000
    assert Entry.objects.get(seq=body["seq"]).kind == "account.deposit"
    assert Transfer.objects.get().memo == "wire 17"
    assert balance(alice) == 5_000


def test_a_retried_deposit_with_the_same_key_deposits_once(api_as, operator, alice):
    client = api_as(operator)
    first = deposit(client, amount_minor=700, username="alice")
    again = deposit(client, amount_minor=700, username="alice")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["transfer_id"] == first.json()["transfer_id"]
    assert balance(alice) == 700


def test_the_same_key_for_a_different_deposit_is_a_409_and_changes_nothing(api_as, operator, alice):
    client = api_as(operator)
    deposit(client, amount_minor=700, username="alice")
    response = deposit(client, amount_minor=900, username="alice")
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_conflict"
    assert balance(alice) == 700


def test_two_people_may_use_the_same_key_without_colliding(api_as, alice, bob, settings):
    settings.SONAR_DEMO_MODE = True
    assert deposit(api_as(alice), "same", amount_minor=10).status_code == 201
    assert deposit(api_as(bob), "same", amount_minor=20).status_code == 201
    assert (balance(alice), balance(bob)) == (10, 20)


def test_a_deposit_without_an_idempotency_key_is_refused(api_as, operator, alice):
    response = deposit(api_as(operator), None, amount_minor=10, username="alice")
    assert response.status_code == 400
    assert response.json()["error"] == "idempotency_key_required"
    assert not Transfer.objects.exists()


def test_in_demo_mode_anyone_credits_their_own_wallet_up_to_the_cap(api_as, alice, settings):
    settings.SONAR_DEMO_MODE = True
    settings.SONAR_DEMO_CREDIT_MINOR = 1_000
    assert deposit(api_as(alice), "a", amount_minor=1_000).status_code == 201
    too_much = deposit(api_as(alice), "b", amount_minor=1_001)
    assert too_much.status_code == 400
    assert too_much.json()["error"] == "demo_credit_too_large"
    assert "at most 1000 minor units" in too_much.json()["detail"]
    assert balance(alice) == 1_000


def test_mallory_tries_to_credit_bobs_wallet_in_demo_mode_and_gets_403(
    api_as, mallory, bob, settings
):
    settings.SONAR_DEMO_MODE = True
    response = deposit(api_as(mallory), amount_minor=100, username="bob")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert balance(bob) == 0
    assert not Transfer.objects.exists()


def test_mallory_tries_to_credit_herself_outside_demo_mode_and_gets_403(api_as, mallory, settings):
    settings.SONAR_DEMO_MODE = False
    response = deposit(api_as(mallory), amount_minor=100)
    assert response.status_code == 403
    assert "Only operators" in response.json()["detail"]
    assert not Transfer.objects.exists()


def test_a_deposit_to_an_unknown_person_is_a_404(api_as, operator):
    response = deposit(api_as(operator), amount_minor=10, username="nobody")
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


def test_a_bad_amount_is_named_in_the_error(api_as, operator, alice):
    response = deposit(api_as(operator), amount_minor=0, username="alice")
    assert response.status_code == 400
    assert "amount_minor" in response.json()["detail"]


# --- the public ledger --------------------------------------------------------------------------


@pytest.fixture
def entries() -> list[Entry]:
    return [append(payload={"n": n, "name": "Zoë"}, campaign_id=n + 1) for n in range(7)]


def test_anyone_pages_through_entries_after_a_seq(api, entries):
    first = api.get("/api/ledger/entries/?after=0&limit=3").json()
    assert [e["seq"] for e in first["entries"]] == [1, 2, 3]
    assert first["next_after"] == 3
    assert first["size"] == 7
    rest = api.get("/api/ledger/entries/?after=3&limit=10").json()
    assert [e["seq"] for e in rest["entries"]] == [4, 5, 6, 7]
    assert rest["next_after"] is None
    entry = rest["entries"][0]
    assert entry["payload"] == {"n": 3, "name": "Zoë"}
    assert entry["payload_json"] == '{"n":3,"name":"Zo\\u00eb"}'
    assert entry["prev_hash"] == first["entries"][2]["hash"]
    assert entry["timestamp"].endswith("Z")


def test_one_entry_by_seq_and_a_json_404_for_a_missing_one(api, entries):
    assert api.get("/api/ledger/entries/2/").json()["hash"] == entries[1].hash
    missing = api.get("/api/ledger/entries/99/")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not_found",
        "detail": "There is no ledger entry 99; the ledger has 7.",
    }


def test_bad_paging_parameters_get_a_400_that_names_them(api, entries):
    response = api.get("/api/ledger/entries/?after=abc")
    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == "The query parameter 'after' must be a whole number, not 'abc'."
    )
    assert api.get("/api/ledger/entries/?limit=5000").status_code == 400


def test_the_latest_checkpoint_is_public(api, entries, platform_key):
    assert api.get("/api/ledger/checkpoints/latest/").status_code == 404
    checkpoint = services.checkpoint_create()
    body = api.get("/api/ledger/checkpoints/latest/").json()
    assert body["tree_size"] == 7
    assert body["root_hash"] == checkpoint.root_hash
    assert body["key_fingerprint"] == platform_key
    assert body["signature"].startswith("-----BEGIN PGP SIGNATURE-----")
    assert f'"root_hash":"{checkpoint.root_hash}"' in body["statement"]
    listed = api.get("/api/ledger/checkpoints/").json()
    assert [c["tree_size"] for c in listed["checkpoints"]] == [7]


def test_an_inclusion_proof_from_the_api_verifies(api, entries):
    body = api.get("/api/ledger/proofs/inclusion/?seq=3&size=7").json()
    leaves = [bytes.fromhex(e.hash) for e in entries]
    assert body["leaf_hash"] == entries[2].hash
    assert body["root_hash"] == merkle.root(leaves).hex()
    assert merkle.verify_inclusion(
        bytes.fromhex(body["leaf_hash"]),
        body["leaf_index"],
        body["tree_size"],
        [bytes.fromhex(node) for node in body["proof"]],
        bytes.fromhex(body["root_hash"]),
    )


def test_a_consistency_proof_from_the_api_verifies(api, entries):
    body = api.get("/api/ledger/proofs/consistency/?first=3&second=7").json()
    assert merkle.verify_consistency(
        3,
        7,
        bytes.fromhex(body["first_root_hash"]),
        bytes.fromhex(body["second_root_hash"]),
        [bytes.fromhex(node) for node in body["proof"]],
    )


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/ledger/proofs/inclusion/?seq=3", "The query parameter 'size' is required."),
        ("/api/ledger/proofs/inclusion/?seq=9&size=7", "Entry 9 is not in a tree of size 7"),
        ("/api/ledger/proofs/inclusion/?seq=1&size=8", "Tree size 8 is out of range"),
        ("/api/ledger/proofs/consistency/?first=5&second=4", "first size must be between 1 and 4"),
        ("/api/ledger/proofs/consistency/?first=-1&second=4", "cannot be negative"),
    ],
)
def test_impossible_proofs_get_a_400_sentence(api, entries, url, detail):
    response = api.get(url)
    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_the_platform_key_is_served_to_anyone(api, platform_key):
    body = api.get("/api/ledger/key/").json()
    assert body["fingerprint"] == platform_key
    assert body["public_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in body["public_key"]


def test_the_openapi_schema_names_the_ledger_serializers_after_their_views(api, operator, api_as):
    schema = api_as(operator).get("/api/schema/?format=json").json()
    names = set(schema["components"]["schemas"])
    assert {"WalletOutput", "WalletDepositInputRequest", "LedgerInclusionProofOutput"} <= names
