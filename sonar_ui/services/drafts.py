"""Drafts made from a file: upload and infer, then create with validation data, edit, delete.

A draft is created together with its validation data in one transaction: a file that does not
match the chosen columns creates nothing, and a retry creates one draft, not one per attempt.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_is_data_scientist
from adapters import AdapterError
from adapters.inference import MAX_TARGET_CLASSES, schema_infer_csv
from adapters.schema import DEFAULT_HASH_FEATURES, SchemaError
from sonar_ui.errors import CampaignError, CampaignForbiddenError, CampaignNotFoundError
from sonar_ui.models import Campaign
from sonar_ui.services.campaigns import (
    _checked_initial_weights,
    campaign_create,
    campaign_validation_data_upload,
    fraction_to_ppm,
    owned_draft,
)
from sonar_ui.uploads import ValidationUpload

ADAPTER_BY_SUFFIX = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# How many files one person may leave waiting between the two steps, and for how long.
UPLOADS_KEPT_PER_USER = 3
UPLOAD_MAX_AGE = timedelta(hours=24)


def upload_max_bytes() -> int:
    """The one validation-file cap, for the page and the API alike (VALIDATION_DATA_MAX_BYTES)."""
    return settings.VALIDATION_DATA_MAX_BYTES


def _adapter_for(filename: str) -> str:
    name = filename.lower()
    for suffix, adapter in ADAPTER_BY_SUFFIX.items():
        if name.endswith(suffix):
            return adapter
    raise CampaignError(
        f"validation_file: '{filename}' is not a .csv, .json or .jsonl file; export your "
        "validation data in one of those formats."
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise CampaignError(
            "validation_file: a value is a nested JSON object or list; every field must be a "
            "number, true/false or text."
        )
    return str(value)


def _as_csv(data: bytes, adapter: str) -> bytes:
    """JSON and JSON Lines rows as CSV text, so one inference reads every format."""
    if adapter == "csv":
        return data
    try:
        text = data.decode("utf-8")
        if adapter == "json":
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CampaignError(
            f"validation_file: this is not valid {adapter.upper()} ({exc}); check the file."
        ) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CampaignError(
            "validation_file: a JSON file must be one array of objects, a JSON Lines file one "
            "object per line."
        )
    header: list[str] = []
    for record in records:
        header += [key for key in record if key not in header]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(key)) for key in header])
    return out.getvalue().encode()


def _columns(csv_data: bytes) -> tuple[list[dict], int]:
    """Each column's inferred type, its distinct values (when few) and an example."""
    try:
        inputs, _ = schema_infer_csv(csv_data)
    except (AdapterError, SchemaError) as exc:
        raise CampaignError(f"validation_file: {exc}") from exc
    reader = csv.reader(io.StringIO(csv_data.decode("utf-8-sig")))
    header = [name.strip() for name in next(reader)]
    distinct: dict[str, set[str] | None] = {name: set() for name in inputs.names}
    examples: dict[str, str] = {}
    rows = 0
    for record in reader:
        if len(record) != len(header):
            continue  # blank or ragged lines: the capsule's reader reports them by line
        rows += 1
        for name, raw in zip(header, record, strict=True):
            value = raw.strip()
            if value and name not in examples:
                examples[name] = value
            seen = distinct[name]
            if value and seen is not None:
                seen.add(value)
                if len(seen) > MAX_TARGET_CLASSES:
                    distinct[name] = None
    columns = [
        {
            "name": item.name,
            "type": item.type,
            "categories": None if distinct[item.name] is None else sorted(distinct[item.name]),
            "example": examples.get(item.name, "")[:40],
        }
        for item in inputs.fields
    ]
    return columns, rows


def validation_upload_create(*, owner: User, filename: str, data: bytes) -> ValidationUpload:
    """Step 1: keep the file for its owner and infer its columns (nothing else is saved)."""
    if not user_is_data_scientist(user=owner):
        raise CampaignForbiddenError(
            "Only data scientists can create campaigns; add the role on your profile."
        )
    limit = upload_max_bytes()
    if len(data) > limit:
        raise CampaignError(
            f"validation_file: the file has {len(data):,} bytes; the limit is {limit:,}. "
            "Use a smaller validation sample."
        )
    if not data.strip():
        raise CampaignError("validation_file: the file is empty; choose your validation file.")
    adapter = _adapter_for(filename)
    columns, rows = _columns(_as_csv(data, adapter))
    with transaction.atomic():
        _uploads_prune(owner=owner, keep=UPLOADS_KEPT_PER_USER - 1)
        return ValidationUpload.objects.create(
            owner=owner,
            filename=filename[-200:],
            adapter=adapter,
            data=data,
            size_bytes=len(data),
            rows=rows,
            columns=columns,
        )


