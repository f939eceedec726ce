"""The public ledger page and the read-only admin."""

from __future__ import annotations

import pytest
from django.test import Client

from ledger.models import Account, Entry, Transfer
from tests.conftest import PASSWORD
from tests.ledger.conftest import append

pytestmark = pytest.mark.django_db


def test_anyone_sees_the_newest_entries_and_the_latest_checkpoint(client, platform_key):
    from ledger.services import checkpoint_create

    for n in range(3):
        append(kind="campaign.launched", payload={"campaign": n, "name": f"diabetes-{n}"})
    checkpoint = checkpoint_create()
    page = client.get("/ledger/").content.decode()
    assert "diabetes-2" in page
    assert "campaign.launched" in page
    assert checkpoint.root_hash in page
    assert "python -m ledger.verify_remote" in page
    assert page.index("diabetes-2") < page.index("diabetes-0")  # newest first


def test_the_page_says_when_the_ledger_is_empty(client):
    page = client.get("/ledger/").content.decode()
    assert "The ledger is empty." in page
    assert "No checkpoint has been signed yet." in page


def admin_client(operator) -> Client:
    client = Client()
    assert client.login(username=operator.username, password=PASSWORD)
    return client


def test_operators_read_entries_in_the_admin_but_cannot_change_or_delete_them(operator):
    entry = append(payload={"n": 1})
    client = admin_client(operator)
    assert client.get("/admin/ledger/entry/").status_code == 200
    detail = client.get(f"/admin/ledger/entry/{entry.seq}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get(f"/admin/ledger/entry/{entry.seq}/delete/").status_code == 403
    client.post(f"/admin/ledger/entry/{entry.seq}/change/", {"kind": "account.deposit"})
    assert Entry.objects.get(seq=entry.seq).kind == "gradient.submitted"
    assert client.get("/admin/ledger/entry/add/").status_code == 403


def test_an_operator_deposits_from_the_admin_once_even_if_the_form_is_sent_twice(operator, alice):
    client = admin_client(operator)
    form = client.get("/admin/ledger/account/deposit/")
    assert form.status_code == 200
    idempotency_key = form.context["form"].initial["idempotency_key"]
    data = {
        "user": alice.pk,
        "amount_minor": 2_000,
        "memo": "bank transfer 88",
        "idempotency_key": idempotency_key,
    }
    assert client.post("/admin/ledger/account/deposit/", data).status_code == 302
    assert client.post("/admin/ledger/account/deposit/", data).status_code == 302
    assert Transfer.objects.count() == 1
    assert Account.objects.get(user=alice).balance_minor == 2_000


def test_mallory_cannot_reach_the_admin_deposit_form(client, mallory):
    client.login(username="mallory", password=PASSWORD)
    response = client.get("/admin/ledger/account/deposit/")
    assert response.status_code == 302  # to the admin login
    assert not Transfer.objects.exists()
