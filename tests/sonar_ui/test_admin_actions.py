"""Operators close, cancel and re-evaluate campaigns from the admin, through the services."""

from __future__ import annotations

import html

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from sonar_ui import services
from sonar_ui.errors import CampaignForbiddenError
from sonar_ui.models import Campaign, GradientSubmission
from tests.conftest import PASSWORD

CHANGELIST = reverse("admin:sonar_ui_campaign_changelist")


@pytest.fixture
def draft(alice, api_as, diabetes) -> Campaign:
    body = {"name": "Unfinished", "input_schema": diabetes.input_schema,
            "output_schema": diabetes.output_schema, "algorithm": diabetes.algorithm,
            "bounty_minor": 10_000, "target_accuracy": 0.9}  # fmt: skip
    created = api_as(alice).post("/api/campaigns/", body, format="json")
    assert created.status_code == 201, created.json()
    return Campaign.objects.get(pk=created.json()["id"])


@pytest.fixture
def open_campaign(alice, diabetes, launched) -> Campaign:
    return Campaign.objects.get(pk=launched(alice, diabetes, name="Running")["id"])


def act(client, action: str, *campaigns: Campaign) -> str:
    """Run the admin action on the campaigns; the text of the page it leads to."""
    page = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )
    assert page.status_code == 200
    return html.unescape(page.content.decode())


@pytest.fixture
def operator_client(client, operator):
    assert client.login(username="operator", password=PASSWORD)
    return client


def test_the_operator_closes_an_open_campaign_and_it_settles(
    operator_client, open_campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = act(operator_client, "close_and_settle", open_campaign)
    assert "'Running' closed; settlement is under way." in page
    open_campaign.refresh_from_db()
    assert open_campaign.status == "completed"
    assert open_campaign.completion_reason == "closed by operator operator"
    assert open_campaign.settled_at is not None  # eager settlement ran after the commit
    assert LogEntry.objects.filter(object_id=str(open_campaign.pk)).exists()


def test_close_and_settle_leaves_a_draft_alone_and_says_to_cancel_it(operator_client, draft):
    page = act(operator_client, "close_and_settle", draft)
    assert "use “Cancel the selected drafts” instead" in page
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_operator_cancels_a_draft_but_not_an_open_campaign(
    operator_client, draft, open_campaign
):
    page = act(operator_client, "cancel_drafts", draft, open_campaign)
    draft.refresh_from_db()
    open_campaign.refresh_from_db()
    assert draft.status == "cancelled"
    assert draft.completion_reason == "cancelled by operator operator before launch"
    assert open_campaign.status == "open"
    assert "'Running' is open, not a draft; nothing was cancelled." in page


def test_the_operator_re_enqueues_a_stuck_evaluation(
    operator_client, open_campaign, bob, submit, diabetes, django_capture_on_commit_callbacks
):
    X, y = diabetes.mines[0]
    # The evaluation message is "lost": the submit's on-commit enqueue never runs here.
    assert submit(bob, open_campaign.pk, X, y).status_code == 202
    gradient = GradientSubmission.objects.get(campaign=open_campaign)
    assert gradient.status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        page = act(operator_client, "reenqueue_evaluation", open_campaign)
    assert "Evaluation of 1 waiting gradient(s) of 'Running' enqueued." in page
    gradient.refresh_from_db()
    assert gradient.status in ("accepted", "rejected")  # eager mode evaluated it


def test_nothing_is_enqueued_for_a_campaign_with_nothing_waiting(operator_client, open_campaign):
    page = act(operator_client, "reenqueue_evaluation", open_campaign)
    assert "'Running' has no gradient waiting for evaluation (open); nothing was enqueued." in page


def test_mallory_cannot_close_a_campaign_through_the_service_or_the_admin(
    client, mallory, open_campaign
):
    with pytest.raises(CampaignForbiddenError):
        services.campaign_close_by_operator(campaign_id=open_campaign.pk, operator=mallory)
    client.login(username="mallory", password=PASSWORD)
    response = client.post(
        CHANGELIST, {"action": "close_and_settle", "_selected_action": [open_campaign.pk]}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    open_campaign.refresh_from_db()
    assert open_campaign.status == "open"
