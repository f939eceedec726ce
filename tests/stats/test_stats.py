"""Public statistics count what happened and reveal nothing private."""

from __future__ import annotations


def test_stats_are_public_and_count_campaigns_by_status(api, alice, diabetes, launched):
    campaign = launched(alice, diabetes, bounty_minor=12_345)
    body = api.get("/api/stats/").json()
    assert body["campaigns"]["open"] == 1
    assert body["bounties_minor"] == 12_345
    assert body["ledger_entries"] >= 4
    assert campaign["name"] not in str(body)


def test_the_stats_page_renders_for_anonymous_visitors(client, db):
    page = client.get("/stats/")
    assert page.status_code == 200
    assert "Paid to mines" in page.content.decode()
