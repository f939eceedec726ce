"""The data scientist's pages: a campaign from the form to its live progress."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from openmined.money import format_ppm
from sonar_ui.models import Campaign, GradientSubmission
from sonar_ui.services import campaign_create, campaign_evaluate_next

pytestmark = pytest.mark.browser


def fill_campaign_form(page, dataset, *, name: str, input_schema: str | None = None) -> None:
    """Fill the new-campaign form as a data scientist would, validation CSV included."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill("Predict disease progression a year ahead.")
    page.get_by_label("Algorithm").select_option(label="Linear regression")
    page.get_by_label("Input schema").fill(input_schema or json.dumps(dataset.input_schema))
    page.get_by_label("Output schema").fill(json.dumps(dataset.output_schema))
    page.get_by_label("Bounty").fill("500.00")
    page.get_by_label("Target accuracy").fill("60")
    page.get_by_label("Validation file").set_input_files(
        {"name": "validation.csv", "mimeType": "text/csv", "buffer": dataset.validation_csv()}
    )


def test_alice_creates_a_campaign_with_the_form_and_launches_it(
    page, alice, fund, diabetes, log_in, live_server, screenshot
):
    fund(alice, 1_000_00)
    log_in(alice)
    page.goto("/sonar/")
    wallet = page.locator("main p").filter(has_text="Wallet")
    expect(wallet).to_contain_text("1,000.00")
    expect(page.get_by_text("You have no campaigns yet.")).to_be_visible()
    page.get_by_role("link", name="New campaign").click()
    fill_campaign_form(page, diabetes, name="Diabetes progression")
    screenshot("campaign-new")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("Draft 'Diabetes progression' saved.")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Diabetes progression")
    expect(heading.locator(".tag")).to_have_text("draft")
    expect(page.get_by_text("No model yet: launch the campaign")).to_be_visible()
    screenshot("campaign-draft")

    page.get_by_role("button", name=re.compile(r"^Launch \(escrows 500\.00\)")).click()

    expect(heading.locator(".tag")).to_have_text("open")
    campaign = Campaign.objects.get(name="Diabetes progression")
    measured = format_ppm(campaign.start_accuracy_ppm)
    expect(page.locator(".messages")).to_contain_text(
        f"Starting accuracy measured by the capsule: {measured}"
    )
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(f"measured {measured}")
    expect(facts).to_contain_text("60.00%")  # the target
    chart = page.locator("#live figure.chart svg")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("model version")  # the x axis is titled
    expect(chart).to_contain_text("v0")
    expect(page.get_by_role("button", name="Close and settle")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Launch"))).to_have_count(0)
    screenshot("campaign-open")

    page.goto("/sonar/")
    expect(wallet).to_contain_text("500.00")  # the bounty is in escrow
    mine = page.get_by_role("row", name=re.compile("Diabetes progression"))
    expect(mine.first).to_contain_text("open")
    screenshot("sonar-index")


def test_a_bad_schema_in_the_form_shows_the_error_and_creates_nothing(
    page, alice, diabetes, log_in, screenshot
):
    log_in(alice)
    page.goto("/sonar/campaigns/new/")
    fill_campaign_form(
        page, diabetes, name="Broken", input_schema='[{"name": "age", "type": "complex"}]'
    )
    page.get_by_role("button", name="Save draft").click()

    # The service's complaint sits under the field it is about.
    expect(page.locator("#id_input_schema_error")).to_contain_text("unknown type 'complex'")
    expect(page.get_by_role("heading", level=1)).to_have_text("New campaign")
    expect(page.get_by_label("Name")).to_have_value("Broken")  # nothing typed is lost
    assert not Campaign.objects.exists()
    screenshot("campaign-new-error")


def test_a_schema_that_is_not_json_is_flagged_next_to_its_field(page, alice, diabetes, log_in):
    log_in(alice)
    page.goto("/sonar/campaigns/new/")
    fill_campaign_form(page, diabetes, name="Broken", input_schema='[{"name": "age",')
    page.get_by_role("button", name="Save draft").click()

    row = page.locator(".field").filter(has=page.get_by_label("Input schema"))
    expect(row.get_by_role("alert")).to_contain_text("This is not valid JSON")
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
    expect(page.locator("dl.facts")).to_contain_text("closed by the owner")
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
