"""GET /api/stats/: the platform's public numbers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stats.selectors import platform_stats


class StatsApi(APIView):
    """Campaigns and gradients by status, money moved, ledger size. Public."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        campaigns = serializers.DictField(child=serializers.IntegerField())
        gradients = serializers.DictField(child=serializers.IntegerField())
        bounties_minor = serializers.IntegerField()
        paid_out_minor = serializers.IntegerField()
        accrued_minor = serializers.IntegerField()
        mines_paid = serializers.IntegerField()
        ledger_entries = serializers.IntegerField()
        latest_checkpoint_size = serializers.IntegerField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer}, auth=[])
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(platform_stats()).data)
