"""The Mine UI: a miner creates a mine and sets its policy through the forms."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledger.services import account_wallet_for_user
from mine_ui.models import Mine

pytestmark = pytest.mark.browser


def field(page, label: str):
    """The form row (label, input, help, errors) of one field."""
    return page.locator(".field").filter(has=page.get_by_label(label))


def test_bob_creates_a_mine_with_the_form_and_sees_it_listed(
    page, bob, log_in, screenshot, live_server, settings
):
    settings.SITE_URL = live_server.url  # the form asks this platform for bob's wallet
    payout_account = account_wallet_for_user(user=bob).public_id
    log_in(bob)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mine").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your mines")
    expect(page.get_by_text("You have no mines yet.")).to_be_visible()
    # The payout account is his wallet, filled in for him.
    expect(page.get_by_label("Payout account")).to_have_value(payout_account)

    page.get_by_label("Name").fill("Bob's clinic")
    page.get_by_role("button", name="Create mine").click()

    expect(page.locator(".messages")).to_contain_text("Mine 'Bob's clinic' created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob's clinic")
    expect(page.locator("main")).to_contain_text(payout_account)
    expect(page.locator("main")).to_contain_text("automatic participation off")
    expect(page.get_by_text("No data yet.")).to_be_visible()
    page.get_by_role("link", name="All your mines").click()
    card = page.locator("article.mine-card").filter(
        has=page.get_by_role("link", name="Bob's clinic")
    )
    expect(card).to_contain_text("automatic participation off")
    expect(page.get_by_text("You have no mines yet.")).to_have_count(0)
    screenshot("mine-index")


def test_a_payout_account_that_is_not_his_wallet_is_refused_and_creates_no_mine(
    page, bob, log_in, live_server, settings
):
    settings.SITE_URL = live_server.url
    log_in(bob)
    page.goto("/mine/")
    page.get_by_label("Name").fill("Bob's clinic")
    page.get_by_label("Payout account").fill("acct_not_his")
    page.get_by_role("button", name="Create mine").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Payout account acct_not_his is not your wallet"
    )
    expect(page.get_by_label("Name")).to_have_value("Bob's clinic")
    assert not Mine.objects.exists()


def test_the_policy_form_shows_each_error_next_to_its_field(
    page, bob, log_in, screenshot, live_server, settings
):
    settings.SITE_URL = live_server.url
    log_in(bob)
    page.goto("/mine/")
    page.get_by_label("Name").fill("Bob's clinic")
    page.get_by_label("Payout account").fill(account_wallet_for_user(user=bob).public_id)
    page.get_by_role("button", name="Create mine").click()
    page.get_by_role("link", name="Edit policy").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Policy of Bob's clinic")

    page.get_by_label("Minimum bounty").fill("-5")
    page.get_by_label("Max contributions per campaign").fill("0")
    # The browser would refuse these numbers itself; a person with an old browser, or a
    # script, reaches the server, and the server's errors are what this test is about.
    page.locator("form.stack").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Save policy").click()

    expect(field(page, "Minimum bounty").get_by_role("alert")).to_contain_text(
        "greater than or equal to 0"
    )
    expect(field(page, "Max contributions per campaign").get_by_role("alert")).to_contain_text(
        "greater than or equal to 1"
    )
    expect(field(page, "Participate automatically").get_by_role("alert")).to_have_count(0)
    screenshot("mine-policy-errors")

    page.get_by_label("Minimum bounty").fill("25.00")
    page.get_by_label("Max contributions per campaign").fill("3")
    page.get_by_label("Participate automatically").check()
    page.get_by_role("button", name="Save policy").click()

    expect(page.locator(".messages")).to_contain_text("Policy of 'Bob's clinic' saved.")
    policy = page.locator("dl.policy")
    expect(page.locator("main")).to_contain_text("participating automatically")
    expect(policy).to_contain_text("25.00")
    expect(policy).to_contain_text("at most 3")
