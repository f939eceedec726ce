"""A campaign's events (its ledger entries after a seq, with a bounded long poll) and stalls."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import Entry
from ledger.services import ledger_append
from sonar_ui.models import Campaign, GradientSubmission
from sonar_ui.selectors import STALL_AFTER, campaign_stalled_since


def _events(client, campaign_id: int, **params):
    return client.get(f"/api/campaigns/{campaign_id}/events/", params)


def test_alice_reads_her_campaigns_events_in_order_and_pages_with_after(
    api_as, alice, diabetes, launched
):
    campaign = launched(alice, diabetes)
    body = _events(api_as(alice), campaign["id"]).json()
    kinds = [e["kind"] for e in body["events"]]
    assert {"campaign.launched", "key.published", "model.published"} <= set(kinds)
    assert all(e["campaign_id"] == campaign["id"] for e in body["events"])
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs)
    assert body["last_seq"] == seqs[-1]
    assert body["more"] is False
    assert body["campaign"]["status"] == "open"

    first = _events(api_as(alice), campaign["id"], limit=1).json()
    assert [e["seq"] for e in first["events"]] == seqs[:1]
    assert first["more"] is True
    rest = _events(api_as(alice), campaign["id"], after=first["last_seq"]).json()
    assert [e["seq"] for e in rest["events"]] == seqs[1:]


def test_events_hold_only_this_campaigns_entries(api_as, alice, diabetes, launched):
    one = launched(alice, diabetes, name="one")
    two = launched(alice, diabetes, name="two")
    body = _events(api_as(alice), one["id"]).json()
    assert {e["campaign_id"] for e in body["events"]} == {one["id"]}
    assert Entry.objects.filter(campaign_id=two["id"]).exists()


def test_mallory_cannot_read_the_events_of_alices_draft(api_as, alice, mallory):
    draft = (
        api_as(alice)
        .post(
            "/api/campaigns/",
            {
                "name": "secret draft",
                "input_schema": [{"name": "x", "type": "float"}],
                "output_schema": [{"name": "y", "type": "float"}],
                "algorithm": "linear_regression",
                "bounty_minor": 1000,
            },
            format="json",
        )
        .json()
    )
    response = _events(api_as(mallory), draft["id"])
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_anonymous_callers_get_401_for_events(api, alice, diabetes, launched):
    campaign = launched(alice, diabetes)
    assert _events(api, campaign["id"]).status_code == 401


def test_a_wait_above_25_seconds_is_refused_with_the_bound(api_as, alice, diabetes, launched):
    campaign = launched(alice, diabetes)
    response = _events(api_as(alice), campaign["id"], wait=26)
    assert response.status_code == 400
    assert "wait" in response.json()["detail"]
    assert "25" in response.json()["detail"]


def test_a_long_poll_with_nothing_new_returns_empty_within_its_bound(
    api_as, alice, diabetes, launched
):
    campaign = launched(alice, diabetes)
    last = _events(api_as(alice), campaign["id"]).json()["last_seq"]
    started = time.monotonic()
    body = _events(api_as(alice), campaign["id"], after=last, wait=1.5).json()
    elapsed = time.monotonic() - started
    assert body["events"] == []
    assert body["last_seq"] == last
    assert 1.5 <= elapsed < 2.5


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_returns_within_a_second_of_a_new_entry(api_as, alice, diabetes, launched):
    campaign = launched(alice, diabetes)
    last = _events(api_as(alice), campaign["id"]).json()["last_seq"]

    def append_later() -> None:
        time.sleep(0.5)
        try:
            with transaction.atomic():
                ledger_append(
                    kind="campaign.closed",
                    campaign_id=campaign["id"],
                    payload={"campaign": campaign["id"], "note": "test"},
                )
        finally:
            connection.close()

    writer = threading.Thread(target=append_later)
    started = time.monotonic()
    writer.start()
    body = _events(api_as(alice), campaign["id"], after=last, wait=20).json()
    elapsed = time.monotonic() - started
    writer.join()
    assert [e["kind"] for e in body["events"]] == ["campaign.closed"]
    assert elapsed < 0.5 + 1.0


# --- stalls ---------------------------------------------------------------------------------


def _rejected(campaign: Campaign, miner, at, n: int) -> None:
    for i in range(n):
        GradientSubmission.objects.create(
            campaign=campaign, submitted_by=miner, base_version=0, blob_address="0" * 64,
            n_samples=10, payout_account="acct", idempotency_key=f"k{at.timestamp()}-{i}",
            request_sha256="0" * 64, status="rejected", reason="no better",
            evaluated_at=at + timedelta(seconds=i),
        )  # fmt: skip


def test_a_fresh_campaign_is_not_stalled_but_one_idle_for_an_hour_is(alice, diabetes, launched):
    campaign = Campaign.objects.get(pk=launched(alice, diabetes)["id"])
    assert campaign_stalled_since(campaign=campaign) is None
    later = campaign.launched_at + STALL_AFTER + timedelta(minutes=5)
    assert campaign_stalled_since(campaign=campaign, now=later) == (
        campaign.launched_at + STALL_AFTER
    )


def test_two_rejections_in_a_row_stall_the_campaign_and_the_api_says_so(
    api_as, alice, bob, diabetes, launched
):
    campaign = Campaign.objects.get(pk=launched(alice, diabetes)["id"])
    at = timezone.now() + timedelta(seconds=1)
    _rejected(campaign, bob, at, 1)
    assert campaign_stalled_since(campaign=campaign) is None
    _rejected(campaign, bob, at + timedelta(seconds=10), 1)
    stalled = campaign_stalled_since(campaign=campaign)
    assert stalled == at + timedelta(seconds=10)
    detail = api_as(alice).get(f"/api/campaigns/{campaign.id}/").json()
    assert detail["stalled_since"] is not None
    events = _events(api_as(bob), campaign.id).json()
    assert events["campaign"]["stalled_since"] == detail["stalled_since"]


def test_an_accepted_gradient_ends_the_stall(alice, bob, diabetes, launched):
    campaign = Campaign.objects.get(pk=launched(alice, diabetes)["id"])
    at = timezone.now() + timedelta(seconds=1)
    _rejected(campaign, bob, at, 2)
    assert campaign_stalled_since(campaign=campaign) is not None
    GradientSubmission.objects.create(
        campaign=campaign, submitted_by=bob, base_version=0, blob_address="0" * 64,
        n_samples=10, payout_account="acct", idempotency_key="good", request_sha256="0" * 64,
        status="accepted", evaluated_at=at + timedelta(minutes=1),
    )  # fmt: skip
    assert campaign_stalled_since(campaign=campaign) is None


def test_a_closed_campaign_is_never_stalled(alice, diabetes, launched):
    campaign = Campaign.objects.get(pk=launched(alice, diabetes)["id"])
    campaign.status = Campaign.Status.COMPLETED
    later = timezone.now() + STALL_AFTER * 3
    assert campaign_stalled_since(campaign=campaign, now=later) is None
