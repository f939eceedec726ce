"""Operators reach every mine_ui model in the admin; tokens stay hidden."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mine_ui.models import Contribution, Dataset, DatasetRow, Mine, MinePolicy, PrivacyBudget
from mine_ui.services import contribution_skip
from tests.conftest import PASSWORD
from tests.mine_ui.conftest import open_campaign

MODELS = [Mine, Dataset, DatasetRow, MinePolicy, PrivacyBudget, Contribution]


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_operator_lists_and_opens_every_mine_model(client, operator, bob_dataset, model):
    contribution_skip(mine=bob_dataset.mine, campaign=open_campaign(), reason="x")
    client.login(username="operator", password=PASSWORD)
    meta = model._meta
    listing = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert listing.status_code == 200
    row = model.objects.first()
    change = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))
    assert change.status_code == 200


def test_the_admin_never_shows_a_mines_api_token(client, operator, bob, make_mine):
    mine = make_mine(
        bob, "remote", sonar_url="https://sonar.example.org", api_token="tok_hidden_42ab"
    )
    client.login(username="operator", password=PASSWORD)
    page = client.get(reverse("admin:mine_ui_mine_change", args=[mine.pk])).content.decode()
    assert "tok_hidden" not in page
    assert "…42ab" in page


def test_mallory_cannot_open_the_admin(client, mallory, bob_mine):
    client.login(username="mallory", password=PASSWORD)
    response = client.get(reverse("admin:mine_ui_mine_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_operator_pauses_and_resumes_a_mine_through_its_policy(client, operator, bob_mine):
    client.login(username="operator", password=PASSWORD)
    changelist = reverse("admin:mine_ui_mine_changelist")
    page = client.post(
        changelist, {"action": "pause", "_selected_action": [bob_mine.pk]}, follow=True
    )
    assert "Paused 1 mine(s)" in page.content.decode()
    assert MinePolicy.objects.get(mine=bob_mine).paused is True
    client.post(changelist, {"action": "resume", "_selected_action": [bob_mine.pk]})
    assert MinePolicy.objects.get(mine=bob_mine).paused is False


def test_mallory_cannot_pause_bobs_mine(client, mallory, bob_mine):
    client.login(username="mallory", password=PASSWORD)
    client.post(
        reverse("admin:mine_ui_mine_changelist"),
        {"action": "pause", "_selected_action": [bob_mine.pk]},
    )
    assert MinePolicy.objects.get(mine=bob_mine).paused is False
