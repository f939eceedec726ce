"""The public ledger explorer: the chain page by page, one entry in full, every checkpoint."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ledger import selectors
from ledger.canonical import (
    TRANSFER_PAYLOAD_KEY,
    checkpoint_statement,
    entry_canonical_bytes,
    format_timestamp,
)
from ledger.forms import EntryFilterForm
from ledger.models import Entry

ENTRIES_PER_PAGE = 25
CHECKPOINTS_PER_PAGE = 25
# Sizes offered for the in-browser inclusion check: the newest signed trees holding the entry.
PROOF_CHECKPOINTS = 10


class _WholeChain:
    """The unfiltered chain as Paginator sees it, newest first.

    seq runs from 1 to the head without gaps, so page N is a range of seq: no COUNT(*) and no
    OFFSET scan, however long the ledger grows.
    """

    def __init__(self, size: int) -> None:
        self.size = size

    def count(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, window: slice) -> list[Entry]:
        return selectors.entries_seq_range(
            above=max(self.size - window.stop, 0), upto=self.size - (window.start or 0)
        )


def _summary(entry: Entry) -> str:
    """One short line for the list; the entry page shows everything."""
    payload = entry.payload
    if TRANSFER_PAYLOAD_KEY in payload:
        return payload[TRANSFER_PAYLOAD_KEY].get("memo", "")
    # The name says most about an entry; the campaign already has its own column.
    keys = sorted(payload, key=lambda key: (key != "name", key))
    return ", ".join(
        f"{key}: {payload[key]}"
        for key in keys
        if key != "campaign" and isinstance(payload[key], str | int)
    )


def index(request: HttpRequest) -> HttpResponse:
    """Anyone reads the chain here, newest first, filtered; docs/ledger.md explains checking it."""
    form = EntryFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"kind": data["kind"], "campaign_id": data["campaign"]}
        filters["account"] = data["account"]
    size = selectors.ledger_size()
    filtered = any(value not in ("", None) for value in filters.values())
    if form.is_bound and not form.is_valid():
        entries = selectors.entries_filtered().none()  # errors stand beside their fields
    elif filtered:
        entries = selectors.entries_filtered(**filters)
    else:
        entries = _WholeChain(size)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    checkpoint = selectors.checkpoint_latest()
    return render(
        request,
        "ledger/index.html",
        {
            "form": form,
            "filtered": filtered,
            "page": page,
            "rows": [
                {
                    "entry": entry,
                    "timestamp": format_timestamp(entry.created_at),
                    "summary": _summary(entry),
                    "transfer": getattr(entry, "transfer", None),
                }
                for entry in page.object_list
            ],
            "query": query.urlencode(),
            "size": size,
            "checkpoint": checkpoint,
            "checkpoint_timestamp": format_timestamp(checkpoint.created_at) if checkpoint else "",
            "site_url": settings.SITE_URL,
        },
    )


def entry_detail(request: HttpRequest, seq: int) -> HttpResponse:
    """One entry: its canonical bytes and hash, its neighbours, and a proof check in the browser."""
    entry = selectors.entry_with_transfer(seq=seq)
    size = selectors.ledger_size()
    if entry is None or entry.seq > size:
        raise Http404(f"The ledger has no entry #{seq}; it has {size} entries.")
    canonical = entry_canonical_bytes(
        version=entry.version,
        seq=entry.seq,
        prev_hash=entry.prev_hash,
        kind=entry.kind,
        campaign_id=entry.campaign_id,
        payload_json=entry.payload_json,
        timestamp=format_timestamp(entry.created_at),
    ).decode("ascii")
    return render(
        request,
        "ledger/entry.html",
        {
            "entry": entry,
            "timestamp": format_timestamp(entry.created_at),
            "canonical": canonical,
            "transfer": getattr(entry, "transfer", None),
            "previous": entry.seq - 1 if entry.seq > 1 else None,
            "next": entry.seq + 1 if entry.seq < size else None,
            "size": size,
            "checkpoints": selectors.checkpoints_covering(seq=entry.seq, limit=PROOF_CHECKPOINTS),
        },
    )


def checkpoints(request: HttpRequest) -> HttpResponse:
    """Every signed Merkle root, newest first, with what a verifier checks about each."""
    page = Paginator(selectors.checkpoints_newest(), CHECKPOINTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "ledger/checkpoints.html",
        {
            "page": page,
            "rows": [
                {
                    "checkpoint": c,
                    "timestamp": format_timestamp(c.created_at),
                    "statement": checkpoint_statement(
                        tree_size=c.tree_size,
                        root_hash=c.root_hash,
                        timestamp=format_timestamp(c.created_at),
                    ).decode("ascii"),
                }
                for c in page.object_list
            ],
            "site_url": settings.SITE_URL,
        },
    )
