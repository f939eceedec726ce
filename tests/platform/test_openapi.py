"""The OpenAPI schema covers the whole API, validates, and is served with its docs page."""

from __future__ import annotations

import io

import yaml
from django.core.management import call_command


def test_the_schema_validates_without_warnings_and_every_operation_has_a_unique_id(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    for path in ("/api/campaigns/{campaign_id}/gradients/", "/api/ledger/entries/", "/api/me/"):
        assert path in schema["paths"]


def test_the_schema_and_its_docs_page_are_served(client, db):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()
