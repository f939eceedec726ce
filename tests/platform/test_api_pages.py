"""Every list endpoint is described, and answers, as one page: {count, next, previous, results}."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

LISTS = [
    "/api/campaigns/",
    "/api/campaigns/{campaign_id}/gradients/",
    "/api/campaigns/{campaign_id}/versions/",
    "/api/campaigns/{campaign_id}/payouts/",
    "/api/me/tokens/",
    "/api/mines/",
    "/api/mines/{mine_id}/datasets/",
    "/api/mines/{mine_id}/contributions/",
]


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


@pytest.mark.parametrize("path", LISTS)
def test_the_schema_describes_each_list_as_a_page(schema, path):
    ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    name = ok["schema"]["$ref"].rsplit("/", 1)[-1]
    page = schema["components"]["schemas"][name]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["type"] == "array"


def test_no_get_in_the_schema_answers_a_bare_list(schema):
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        for response in get["responses"].values():
            for content in response.get("content", {}).values():
                assert content.get("schema", {}).get("type") != "array", path
