"""Every list of the campaign API is paginated the same way: {count, next, previous, results}."""

from __future__ import annotations

import pytest
from rest_framework.pagination import PageNumberPagination

PAGE_KEYS = {"count", "next", "previous", "results"}


@pytest.fixture
def trained(
    api_as, alice, bob, diabetes, launched, submit, django_capture_on_commit_callbacks
) -> dict:
    """A campaign where bob's gradients were judged (eagerly) and at least one was accepted."""
    campaign = launched(alice, diabetes, hyperparameters={"learning_rate": 0.3})
    X, y = diabetes.mines[0]
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert submit(bob, campaign["id"], X, y).status_code == 202
    return campaign


def test_versions_and_payouts_are_pages_like_every_other_list(api_as, alice, trained):
    client = api_as(alice)
    for name in ("versions", "payouts", "gradients"):
        body = client.get(f"/api/campaigns/{trained['id']}/{name}/").json()
        assert set(body) == PAGE_KEYS, name
    versions = client.get(f"/api/campaigns/{trained['id']}/versions/").json()
    assert versions["count"] >= 2  # v0 and at least one accepted gradient
    assert [v["number"] for v in versions["results"]] == list(range(versions["count"]))
    payouts = client.get(f"/api/campaigns/{trained['id']}/payouts/").json()
    assert payouts["count"] >= 1
    assert all(p["amount_minor"] > 0 for p in payouts["results"])


def test_a_page_links_to_the_next_one(api_as, alice, trained, monkeypatch):
    # PageNumberPagination reads PAGE_SIZE once, at import.
    monkeypatch.setattr(PageNumberPagination, "page_size", 1)
    client = api_as(alice)
    first = client.get(f"/api/campaigns/{trained['id']}/versions/").json()
    assert len(first["results"]) == 1
    assert first["next"].endswith("?page=2")
    second = client.get(first["next"]).json()
    assert second["results"][0]["number"] == 1
    assert second["previous"]


def test_mallory_sees_the_versions_of_an_open_campaign_but_no_payouts(api_as, mallory, trained):
    client = api_as(mallory)
    assert client.get(f"/api/campaigns/{trained['id']}/versions/").json()["count"] >= 2
    payouts = client.get(f"/api/campaigns/{trained['id']}/payouts/").json()
    assert payouts == {"count": 0, "next": None, "previous": None, "results": []}


def test_bob_sees_his_own_payouts(api_as, bob, trained):
    payouts = api_as(bob).get(f"/api/campaigns/{trained['id']}/payouts/").json()
    assert payouts["count"] >= 1


def test_a_page_beyond_the_end_is_a_json_404(api_as, alice, trained):
    response = api_as(alice).get(f"/api/campaigns/{trained['id']}/versions/?page=99")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
