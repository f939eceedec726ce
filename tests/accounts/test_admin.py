"""Operators revoke a person's API tokens from the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_operator_revokes_bobs_token_and_bobs_client_is_refused(
    client, operator, bob, alice, api_as
):
    bobs_client, alices_client = api_as(bob), api_as(alice)
    assert bobs_client.get("/api/me/").status_code == 200
    client.login(username="operator", password=PASSWORD)
    page = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "revoke_api_tokens", "_selected_action": [bob.pk]},
        follow=True,
    )
    assert "Revoked 1 API token(s) of bob" in page.content.decode()
    assert bobs_client.get("/api/me/").status_code == 401
    assert alices_client.get("/api/me/").status_code == 200  # only the selected person's
    assert ApiToken.objects.filter(user=alice).exists()


def test_mallory_cannot_revoke_tokens(client, mallory, bob, api_as):
    bobs_client = api_as(bob)
    client.login(username="mallory", password=PASSWORD)
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "revoke_api_tokens", "_selected_action": [bob.pk]},
    )
    assert bobs_client.get("/api/me/").status_code == 200
