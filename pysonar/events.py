"""The client's methods that follow a campaign: its events (a bounded long poll) and watch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pysonar.types import Campaign

# The platform holds an events request at most this long (GET .../events/?wait=).
MAX_EVENTS_WAIT_S = 25.0


class EventMethods:
    """Mixed into SonarClient; uses its transport (_get) and campaign()."""

    def events(
        self, campaign_id: int, *, after: int = 0, wait: float = 0, limit: int | None = None
    ) -> dict[str, Any]:
        """The campaign's ledger entries after seq `after`; with `wait`, Sonar holds the request
        until one arrives (at most 25 s). Pass the answer's "last_seq" as the next `after`."""
        params: dict[str, Any] = {"after": int(after)}
        if wait:
            params["wait"] = round(min(max(wait, 0.0), MAX_EVENTS_WAIT_S), 3)
        if limit is not None:
            params["limit"] = int(limit)
        return self._get(f"api/campaigns/{int(campaign_id)}/events/", **params)

    def campaign_watch(
        self,
        campaign_id: int,
        *,
        until_status: str | tuple[str, ...] | None = None,
        wait_s: float = 20.0,
        timeout_s: float | None = None,
    ) -> Iterator[Campaign]:
        """Yield the campaign each time it changes; return once its result can be downloaded.

        That is once it is settled (`settled_at` set), or cancelled (no result will come), or,
        when `until_status` is given, once it reaches that status. Between changes it follows
        the campaign's events with a long poll, so it reacts within a second without polling.
        """
        wanted = (until_status,) if isinstance(until_status, str) else until_status
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        after = 0
        last: Campaign | None = None
        while True:
            campaign = self.campaign(campaign_id)
            if campaign != last:
                yield campaign
                last = campaign
            if _watch_done(campaign, wanted):
                return
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                goal = " or ".join(wanted) if wanted else "settled"
                raise TimeoutError(
                    f"Campaign {campaign_id} is still {campaign.get('status')!r} after "
                    f"{timeout_s}s; expected {goal}."
                )
            wait = wait_s if remaining is None else max(0.0, min(wait_s, remaining))
            page = self.events(campaign_id, after=after, wait=wait)
            after = page.get("last_seq", after) if isinstance(page, dict) else after


def _watch_done(campaign: Campaign, wanted: tuple[str, ...] | None) -> bool:
    status = campaign.get("status")
    if wanted:
        return status in wanted
    return status == "cancelled" or bool(campaign.get("settled_at"))
