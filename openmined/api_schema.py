"""OpenAPI generation tuned to our one-view-per-operation style."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema


class SonarAutoSchema(AutoSchema):
    """Names nested serializers after their view: MeApi.OutputSerializer -> MeOutput."""

    def get_serializer_name(self, serializer, direction: str) -> str:  # type: ignore[override]
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)
            outer = outer.split(".")[-1].removesuffix("Api").removesuffix("View")
            return outer + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)
