"""The public ledger page: the newest entries, the latest signed checkpoint, how to verify."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ledger import selectors
from ledger.canonical import format_timestamp

PAGE_ENTRIES = 50


def index(request: HttpRequest) -> HttpResponse:
    """Anyone can read the chain here; docs/ledger.md explains how to check it."""
    entries = selectors.entries_latest(limit=PAGE_ENTRIES)
    checkpoint = selectors.checkpoint_latest()
    return render(
        request,
        "ledger/index.html",
        {
            "entries": [
                {
                    "seq": entry.seq,
                    "timestamp": format_timestamp(entry.created_at),
                    "kind": entry.kind,
                    "campaign_id": entry.campaign_id,
                    "payload_json": entry.payload_json,
                    "hash": entry.hash,
                }
                for entry in entries
            ],
            "size": selectors.ledger_size(),
            "checkpoint": checkpoint,
            "checkpoint_timestamp": format_timestamp(checkpoint.created_at) if checkpoint else "",
            "site_url": settings.SITE_URL,
        },
    )
