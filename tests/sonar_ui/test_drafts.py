"""A draft from a file: upload and infer, create with its data (or nothing), edit, delete."""

from __future__ import annotations

import json

import pytest

from capsule.services import validation_data_summary
from sonar_ui import services
from sonar_ui.errors import (
    CampaignError,
    CampaignForbiddenError,
    CampaignNotFoundError,
    CampaignStateError,
)
from sonar_ui.models import Campaign
from sonar_ui.uploads import ValidationUpload

SMALL_CSV = b"age,smoker,region,risk\n34,yes,north,0.5\n51,no,south,1.25\n29,no,north,0.75\n"
TERMS = {"name": "Risk", "algorithm": "linear_regression", "bounty_minor": 50_000}


def test_alice_uploads_a_csv_and_its_columns_are_inferred(alice):
    upload = services.validation_upload_create(owner=alice, filename="risk.csv", data=SMALL_CSV)

    assert upload.adapter == "csv"
    assert upload.rows == 3
    types = {c["name"]: c["type"] for c in upload.columns}
    assert types == {"age": "int", "smoker": "bool", "region": "category", "risk": "float"}
    region = next(c for c in upload.columns if c["name"] == "region")
    assert region["categories"] == ["north", "south"]
    assert region["example"] == "north"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        (
            "risk.json",
            json.dumps(
                [
                    {"age": 34, "smoker": True, "region": "north", "risk": 0.5},
                    {"age": 51, "smoker": False, "region": "south", "risk": 1.25},
                    {"age": 29, "smoker": False, "region": "north", "risk": 0.75},
                ]
            ).encode(),
        ),
        (
            "risk.jsonl",
            b'{"age": 34, "smoker": true, "region": "north", "risk": 0.5}\n'
            b'{"age": 51, "smoker": false, "region": "south", "risk": 1.25}\n'
            b'{"age": 29, "smoker": false, "region": "north", "risk": 0.75}\n',
        ),
    ],
)
def test_json_and_json_lines_files_are_inferred_like_csv(alice, filename, data):
    upload = services.validation_upload_create(owner=alice, filename=filename, data=data)

    assert upload.adapter == filename.rsplit(".", 1)[1]
    types = {c["name"]: c["type"] for c in upload.columns}
    assert types == {"age": "int", "smoker": "bool", "region": "category", "risk": "float"}


def test_a_file_over_the_size_limit_is_refused_and_not_kept(alice, settings):
    settings.VALIDATION_DATA_MAX_BYTES = 20

    with pytest.raises(CampaignError, match="the limit is 20"):
        services.validation_upload_create(owner=alice, filename="risk.csv", data=SMALL_CSV)
    assert not ValidationUpload.objects.exists()


def test_a_spreadsheet_is_refused_with_what_to_do(alice):
    with pytest.raises(CampaignError, match="export your validation data"):
        services.validation_upload_create(owner=alice, filename="risk.xlsx", data=SMALL_CSV)


def test_mallory_without_the_data_scientist_role_cannot_upload(mallory):
    with pytest.raises(CampaignForbiddenError):
        services.validation_upload_create(owner=mallory, filename="risk.csv", data=SMALL_CSV)
    assert not ValidationUpload.objects.exists()


def test_a_person_keeps_at_most_three_uploads_waiting(alice):
    made = [
        services.validation_upload_create(owner=alice, filename=f"{i}.csv", data=SMALL_CSV).id
        for i in range(5)
    ]
    assert sorted(ValidationUpload.objects.values_list("id", flat=True)) == made[-3:]


def test_the_draft_is_created_with_its_validation_data_and_the_upload_is_gone(alice, diabetes):
    upload = services.validation_upload_create(
        owner=alice, filename="diabetes.csv", data=diabetes.validation_csv()
    )

    campaign = services.campaign_create_from_upload(
        owner=alice, upload_id=upload.id, target="progression", types={}, **TERMS
    )

    assert campaign.status == "draft"
    assert [f["name"] for f in campaign.input_schema] == [f["name"] for f in diabetes.input_schema]
    assert campaign.output_schema == [{"name": "progression", "type": "float"}]
    assert validation_data_summary(campaign_id=campaign.id).rows == len(diabetes.y_val)
    assert not ValidationUpload.objects.exists()


def test_a_json_lines_file_becomes_the_drafts_validation_data(alice):
    data = b"".join(
        b'{"age": %d, "smoker": %s, "risk": %d.5}\n' % (20 + i, b"true" if i % 2 else b"false", i)
        for i in range(4)
    )
    upload = services.validation_upload_create(owner=alice, filename="r.jsonl", data=data)

    campaign = services.campaign_create_from_upload(
        owner=alice, upload_id=upload.id, target="risk", types={}, **TERMS
    )

    assert campaign.input_schema == [
        {"name": "age", "type": "int"},
        {"name": "smoker", "type": "bool"},
    ]
    assert validation_data_summary(campaign_id=campaign.id).rows == 4


def test_header_names_with_spaces_keep_their_examples_and_categories(alice):
    data = b" age , region ,risk\n34,north,0.5\n51,south,1.25\n29,north,0.75\n"
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=data)

    region = next(c for c in upload.columns if c["name"] == "region")
    assert (region["type"], region["categories"], region["example"]) == (
        "category",
        ["north", "south"],
        "north",
    )


