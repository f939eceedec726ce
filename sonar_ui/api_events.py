"""REST API of a campaign's events: its ledger entries after a seq, with a bounded long poll."""

from __future__ import annotations

import time
from datetime import datetime

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.api import LedgerEntrySerializer
from sonar_ui import selectors
from sonar_ui.models import PPM, Campaign


def _fraction(value: int | None) -> float | None:
    return None if value is None else value / PPM


MAX_EVENTS_WAIT_S = 25
EVENTS_POLL_INTERVAL_S = 0.25


class CampaignStateSerializer(serializers.Serializer):
    """What a watcher needs after each batch of events."""

    status = serializers.CharField()
    current_version = serializers.IntegerField(allow_null=True)
    best_accuracy = serializers.SerializerMethodField()
    spent_minor = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)
    stalled_since = serializers.SerializerMethodField()

    def get_best_accuracy(self, campaign: Campaign) -> float | None:
        return _fraction(campaign.best_accuracy_ppm)

    def get_stalled_since(self, campaign: Campaign) -> datetime | None:
        return selectors.campaign_stalled_since(campaign=campaign)


class CampaignEventsApi(APIView):
    """The campaign's ledger entries after a seq; with ?wait=, hold until one arrives (≤ 25 s)."""

    class FilterSerializer(serializers.Serializer):
        after = serializers.IntegerField(
            min_value=0, default=0, help_text="The last seq you have seen (0: from the start)."
        )
        wait = serializers.FloatField(
            min_value=0,
            max_value=MAX_EVENTS_WAIT_S,
            default=0,
            help_text="Seconds to wait for a new entry when there is none yet (at most 25).",
        )
        limit = serializers.IntegerField(
            min_value=1, max_value=selectors.MAX_EVENTS_PAGE, default=100
        )

    class OutputSerializer(serializers.Serializer):
        events = LedgerEntrySerializer(many=True)
        last_seq = serializers.IntegerField(help_text="Pass it as ?after= on the next call.")
        more = serializers.BooleanField(help_text="True when more entries wait right now.")
        campaign = CampaignStateSerializer(help_text="The campaign's state after these events.")

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer})
    def get(self, request: Request, campaign_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        after, wait, limit = (filters.validated_data[k] for k in ("after", "wait", "limit"))
        campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id)
        # A long poll that reads the database a few times a second: cheap (one indexed
        # query), bounded, and it needs nothing but the database to learn of new entries.
        deadline = time.monotonic() + wait
        while True:
            events = selectors.campaign_events_after(
                campaign=campaign, after=after, limit=limit + 1
            )
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                break
            time.sleep(min(EVENTS_POLL_INTERVAL_S, remaining))
        more = len(events) > limit
        events = events[:limit]
        campaign.refresh_from_db()
        return Response(
            self.OutputSerializer(
                {
                    "events": events,
                    "last_seq": events[-1].seq if events else after,
                    "more": more,
                    "campaign": campaign,
                }
            ).data
        )
