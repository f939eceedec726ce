"""What an anonymous visitor sees: statistics, the open campaigns, and the ledger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledger.services import checkpoint_create

pytestmark = pytest.mark.browser


@pytest.fixture
def open_campaign(alice, diabetes, launched) -> dict:
    """Alice's diabetes campaign, launched with a 1,000.00 bounty."""
    return launched(alice, diabetes, name="Diabetes for everyone", bounty_minor=1_000_00)


def test_an_anonymous_visitor_reads_the_platform_statistics(
    page, open_campaign, spilled, screenshot
):
    page.goto("/stats/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    campaigns = page.locator(".cards article").filter(
        has=page.get_by_role("heading", name="Campaigns")
    )
    expect(campaigns).to_contain_text("open")
    money = page.locator(".cards article").filter(has=page.get_by_role("heading", name="Money"))
    expect(money).to_contain_text("Bounties posted")
    expect(money).to_contain_text("1,000.00")
    ledger = page.locator(".cards article").filter(has=page.get_by_role("heading", name="Ledger"))
    expect(ledger.get_by_role("link", name="Read and verify the ledger")).to_be_visible()
    assert spilled() == []  # every number readable inside its card
    screenshot("stats")


def test_an_anonymous_visitor_sees_open_campaigns_and_is_asked_to_log_in_for_more(
    page, open_campaign
):
    page.goto("/sonar/")
    row = page.get_by_role("row").filter(has_text="Diabetes for everyone")
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text("1,000.00")
    # The name leads to the campaign's public page, readable before joining.
    row.get_by_role("link", name="Diabetes for everyone").click()
    expect(page.get_by_role("cell", name="to predict")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("main").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="New campaign")).to_have_count(0)


def test_an_anonymous_visitor_reads_the_ledger_and_its_signed_checkpoint(
    page, open_campaign, spilled, screenshot
):
    checkpoint = checkpoint_create()
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="public ledger").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Public ledger")
    signed = page.locator("section").filter(
        has=page.get_by_role("heading", name="Latest signed checkpoint")
    )
    expect(signed).to_contain_text(f"{checkpoint.tree_size} entries")
    expect(signed).to_contain_text(checkpoint.root_hash)
    launch = page.get_by_role("row").filter(has_text="campaign.launched")
    expect(launch).to_contain_text(str(open_campaign["id"]))
    expect(launch).to_contain_text("Diabetes for everyone")
    assert spilled() == []
    screenshot("ledger")
