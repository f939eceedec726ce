"""OpenAPI generation tuned to our one-view-per-operation style."""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.settings import api_settings

_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (openmined/api_errors.py)."""

    error = serializers.CharField(help_text="A machine-readable code, e.g. campaign_state.")
    detail = serializers.CharField(help_text="A sentence saying what was wrong and what to do.")
    fields = serializers.DictField(
        required=False, help_text="Per-field messages, for validation errors."
    )


class SonarAutoSchema(AutoSchema):
    """Names operations and nested serializers after their view (one view per operation).

    MeApi.OutputSerializer -> component MeOutput; EntryListApi.get -> operationId entry_list.
    """

    def get_operation_id(self) -> str:
        view_name = type(self.view).__name__.removesuffix("Api").removesuffix("View")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", view_name).lower()
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(self.view, m)]
        if len(methods) > 1:
            return f"{snake}_{self.method.lower()}"
        return snake

    def get_serializer_name(self, serializer, direction: str) -> str:  # type: ignore[override]
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)
            outer = outer.split(".")[-1].removesuffix("Api").removesuffix("View")
            return outer + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

    def _get_paginator(self):
        # Our list views are APIViews that paginate by hand (sonar_ui.api.paginated); they say
        # so with a pagination_class, which DRF's APIView itself never reads.
        paginator = super()._get_paginator()
        if paginator is None and getattr(self.view, "paginated", False):
            return api_settings.DEFAULT_PAGINATION_CLASS()
        return paginator

    def _get_response_bodies(self, direction="response"):
        """The view's own answers, plus the errors any operation of its kind can answer."""
        responses = super()._get_response_bodies(direction)
        # 400 bad input or invalid_json, 401/403 authentication and permission, 404 a
        # resource that does not exist (yet), 429 throttled.
        codes = ["400", "401", "403", "404", "429"]
        if self.method in _WRITE_METHODS:
            # 409 a state conflict, 413 a body over its cap, 415 a media type not accepted.
            codes += ["409", "413", "415"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
        return responses