def _uploads_prune(*, owner: User, keep: int) -> None:
    """Forget the owner's stale uploads and all but the `keep` newest."""
    ValidationUpload.objects.filter(created_at__lt=timezone.now() - UPLOAD_MAX_AGE).delete()
    stale = ValidationUpload.objects.filter(owner=owner).order_by("-created_at", "-id")[keep:]
    ValidationUpload.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()


def validation_upload_get_owned(*, owner: User, upload_id: int) -> ValidationUpload:
    upload = ValidationUpload.objects.filter(
        pk=upload_id, owner=owner, created_at__gte=timezone.now() - UPLOAD_MAX_AGE
    ).first()
    if upload is None:
        raise CampaignNotFoundError(
            f"There is no uploaded file {upload_id} of yours; upload the validation file again."
        )
    return upload


def schemas_from_columns(
    columns: list[dict], *, target: str, types: dict[str, str]
) -> tuple[list[dict], list[dict]]:
    """(input schema, output schema) from the inferred columns, the target and chosen types."""
    names = [column["name"] for column in columns]
    if target not in names:
        raise CampaignError(f"target: pick the column to predict, one of {', '.join(names)}.")
    inputs, output = [], []
    for column in columns:
        kind = types.get(column["name"], column["type"])
        item: dict[str, Any] = {"name": column["name"], "type": kind}
        if kind == "category":
            if not column["categories"]:
                raise CampaignError(
                    f"type_{names.index(column['name'])}: column '{column['name']}' has more "
                    f"than {MAX_TARGET_CLASSES} distinct values; it cannot be a category."
                )
            item["categories"] = column["categories"]
        if kind == "text":
            item["hash_features"] = DEFAULT_HASH_FEATURES
        (output if column["name"] == target else inputs).append(item)
    return inputs, output


def campaign_create_from_upload(
    *, owner: User, upload_id: int, target: str, types: dict[str, str], **fields: Any
) -> Campaign:
    """Step 2: the draft and its validation data, both or neither; the upload is then gone."""
    upload = validation_upload_get_owned(owner=owner, upload_id=upload_id)
    input_schema, output_schema = schemas_from_columns(upload.columns, target=target, types=types)
    with transaction.atomic():
        campaign = campaign_create(
            owner=owner, input_schema=input_schema, output_schema=output_schema, **fields
        )
        campaign_validation_data_upload(
            campaign=campaign, user=owner, data=bytes(upload.data), adapter=upload.adapter
        )
        upload.delete()
    return campaign


def campaign_update(
    *,
    campaign_id: int,
    user: User,
    name: str,
    description: str,
    bounty_minor: int,
    target_accuracy: float,
    learning_rate: float,
    min_other_accepted: int,
    claimed_start_accuracy: float | None,
    deadline: datetime | None,
    initial_weights: list | None,
    payout_basis: str = Campaign.PayoutBasis.TARGET,
) -> Campaign:
    """Change a draft's terms (the owner only, before launch)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).filter(pk=campaign_id).first()
        if campaign is None or campaign.owner_id != user.id:
            raise CampaignNotFoundError(f"There is no campaign {campaign_id} of yours.")
        owned_draft(campaign, user)
        if not name.strip():
            raise CampaignError("name: a campaign needs a name.")
        if isinstance(bounty_minor, bool) or not isinstance(bounty_minor, int) or bounty_minor <= 0:
            raise CampaignError("bounty_minor: the bounty must be a positive amount.")
        target_ppm = fraction_to_ppm(target_accuracy, field="target_accuracy")
        if target_ppm == 0:
            raise CampaignError("target_accuracy: the target must be above 0.")
        if not learning_rate > 0:
            raise CampaignError("learning_rate: the learning rate must be above 0.")
        if deadline is not None and deadline <= timezone.now():
            raise CampaignError("deadline: the deadline must be in the future.")
        if payout_basis not in Campaign.PayoutBasis.values:
            raise CampaignError(
                f"payout_basis: choose {' or '.join(Campaign.PayoutBasis.values)}, not "
                f"{payout_basis!r}."
            )
        campaign.payout_basis = payout_basis
        campaign.name = name.strip()
        campaign.description = description
        campaign.bounty_minor = bounty_minor
        campaign.target_accuracy_ppm = target_ppm
        campaign.learning_rate = learning_rate
        campaign.min_other_accepted = min_other_accepted
        campaign.claimed_start_accuracy_ppm = (
            None
            if claimed_start_accuracy is None
            else fraction_to_ppm(claimed_start_accuracy, field="claimed_start_accuracy")
        )
        campaign.deadline = deadline
        campaign.initial_weights = (
            None if initial_weights is None else _checked_initial_weights(campaign, initial_weights)
        )
        campaign.save()
    return campaign


def campaign_delete(*, campaign_id: int, user: User) -> None:
    """Delete a draft (the owner only): it never launched, so nothing on the ledger names it."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.owner_id != user.id:
            raise CampaignNotFoundError(f"There is no campaign {campaign_id} of yours.")
        owned_draft(campaign, user)
        campaign.delete()
