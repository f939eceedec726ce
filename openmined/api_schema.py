"""OpenAPI generation tuned to our one-view-per-operation style."""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema


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