def test_a_corrected_type_goes_into_the_schema(alice):
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=SMALL_CSV)

    campaign = services.campaign_create_from_upload(
        owner=alice, upload_id=upload.id, target="risk", types={"age": "float"}, **TERMS
    )

    assert campaign.input_schema[0] == {"name": "age", "type": "float"}
    assert campaign.input_schema[2] == {
        "name": "region",
        "type": "category",
        "categories": ["north", "south"],
    }


def test_a_file_that_does_not_match_the_chosen_types_creates_no_draft(alice):
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=SMALL_CSV)

    # 'north' is not a number: the capsule refuses the file, and the draft goes with it.
    with pytest.raises(CampaignError, match="region"):
        services.campaign_create_from_upload(
            owner=alice, upload_id=upload.id, target="risk", types={"region": "float"}, **TERMS
        )

    assert not Campaign.objects.exists()
    assert ValidationUpload.objects.filter(pk=upload.id).exists()  # try again without uploading


def test_a_target_that_does_not_fit_the_algorithm_creates_no_draft(alice):
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=SMALL_CSV)

    with pytest.raises(CampaignError, match="trains regression models"):
        services.campaign_create_from_upload(
            owner=alice, upload_id=upload.id, target="smoker", types={}, **TERMS
        )
    assert not Campaign.objects.exists()


def test_mallory_cannot_create_a_draft_from_alices_upload(alice, mallory):
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=SMALL_CSV)

    with pytest.raises(CampaignNotFoundError):
        services.campaign_create_from_upload(
            owner=mallory, upload_id=upload.id, target="risk", types={}, **TERMS
        )
    assert not Campaign.objects.exists()
    assert ValidationUpload.objects.filter(pk=upload.id, owner=alice).exists()


@pytest.fixture
def draft(alice) -> Campaign:
    upload = services.validation_upload_create(owner=alice, filename="r.csv", data=SMALL_CSV)
    return services.campaign_create_from_upload(
        owner=alice, upload_id=upload.id, target="risk", types={}, **TERMS
    )


def edit(campaign: Campaign, user, **changes):
    fields = {
        "name": campaign.name,
        "description": campaign.description,
        "bounty_minor": campaign.bounty_minor,
        "target_accuracy": campaign.target_accuracy,
        "learning_rate": campaign.learning_rate,
        "min_other_accepted": campaign.min_other_accepted,
        "claimed_start_accuracy": None,
        "deadline": None,
        "initial_weights": None,
        **changes,
    }
    return services.campaign_update(campaign_id=campaign.id, user=user, **fields)


def test_alice_edits_her_draft(alice, draft):
    edit(draft, alice, name="Risk, v2", bounty_minor=70_000, initial_weights=[0.1] * 5)

    draft.refresh_from_db()
    assert draft.name == "Risk, v2"
    assert draft.bounty_minor == 70_000
    # age, smoker, region=north, region=south, and the bias.
    assert draft.initial_weights == [0.1] * 5


def test_alice_chooses_to_pay_by_the_gap_to_the_target_and_her_pages_say_so(alice, draft):
    from django.test import Client

    edit(draft, alice, payout_basis="gap")

    draft.refresh_from_db()
    assert draft.payout_basis == "gap"
    client = Client()
    client.force_login(alice)
    page = client.get(f"/sonar/campaigns/{draft.id}/").content.decode()
    assert "reaching the target spends it all" in page


def test_an_unknown_payout_basis_is_refused_and_nothing_changes(alice, draft):
    with pytest.raises(CampaignError, match="payout_basis: choose target or gap"):
        edit(draft, alice, name="Changed", payout_basis="median")
    draft.refresh_from_db()
    assert (draft.name, draft.payout_basis) == ("Risk", "target")


def test_initial_weights_of_the_wrong_shape_are_refused_and_nothing_changes(alice, draft):
    with pytest.raises(CampaignError, match="needs \\[5\\]"):
        edit(draft, alice, name="Changed", initial_weights=[0.1, 0.2])
    draft.refresh_from_db()
    assert draft.name == "Risk"


def test_mallory_cannot_edit_alices_draft_and_nothing_changed(mallory, draft):
    with pytest.raises(CampaignNotFoundError):
        edit(draft, mallory, name="Mallory's now", bounty_minor=1)
    draft.refresh_from_db()
    assert (draft.name, draft.bounty_minor) == ("Risk", 50_000)


def test_a_launched_campaign_cannot_be_edited_or_deleted(alice, draft):
    Campaign.objects.filter(pk=draft.pk).update(status="open")

    with pytest.raises(CampaignStateError):
        edit(draft, alice, name="Too late")
    with pytest.raises(CampaignStateError):
        services.campaign_delete(campaign_id=draft.id, user=alice)
    assert Campaign.objects.get(pk=draft.pk).name == "Risk"


def test_alice_deletes_her_draft(alice, draft):
    services.campaign_delete(campaign_id=draft.id, user=alice)
    assert not Campaign.objects.filter(pk=draft.pk).exists()


def test_mallory_cannot_delete_alices_draft(mallory, draft):
    with pytest.raises(CampaignNotFoundError):
        services.campaign_delete(campaign_id=draft.id, user=mallory)
    assert Campaign.objects.filter(pk=draft.pk).exists()
