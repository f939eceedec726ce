"""Validation data is checked against the schema, kept encrypted, and never changes after launch."""

from __future__ import annotations

import hashlib

import pytest

from capsule.models import ValidationSet
from capsule.services import (
    ValidationDataError,
    validation_data_store,
    validation_data_summary,
)


def _store(dataset, campaign_id: int = 1, data: bytes | None = None):
    return validation_data_store(
        campaign_id=campaign_id,
        input_schema=dataset.input_schema,
        output_schema=dataset.output_schema,
        data=dataset.csv if data is None else data,
    )


def test_validation_data_is_summarized_and_stored_only_encrypted(db, breast_cancer):
    summary = _store(breast_cancer)

    assert summary.rows == 569
    assert summary.columns[0] == "mean_radius"
    assert summary.columns[-1] == "benign"
    assert summary.sha256 == hashlib.sha256(breast_cancer.csv).hexdigest()
    assert validation_data_summary(campaign_id=1) == summary
    stored = bytes(ValidationSet.objects.get(campaign_id=1).wrapped_data)
    first_row = breast_cancer.csv.splitlines()[1]
    assert b"mean_radius" not in stored
    assert first_row[:20] not in stored


def test_a_campaign_without_validation_data_has_no_summary(db):
    assert validation_data_summary(campaign_id=99) is None


def test_a_file_that_does_not_match_the_schema_is_refused_with_its_line(db, diabetes):
    lines = diabetes.csv.splitlines(keepends=True)
    lines[4] = lines[4].replace(b",", b",not-a-number,", 1)
    broken = b"".join(lines)

    with pytest.raises(ValidationDataError) as caught:
        _store(diabetes, campaign_id=2, data=broken)

    message = str(caught.value)
    assert message.startswith("The validation data of campaign 2 does not match its schema:")
    assert "Line 5" in message
    assert not ValidationSet.objects.filter(campaign_id=2).exists()


def test_a_bad_replacement_leaves_the_stored_data_as_it_was(db, diabetes):
    before = _store(diabetes, campaign_id=2)
    header_only = diabetes.csv.splitlines(keepends=True)[0]

    with pytest.raises(ValidationDataError, match="campaign 2 does not match its schema"):
        _store(diabetes, campaign_id=2, data=header_only)

    assert validation_data_summary(campaign_id=2) == before


def test_an_invalid_schema_is_refused_naming_the_campaign(db, diabetes):
    with pytest.raises(ValidationDataError, match="The output schema of campaign 3 is invalid"):
        validation_data_store(
            campaign_id=3,
            input_schema=diabetes.input_schema,
            output_schema=[{"name": "progression", "type": "complex"}],
            data=diabetes.csv,
        )
    assert not ValidationSet.objects.exists()


def test_validation_data_cannot_change_after_launch(launched, diabetes):
    campaign = launched(diabetes, campaign_id=4)
    before = validation_data_summary(campaign_id=campaign)
    fewer_rows = b"".join(diabetes.csv.splitlines(keepends=True)[:100])

    with pytest.raises(ValidationDataError, match="Campaign 4 has launched"):
        _store(diabetes, campaign_id=campaign, data=fewer_rows)

    assert validation_data_summary(campaign_id=campaign) == before


def test_a_draft_may_replace_its_validation_data(db, diabetes):
    _store(diabetes, campaign_id=5)
    fewer_rows = b"".join(diabetes.csv.splitlines(keepends=True)[:101])

    summary = _store(diabetes, campaign_id=5, data=fewer_rows)

    assert summary.rows == 100
    assert validation_data_summary(campaign_id=5).rows == 100
