"""The data scientist's pages: a campaign from the form to its live progress."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from openmined.money import format_ppm
from sonar_ui.models import Campaign, GradientSubmission
from sonar_ui.services import campaign_create, campaign_evaluate_next

pytestmark = pytest.mark.browser


def upload_validation_file(page, dataset) -> None:
    """Step 1 of a new campaign: the validation CSV, whose columns the next step shows."""
    page.goto("/sonar/campaigns/new/")
    page.get_by_label("Validation file").set_input_files(
        {"name": "validation.csv", "mimeType": "text/csv", "buffer": dataset.validation_csv()}
    )
    page.get_by_role("button", name="Read the columns").click()
    expect(page.locator("table.columns")).to_be_visible()


def test_a_validation_file_that_does_not_match_shows_the_error_and_creates_nothing(
    page, alice, diabetes, log_in
):
    log_in(alice)
    upload_validation_file(page, diabetes)
    page.get_by_label("Name").fill("Broken")
    page.get_by_label("Type of bmi").select_option("bool")  # the values are decimals
    page.get_by_label("Bounty").fill("10.00")
    for _ in range(2):  # a retry leaves no draft behind either
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".errors[role=alert]")).to_contain_text("bmi")
    expect(page.get_by_label("Name")).to_have_value("Broken")  # nothing typed is lost
    assert not Campaign.objects.exists()


def test_a_target_that_cannot_be_predicted_is_flagged_beside_its_type(
    page, alice, diabetes, log_in
):
    log_in(alice)
    upload_validation_file(page, diabetes)
    page.get_by_label("Name").fill("Broken")
    page.get_by_label("Type of progression").select_option("text")
    page.get_by_label("Bounty").fill("10.00")
    page.get_by_role("button", name="Save draft").click()

    row = page.locator("table.columns tr").filter(has=page.get_by_label("Type of progression"))
    expect(row.get_by_role("alert")).to_contain_text("must be a number")
    assert not Campaign.objects.exists()


def test_an_accepted_gradient_appears_on_the_open_page_without_a_reload(
    page, alice, bob, diabetes, launched, submit, log_in, screenshot
):
    campaign_id = launched(alice, diabetes, name="Diabetes live")["id"]
    log_in(alice)
    page.goto(f"/sonar/campaigns/{campaign_id}/")
    live = page.locator("#live")
    expect(live).to_contain_text("No gradients yet.")
    # Survives only if the page is never reloaded: htmx swaps the live section in place.
    page.evaluate("window.stillTheSamePage = true")

    X, y = diabetes.mines[0]
    response = submit(bob, campaign_id, X, y)
    assert response.status_code in (201, 202), response.json()
    campaign_evaluate_next(campaign_id=campaign_id)
    gradient = GradientSubmission.objects.get(campaign_id=campaign_id)
    assert gradient.status == "accepted", gradient.reason

    # The live section polls every 5 seconds.
    expect(live.locator("td.status-accepted")).to_have_text("accepted", timeout=12_000)
    best = format_ppm(Campaign.objects.get(pk=campaign_id).best_accuracy_ppm)
    expect(live.get_by_role("heading", name=f"Accuracy · best {best} at v1")).to_be_visible()
    expect(live.locator("figure.chart svg")).to_contain_text("v1")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot("campaign-live")


def test_alice_closes_her_campaign_and_the_unspent_bounty_returns_to_her_wallet(
    page, alice, diabetes, launched, log_in
):
    # 10,000.00 deposited, 1,000.00 of it in escrow; no gradient was accepted.
    campaign_id = launched(alice, diabetes, name="Diabetes to close", bounty_minor=1_000_00)["id"]
    log_in(alice)
    page.goto("/sonar/")
    wallet = page.locator("main p").filter(has_text="Wallet")
    expect(wallet).to_contain_text("9,000.00")
    page.get_by_role("link", name="Diabetes to close").first.click()

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Close and settle").click()

    expect(page.locator(".messages")).to_contain_text("the rest returns to your wallet")
    assert "Close the campaign now?" in questions[0]  # a confirmation came first
    expect(page.get_by_role("heading", level=1).locator(".tag")).to_have_text("completed")
    expect(page.locator("#live dl.facts")).to_contain_text("closed by the owner")
    expect(page.get_by_role("link", name="Download the final model")).to_be_visible()
    expect(page.get_by_role("button", name="Close and settle")).to_have_count(0)
    page.goto("/sonar/")
    expect(wallet).to_contain_text("10,000.00")
    assert Campaign.objects.get(pk=campaign_id).status == "completed"


def test_alices_campaign_pages_fit_a_phone_screen(
    page, alice, diabetes, launched, log_in, spilled, screenshot
):
    campaign_id = launched(alice, diabetes, name="Diabetes on a phone")["id"]
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(alice)
    page.goto("/sonar/")
    expect(page.get_by_role("link", name="New campaign")).to_be_in_viewport()
    # The wide table scrolls in place; the page itself never scrolls sideways.
    assert spilled() == []
    page.goto(f"/sonar/campaigns/{campaign_id}/")
    expect(page.get_by_role("button", name="Close and settle")).to_be_in_viewport()
    expect(page.locator("figure.chart svg")).to_be_visible()
    assert spilled() == []
    screenshot("campaign-phone")


def test_mallory_opening_alices_draft_gets_the_not_found_page(
    page, alice, mallory, diabetes, log_in, screenshot
):
    draft = campaign_create(
        owner=alice,
        name="Alice's secret draft",
        input_schema=diabetes.input_schema,
        output_schema=diabetes.output_schema,
        algorithm=diabetes.algorithm,
        bounty_minor=10_000,
    )
    log_in(mallory)
    response = page.goto(f"/sonar/campaigns/{draft.id}/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("link", name="home page")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Alice's secret draft")
    screenshot("not-found")
