"""What an anonymous visitor sees: statistics, the open campaigns, and the ledger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import spilled

pytestmark = pytest.mark.browser


@pytest.fixture
def open_campaign(alice, diabetes, launched) -> dict:
    """Alice's diabetes campaign, launched with a 1,000.00 bounty."""
    return launched(alice, diabetes, name="Diabetes for everyone", bounty_minor=1_000_00)


def test_an_anonymous_visitor_reads_the_platform_statistics(page, open_campaign, screenshot):
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
    assert spilled(page) == []  # every number readable inside its card
    screenshot("stats")


def test_an_anonymous_visitor_sees_open_campaigns_and_is_asked_to_log_in_for_more(
    page, open_campaign
):
    page.goto("/sonar/")
    row = page.get_by_role("row").filter(has_text="Diabetes for everyone")
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text("1,000.00")
    # Progress pages are for signed-in people; the name is not a link for visitors.
    expect(row.get_by_role("link")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="New campaign")).to_have_count(0)
