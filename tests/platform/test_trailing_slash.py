"""Every API route answers with or without its trailing slash, never with a redirect."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from django.core.management import call_command

from sonar_ui.models import Campaign


def _schema_operations() -> list[tuple[str, str]]:
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    return [
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


OPERATIONS = _schema_operations()


def test_the_schema_lists_the_routes_this_test_walks():
    paths = {path for path, _ in OPERATIONS}
    assert "/api/campaigns/" in paths
    assert "/api/me/tokens/{token_id}/" in paths
    assert len(OPERATIONS) > 30


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_route_without_its_slash_is_served_in_place_not_redirected(
    api_as, alice, path, method
):
    concrete = re.sub(r"\{[^}]+\}", "1", path).rstrip("/")
    response = getattr(api_as(alice), method)(concrete, {}, format="json")
    assert response.status_code not in (301, 302, 307, 308), (method, concrete)
    if response.status_code != 204:
        assert response["Content-Type"].startswith(("application/json", "application/octet"))
    if response.status_code == 404:
        assert response.json()["error"] == "not_found"


def test_post_to_campaigns_without_the_slash_creates_the_campaign(api_as, alice):
    response = api_as(alice).post(
        "/api/campaigns",
        {
            "name": "no slash",
            "input_schema": [{"name": "x", "type": "float"}],
            "output_schema": [{"name": "y", "type": "float"}],
            "algorithm": "linear_regression",
            "bounty_minor": 1000,
        },
        format="json",
    )
    assert response.status_code == 201
    assert Campaign.objects.filter(name="no slash", owner=alice).exists()


def test_an_unknown_path_without_a_slash_is_a_json_404_for_any_method(api_as, mallory):
    for method in ("get", "post", "delete"):
        response = getattr(api_as(mallory), method)("/api/campaigns/1/nothing-here")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
