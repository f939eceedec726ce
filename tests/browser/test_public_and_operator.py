"""The public reads the statistics and explores the ledger; the operator acts from the admin."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledger.models import Entry
from ledger.services import checkpoint_create
from sonar_ui.models import Campaign
from tests.browser.pages import check_page, screenshot_dir
from tests.ledger.conftest import append

pytestmark = pytest.mark.browser


@pytest.fixture
def open_campaign(alice, diabetes, launched) -> dict:
    return launched(alice, diabetes, name="Diabetes for everyone", bounty_minor=1_000_00)


def test_the_public_reads_stats_over_time_and_downloads_the_csv(page, open_campaign):
    page.goto("/stats/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    escrowed = page.locator("figure").filter(has_text="Bounty escrowed")
    expect(escrowed).to_contain_text("1,000.00")
    expect(page.locator("figure.stats-chart svg")).to_have_count(6)
    check_page(page, "stats")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30
    assert rows[-1]["campaigns_launched"] == "1"
    assert rows[-1]["bounty_escrowed_minor"] == "100000"

    page.get_by_role("link", name="per hour, last 48 hours (UTC)").click()
    expect(page.locator("[aria-current]").filter(has_text="per hour")).to_be_visible()
    check_page(page, "stats-hourly")


def test_the_public_explores_the_ledger_and_checks_an_entry_in_the_browser(page, open_campaign):
    for n in range(40):  # enough entries for more than one page
        append(payload={"n": n})
    checkpoint = checkpoint_create()
    page.goto("/ledger/")
    check_page(page, "ledger")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 390, "height": 844})
    phone_height = page.evaluate("document.documentElement.scrollHeight")
    assert phone_height < 6_000, f"the ledger page is {phone_height}px tall on a phone"
    page.set_viewport_size({"width": 1280, "height": 800})
    assert height < 4_000

    page.get_by_role("link", name="older ›").click()
    expect(page.get_by_role("link", name="Entry 1", exact=True)).to_be_visible()

    page.get_by_label("Kind").select_option("campaign.launched")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Diabetes for everyone")
    launched = Entry.objects.get(kind="campaign.launched")
    page.get_by_role("link", name=f"Entry {launched.seq}", exact=True).click()

    expect(page).to_have_url(f"{page.url.split('/ledger/')[0]}/ledger/entries/{launched.seq}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Entry #{launched.seq}")
    expect(page.locator("#entry-hash")).to_have_text(launched.hash)
    expect(page.get_by_role("link", name=f"campaign #{open_campaign['id']}")).to_have_attribute(
        "href", f"/sonar/campaigns/{open_campaign['id']}/"
    )
    check_page(page, "ledger-entry")

    page.get_by_label("Tree").select_option(str(checkpoint.tree_size))
    page.get_by_role("button", name="Check inclusion").click()
    result = page.locator("#inclusion-result")
    expect(result).to_contain_text("Verified: this entry is in the ledger.")
    expect(result).to_contain_text(f"the root the platform signed for {checkpoint.tree_size}")

    page.get_by_role("link", name=f"entry #{launched.seq + 1} ›").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Entry #{launched.seq + 1}")

    page.goto("/ledger/checkpoints/")
    expect(page.get_by_role("heading", name=f"{checkpoint.tree_size} entries")).to_be_visible()
    check_page(page, "ledger-checkpoints")


def test_a_tampered_proof_is_not_verified_in_the_browser(page, open_campaign):
    checkpoint_create()
    page.route(
        "**/api/ledger/proofs/inclusion/**",
        lambda route: route.fulfill(
            json={**route.fetch().json(), "proof": ["00" * 32]}, status=200
        ),
    )
    page.goto("/ledger/entries/1/")
    page.get_by_role("button", name="Check inclusion").click()
    expect(page.locator("#inclusion-result")).to_contain_text("Not verified.")


def test_the_operator_closes_a_campaign_from_the_admin(page, operator, open_campaign, log_in):
    log_in(operator)
    page.goto("/admin/")
    summary = page.locator(".operator-summary")
    expect(summary).to_contain_text("Open campaigns")
    expect(summary).to_contain_text("1,000.00")
    # The admin is Django's own markup: screenshots only, axe-core is for the project's pages.
    page.screenshot(path=str(screenshot_dir() / "admin-index-1280.png"), full_page=True)

    page.get_by_role("link", name="Open campaigns").click()
    row = page.get_by_role("row").filter(has_text="Diabetes for everyone")
    expect(row).to_contain_text("1,000.00")
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option("close_and_settle")
    page.get_by_title("Run the selected action").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "'Diabetes for everyone' closed; settlement is under way."
    )
    campaign = Campaign.objects.get(pk=open_campaign["id"])
    assert campaign.status == "completed"
    assert campaign.completion_reason == "closed by operator operator"
    assert campaign.settled_at is not None  # eager settlement ran after the commit
    page.goto(f"/admin/sonar_ui/campaign/{campaign.pk}/change/")
    expect(page.get_by_text("closed by operator operator")).to_be_visible()
    page.screenshot(path=str(screenshot_dir() / "admin-campaign-1280.png"), full_page=True)
    # The description is the operator's to edit; the page saves (it answered 500 before).
    page.get_by_label("Description").fill("Closed early at the owner's request.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    campaign.refresh_from_db()
    assert campaign.description == "Closed early at the owner's request."
    assert campaign.status == "completed"
