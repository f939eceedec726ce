"""Every admin page an operator can reach opens, and service-only records stay read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from ledger.checks import ledger_check_run
from ledger.models import Account, Checkpoint, Entry, Transfer
from ledger.services import checkpoint_create, deposit_request_create
from mine_ui.models import Contribution
from mine_ui.services import contribution_skip
from sonar_ui import services
from sonar_ui.models import Campaign, GradientSubmission, ModelVersion, Payout
from tests.conftest import PASSWORD
from tests.mine_ui.conftest import open_campaign

pytestmark = pytest.mark.django_db

# Rows only their services write: the admin offers no add, no change and no delete.
SERVICE_ONLY = ["sonar_ui.payout", "sonar_ui.gradientsubmission", "sonar_ui.modelversion",
                "mine_ui.contribution", "ledger.entry", "ledger.transfer", "ledger.account",
                "ledger.checkpoint", "ledger.blob", "ledger.ledgercheck", "capsule.campaignkey",
                "capsule.validationset", "capsule.modeldelivery"]  # fmt: skip


def label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


@pytest.fixture
def everything(alice, bob, operator, diabetes, launched, submit, bob_dataset, platform_key):
    """At least one row of every registered model: a settled campaign, a mine, a checkpoint."""
    campaign = launched(alice, diabetes, name="Diabetes", bounty_minor=50_000)
    X, y = diabetes.mines[0]
    assert submit(bob, campaign["id"], X, y).status_code == 202
    while services.campaign_evaluate_next(campaign_id=campaign["id"]) is not None:
        pass
    services.campaign_close(campaign_id=campaign["id"], user=alice)
    services.campaign_settle(campaign_id=campaign["id"])
    launched(alice, diabetes, name="Still open")
    contribution_skip(mine=bob_dataset.mine, campaign=open_campaign(), reason="just looking")
    checkpoint_create()
    ledger_check_run()
    Group.objects.create(name="auditors")
    deposit_request_create(user=bob, amount_minor=1_000, note="for the smoke test")
    assert Payout.objects.filter(status="settled").exists()


@pytest.fixture
def operator_client(client, operator):
    assert client.login(username="operator", password=PASSWORD)
    return client


def test_every_changelist_add_and_change_page_opens_for_the_operator(everything, operator_client):
    opened = []
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        listing = operator_client.get(reverse(f"{name}_changelist"))
        assert listing.status_code == 200, f"{label(model)} changelist: {listing.status_code}"
        add = operator_client.get(reverse(f"{name}_add"))
        expected = 200 if model_admin.has_add_permission(listing.wsgi_request) else 403
        assert add.status_code == expected, f"{label(model)} add page: {add.status_code}"
        row = model_admin.get_queryset(listing.wsgi_request).first()
        assert row is not None, f"the fixture made no {label(model)} row; add one"
        pk = row.user_id if label(model) == "authtoken.tokenproxy" else row.pk
        change = operator_client.get(reverse(f"{name}_change", args=[pk]))
        assert change.status_code == 200, f"{label(model)} change page: {change.status_code}"
        opened.append(label(model))
    assert {"sonar_ui.campaign", "ledger.entry", "mine_ui.mine", "auth.user"} <= set(opened)


def test_the_campaign_change_page_shows_money_and_accuracy_as_people_read_them(
    everything, operator_client
):
    campaign = Campaign.objects.get(name="Still open")
    page = operator_client.get(reverse("admin:sonar_ui_campaign_change", args=[campaign.pk]))
    text = page.content.decode()
    assert "1,000.00" in text  # the bounty, not 100000
    assert "99.00%" in text  # the target, not 990000
    listing = operator_client.get(reverse("admin:sonar_ui_campaign_changelist")).content.decode()
    assert "500.00" in listing and "1,000.00" in listing


def test_service_only_records_cannot_be_added_changed_or_deleted(everything, operator_client):
    for name in SERVICE_ONLY:
        app_label, model_name = name.split(".")
        model = next(m for m in admin.site._registry if label(m) == name)
        row = model.objects.first()
        count = model.objects.count()
        base = f"admin:{app_label}_{model_name}"
        assert operator_client.get(reverse(f"{base}_add")).status_code == 403, name
        assert operator_client.post(reverse(f"{base}_add"), {}).status_code == 403, name
        change = operator_client.get(reverse(f"{base}_change", args=[row.pk]))
        assert change.status_code == 200, name
        assert b'name="_save"' not in change.content, name
        assert b"delete_selected" not in operator_client.get(reverse(f"{base}_changelist")).content
        assert operator_client.get(reverse(f"{base}_delete", args=[row.pk])).status_code == 403
        operator_client.post(
            reverse(f"{base}_changelist"),
            {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
        )
        assert model.objects.count() == count, f"{name}: a row was deleted"


def test_an_operator_cannot_change_a_payout_by_posting_its_form(everything, operator_client):
    payout = Payout.objects.first()
    amount = payout.amount_minor
    operator_client.post(
        reverse("admin:sonar_ui_payout_change", args=[payout.pk]),
        {"amount_minor": amount + 1_000, "status": "accrued", "payout_account": "acct_mallory"},
    )
    payout.refresh_from_db()
    assert (payout.amount_minor, payout.status) == (amount, "settled")
    assert (
        GradientSubmission.objects.count()
        == ModelVersion.objects.filter(gradient__isnull=False).count()
        + GradientSubmission.objects.filter(status="rejected").count()
    )
    assert Entry.objects.count() >= Transfer.objects.count() > 0
    assert Checkpoint.objects.exists() and Account.objects.exists()
    assert Contribution.objects.exists()


def test_the_user_picker_of_a_mine_is_an_autocomplete(everything, operator_client):
    page = operator_client.get(reverse("admin:mine_ui_mine_add")).content.decode()
    assert "admin-autocomplete" in page
    found = operator_client.get(
        reverse("admin:autocomplete"),
        {"term": "ali", "app_label": "mine_ui", "model_name": "mine", "field_name": "owner"},
    ).json()
    assert [item["text"] for item in found["results"]] == ["alice"]
