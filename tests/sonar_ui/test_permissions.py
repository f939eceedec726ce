"""Mallory, signed in and owning nothing, tries everything and changes nothing."""

from __future__ import annotations

import io

import pytest

from sonar_ui.models import Campaign


@pytest.fixture
def draft(api_as, alice, diabetes):
    body = {
        "name": "secret draft", "input_schema": diabetes.input_schema,
        "output_schema": diabetes.output_schema, "algorithm": diabetes.algorithm,
        "bounty_minor": 5_000,
    }  # fmt: skip
    created = api_as(alice).post("/api/campaigns/", body, format="json").json()
    api_as(alice).post(
        f"/api/campaigns/{created['id']}/validation-data/",
        {"file": io.BytesIO(diabetes.validation_csv())},
        format="multipart",
    )
    return created


def test_mallory_cannot_see_alices_draft(api_as, mallory, draft):
    client = api_as(mallory)
    assert client.get(f"/api/campaigns/{draft['id']}/").status_code == 404
    listed = client.get("/api/campaigns/").json()
    assert draft["id"] not in [c["id"] for c in listed["results"]]


@pytest.mark.parametrize("action", ["launch", "close"])
def test_mallory_cannot_launch_or_close_alices_campaign(api_as, mallory, draft, action):
    response = api_as(mallory).post(f"/api/campaigns/{draft['id']}/{action}/")
    assert response.status_code == 404
    assert Campaign.objects.get(pk=draft["id"]).status == "draft"


def test_mallory_cannot_replace_alices_validation_data(api_as, mallory, draft):
    response = api_as(mallory).post(
        f"/api/campaigns/{draft['id']}/validation-data/",
        {"file": io.BytesIO(b"age\n1\n")},
        format="multipart",
    )
    assert response.status_code == 404


def test_nobody_can_download_validation_data_or_keys_through_the_api(
    api_as, alice, mallory, diabetes, launched
):
    campaign = launched(alice, diabetes, name="public one")
    for client in (api_as(alice), api_as(mallory)):
        body = client.get(f"/api/campaigns/{campaign['id']}/").json()
        text = str(body)
        for row in diabetes.X_val[:20]:
            assert repr(float(row[0])) not in text
        assert set(body["public_key"]) == {"scheme", "n", "bits", "fingerprint"}


def test_mallory_sees_open_campaigns_without_owner_only_fields(api_as, alice, mallory, diabetes,
                                                              launched):  # fmt: skip
    campaign = launched(alice, diabetes)
    body = api_as(mallory).get(f"/api/campaigns/{campaign['id']}/").json()
    assert body["status"] == "open"
    assert body["validation_data"] is None
    assert api_as(alice).get(f"/api/campaigns/{campaign['id']}/").json()["validation_data"]


def test_mallory_cannot_download_the_result_or_see_gradients_of_others(
    api_as, alice, bob, mallory, diabetes, launched, submit
):
    campaign = launched(alice, diabetes)
    X, y = diabetes.mines[0]
    sent = submit(bob, campaign["id"], X, y).json()
    client = api_as(mallory)
    assert client.get(f"/api/campaigns/{campaign['id']}/result/").status_code == 404
    assert client.get(f"/api/gradients/{sent['id']}/").status_code == 404
    assert client.get(f"/api/campaigns/{campaign['id']}/gradients/").json()["results"] == []
    assert client.get(f"/api/campaigns/{campaign['id']}/payouts/").json()["results"] == []
    # The owner sees bob's gradient; bob sees his own.
    assert api_as(alice).get(f"/api/gradients/{sent['id']}/").status_code == 200
    assert api_as(bob).get(f"/api/gradients/{sent['id']}/").status_code == 200


def test_anonymous_callers_get_401(api, diabetes):
    assert api.get("/api/campaigns/").status_code == 401
    assert api.post("/api/campaigns/", {}, format="json").status_code == 401
