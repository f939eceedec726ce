"""Sonar's ledger entries, written by one helper so each payload names its campaign alike."""

from __future__ import annotations

from typing import Any

from ledger import services as ledger
from sonar_ui.models import Campaign


def record(kind: str, campaign: Campaign, **fields: Any):
    """Append `kind` for the campaign in the caller's transaction (last: it locks the head)."""
    return ledger.ledger_append(
        kind=kind, campaign_id=campaign.id, payload={"campaign": campaign.id, **fields}
    )
