"""One cap for the validation file, through the API and through the new-campaign page."""

from __future__ import annotations

import io

from sonar_ui.models import Campaign
from sonar_ui.uploads import ValidationUpload


def _draft(api_as, alice, diabetes) -> int:
    created = api_as(alice).post(
        "/api/campaigns/",
        {
            "name": "capped",
            "input_schema": diabetes.input_schema,
            "output_schema": diabetes.output_schema,
            "algorithm": diabetes.algorithm,
            "bounty_minor": 1000,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def _upload_on_the_page(client, csv: bytes):
    handle = io.BytesIO(csv)
    handle.name = "val.csv"
    return client.post("/sonar/campaigns/new/", {"validation_file": handle})


def test_the_api_refuses_a_validation_file_over_the_cap_with_413(api_as, alice, diabetes, settings):
    campaign_id = _draft(api_as, alice, diabetes)
    csv = diabetes.validation_csv()
    settings.VALIDATION_DATA_MAX_BYTES = len(csv) - 1
    response = api_as(alice).post(
        f"/api/campaigns/{campaign_id}/validation-data/",
        {"file": io.BytesIO(csv)},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert f"at most {len(csv) - 1:,}" in response.json()["detail"]


def test_the_page_refuses_the_same_file_and_leaves_no_draft(client, alice, diabetes, settings):
    csv = diabetes.validation_csv()
    settings.VALIDATION_DATA_MAX_BYTES = len(csv) - 1
    client.force_login(alice)
    response = _upload_on_the_page(client, csv)
    assert f"the limit is {len(csv) - 1:,}" in response.content.decode()
    assert not Campaign.objects.filter(owner=alice).exists()
    assert not ValidationUpload.objects.exists()


def test_the_page_takes_a_file_at_the_cap(client, alice, diabetes, settings):
    csv = diabetes.validation_csv()
    settings.VALIDATION_DATA_MAX_BYTES = len(csv)
    client.force_login(alice)
    response = _upload_on_the_page(client, csv)
    assert response.status_code == 302
    assert ValidationUpload.objects.filter(owner=alice).count() == 1


def test_a_page_body_over_the_cap_is_a_413_page_before_parsing(client, alice, diabetes, settings):
    settings.VALIDATION_BODY_MAX_BYTES = 10_000
    client.force_login(alice)
    response = _upload_on_the_page(client, b"x" * 20_000)
    assert response.status_code == 413
    assert b"10,000 bytes" in response.content
    assert not Campaign.objects.filter(owner=alice).exists()
