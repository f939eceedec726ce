"""One way to paginate an API list: {count, next, previous, results}, ?page= and PAGE_SIZE."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView


def paginated(request: Request, view: APIView, queryset, serializer_class) -> Response:
    """One page of the queryset in the API's standard {count, next, previous, results}."""
    paginator = api_settings.DEFAULT_PAGINATION_CLASS()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


def page_schema(item_serializer: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The OpenAPI shape of one page of items (for @extend_schema responses)."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer(many=True),
        },
    )
