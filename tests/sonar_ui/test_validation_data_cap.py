"""One cap for the validation file, through the API and through the new-campaign page."""

from __future__ import annotations

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from sonar_ui.models import Campaign


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


def _page_form(diabetes, csv: bytes, **overrides) -> dict:
    return {
        "name": "from the page",
        "description": "",
        "algorithm": diabetes.algorithm,
        "input_schema": json.dumps(diabetes.input_schema),
        "output_schema": json.dumps(diabetes.output_schema),
        "bounty": "10.00",
        "target_accuracy": "90",
        "learning_rate": "0.5",
        "min_other_accepted": "0",
        "validation_file": SimpleUploadedFile("val.csv", csv, content_type="text/csv"),
        **overrides,
    }


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
    response = client.post("/sonar/campaigns/new/", _page_form(diabetes, csv))
    assert response.status_code == 200
    assert f"at most {len(csv) - 1:,} are accepted" in response.content.decode()
    assert not Campaign.objects.filter(owner=alice).exists()


def test_the_page_takes_a_file_under_the_cap(client, alice, diabetes):
    client.force_login(alice)
    response = client.post("/sonar/campaigns/new/", _page_form(diabetes, diabetes.validation_csv()))
    assert response.status_code == 302
    assert Campaign.objects.filter(owner=alice, name="from the page").exists()


def test_a_page_body_over_the_cap_is_a_413_page_before_parsing(client, alice, diabetes, settings):
    settings.VALIDATION_BODY_MAX_BYTES = 10_000
    client.force_login(alice)
    response = client.post("/sonar/campaigns/new/", _page_form(diabetes, b"x" * 20_000))
    assert response.status_code == 413
    assert b"10,000 bytes" in response.content
    assert not Campaign.objects.filter(owner=alice).exists()


def test_deeply_nested_schema_json_on_the_page_is_a_form_error(client, alice, diabetes):
    client.force_login(alice)
    deep = "[" * 1000 + "]" * 1000
    response = client.post(
        "/sonar/campaigns/new/",
        _page_form(diabetes, diabetes.validation_csv(), input_schema=deep),
    )
    assert response.status_code == 200
    assert "32 levels" in response.content.decode()
    assert not Campaign.objects.filter(owner=alice).exists()
