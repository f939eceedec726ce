"""Alice's whole job in the browser: a campaign from a CSV to her trained model.

She uploads her validation CSV, picks the target among the inferred columns, saves the draft,
launches it after seeing what goes into escrow, watches the progress bar and the chart move
without reloading while mines' gradients are evaluated, closes it and downloads her model.
Every main page passes check_page (1280 and 390 px screenshots, no sideways scroll, axe-core).
"""

from __future__ import annotations

import re
import zipfile

import pytest
from playwright.sync_api import expect

from sonar_ui import services
from sonar_ui.models import Campaign, GradientSubmission
from sonar_ui.services import campaign_evaluate_next
from tests.browser.pages import check_page

pytestmark = pytest.mark.browser


def progress_value(page) -> float:
    return float(page.locator("#live progress.progress").get_attribute("value"))


def evaluate_one(campaign_id: int, submit, miner, X, y) -> GradientSubmission:
    response = submit(miner, campaign_id, X, y)
    assert response.status_code in (201, 202), response.json()
    campaign_evaluate_next(campaign_id=campaign_id)
    gradient = GradientSubmission.objects.filter(campaign_id=campaign_id).latest("id")
    assert gradient.status == "accepted", gradient.reason
    return gradient


def test_alice_creates_launches_watches_and_downloads_her_model(
    page, alice, bob, carol, fund, diabetes, submit, log_in, requests_seen
):
    fund(alice, 1_000_00)
    log_in(alice)
    page.goto("/sonar/")
    expect(page.get_by_text("You have no campaigns yet.")).to_be_visible()
    check_page(page, "sonar-index-empty")

    # Step 1: the validation file.
    page.get_by_role("link", name="New campaign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New campaign")
    check_page(page, "campaign-new-file")
    page.get_by_label("Validation file").set_input_files(
        {"name": "diabetes.csv", "mimeType": "text/csv", "buffer": diabetes.validation_csv()}
    )
    page.get_by_role("button", name="Read the columns").click()

    # Step 2: the inferred columns; the target is picked, nothing is typed as JSON.
    expect(page.get_by_text(f"{len(diabetes.y_val)} rows, 11 columns")).to_be_visible()
    columns = page.locator("table.columns")
    expect(columns.get_by_role("row")).to_have_count(12)  # header + 11 columns
    expect(page.get_by_label("Type of bmi")).to_have_value("float")
    page.get_by_role("radio", name="progression").check()
    page.get_by_label("Name").fill("Diabetes progression")
    page.get_by_role("radio", name=re.compile("^Linear regression")).check()
    page.get_by_label("Bounty").fill("500.00")
    page.get_by_label("Target accuracy").fill("60")
    page.get_by_text("Hyper-parameters and options (prefilled)").click()
    expect(page.get_by_label("Learning rate")).to_have_value("0.5")
    page.get_by_label("Learning rate").fill("0.2")
    check_page(page, "campaign-new-columns")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("Draft 'Diabetes progression' saved.")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading.locator(".tag")).to_have_text("draft")
    campaign = Campaign.objects.get(name="Diabetes progression")
    assert [f["name"] for f in campaign.input_schema] == [f["name"] for f in diabetes.input_schema]
    assert campaign.output_schema == [{"name": "progression", "type": "float"}]
    check_page(page, "campaign-draft")

    # Launch: what goes into escrow and what the wallet holds after.
    page.get_by_role("link", name="Launch…").click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("500.00 USD")
    expect(facts.locator("dd").nth(1)).to_have_text("1,000.00 USD")
    expect(facts.locator("dd").nth(2)).to_have_text("500.00 USD")
    check_page(page, "campaign-launch")
    page.get_by_role("button", name="Launch and escrow 500.00").click()

    expect(heading.locator(".tag")).to_have_text("open")
    live = page.locator("#live")
    expect(live.locator("figure.chart svg")).to_contain_text("v0")
    expect(live).to_contain_text("No gradients yet.")
    start = progress_value(page)
    check_page(page, "campaign-open")

    # Mines send gradients; the page follows without a reload.
    page.evaluate("window.stillTheSamePage = true")
    evaluate_one(campaign.id, submit, bob, *diabetes.mines[0])
    expect(live.locator("svg title", has_text=re.compile(r"^v1: "))).to_have_count(
        1, timeout=12_000
    )
    first = progress_value(page)
    assert first > start
    evaluate_one(campaign.id, submit, carol, *diabetes.mines[1])
    expect(live.locator("svg title", has_text=re.compile(r"^v2: "))).to_have_count(
        1, timeout=12_000
    )
    campaign.refresh_from_db()
    expect(live.locator("dl.facts")).to_contain_text(f"{campaign.spent_minor / 100:,.2f}")
    expect(live.locator("td.status-accepted")).to_have_count(2)
    assert progress_value(page) >= first
    assert page.evaluate("window.stillTheSamePage") is True
    check_page(page, "campaign-live")

    # The public page a miner reads before joining, in a second tab (no login needed for it).
    visitor = page.context.browser.new_page(base_url=page.url.split("/sonar/")[0])
    try:
        visitor.goto(f"/sonar/campaigns/{campaign.id}/about/")
        expect(visitor.get_by_role("cell", name="to predict")).to_be_visible()
        expect(visitor.locator("progress.progress")).to_be_visible()
        check_page(visitor, "campaign-public")
    finally:
        visitor.close()

    # The campaign ends (here its owner's close, as a deadline would): the page follows,
    # header and buttons included, and stops polling once everything is settled.
    services.campaign_close(campaign_id=campaign.id, user=alice)
    expect(heading.locator(".tag")).to_have_text("completed", timeout=12_000)
    download_link = page.get_by_role("link", name="Download the final model")
    expect(download_link).to_be_visible()
    expect(page.get_by_role("button", name="Close and settle")).to_have_count(0)
    expect(live.locator("dl.facts")).to_contain_text("closed by the owner")
    assert page.evaluate("window.stillTheSamePage") is True
    check_page(page, "campaign-settled")
    polls = len([url for url in requests_seen if f"/sonar/campaigns/{campaign.id}/" in url])
    page.wait_for_timeout(6_000)
    assert len([url for url in requests_seen if f"/sonar/campaigns/{campaign.id}/" in url]) == polls
    with page.expect_download() as info:
        download_link.click()
    assert info.value.suggested_filename == f"campaign-{campaign.id}-model.zip"
    with zipfile.ZipFile(info.value.path()) as archive:  # the decrypted model, for alice alone
        assert archive.namelist()

    # An ended campaign has no public page any more.
    assert page.goto(f"/sonar/campaigns/{campaign.id}/about/").status == 404

    page.goto("/sonar/wallet/")
    expect(page.get_by_role("cell", name=re.compile("Unspent bounty refunded"))).to_be_visible()
    check_page(page, "wallet")
    page.goto("/sonar/")
    expect(page.get_by_role("row").filter(has_text="Diabetes progression")).to_contain_text(
        "completed"
    )
    check_page(page, "sonar-index")


def test_mallory_guessing_alices_urls_gets_404_and_nothing_changes(
    page, alice, mallory, diabetes, log_in
):
    from sonar_ui import services

    upload = services.validation_upload_create(
        owner=alice, filename="d.csv", data=diabetes.validation_csv()
    )
    draft = services.campaign_create_from_upload(
        owner=alice,
        upload_id=upload.id,
        target="progression",
        types={},
        name="Alice's secret draft",
        algorithm="linear_regression",
        bounty_minor=10_000,
    )
    other = services.validation_upload_create(
        owner=alice, filename="e.csv", data=diabetes.validation_csv()
    )
    log_in(mallory)
    for path in (
        f"/sonar/campaigns/{draft.id}/",
        f"/sonar/campaigns/{draft.id}/edit/",
        f"/sonar/campaigns/{draft.id}/delete/",
        f"/sonar/campaigns/{draft.id}/launch/",
        f"/sonar/campaigns/{draft.id}/about/",
        f"/sonar/campaigns/new/{other.id}/",
    ):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.locator("body")).not_to_contain_text("Alice's secret draft")
    check_page(page, "not-found")
    draft.refresh_from_db()
    assert (draft.name, draft.status) == ("Alice's secret draft", "draft")
