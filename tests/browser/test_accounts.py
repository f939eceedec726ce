"""Signing up, logging in and registering a PGP key, through the forms."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def field(page, label: str):
    """The form row (label, input, help, errors) of one field."""
    return page.locator(".field").filter(has=page.get_by_label(label))


def test_signing_up_with_both_roles_lands_signed_in_on_the_profile(page, live_server, screenshot):
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign up").click()
    screenshot("signup")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_label("Data scientist").check()
    page.get_by_label("Miner").check()
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_text("Welcome, dana.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("dana")
    roles = page.locator(".facts dd .tag")
    expect(roles).to_have_text(["data scientist", "miner"], ignore_case=True)
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="dana")).to_be_visible()
    expect(account.get_by_role("button", name="Log out")).to_be_visible()
    screenshot("profile")


def test_signing_up_without_a_role_asks_for_one_and_creates_no_account(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.locator(".field.has-error")).to_contain_text("Choose at least one role.")
    expect(page.get_by_label("Data scientist")).not_to_be_checked()
    assert not User.objects.filter(username="dana").exists()


def test_a_wrong_password_on_the_login_page_says_so_and_stays_signed_out(page, alice):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not alice's password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Please enter a correct username and password"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Log in")).to_be_visible()


def test_logging_in_and_out_through_the_forms(page, alice, live_server):
    page.goto("/")
    account = page.get_by_role("navigation", name="Account")
    account.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(account.get_by_role("link", name="alice")).to_be_visible()
    account.get_by_role("button", name="Log out").click()
    expect(account.get_by_role("link", name="Log in")).to_be_visible()
    expect(account.get_by_role("link", name="alice")).to_have_count(0)


def test_pasting_garbage_as_pgp_key_shows_the_error_next_to_the_field(page, alice, log_in):
    log_in(alice)
    page.goto("/accounts/profile/")
    page.get_by_label("PGP public key").fill("my key is hunter2")
    page.get_by_role("button", name="Save key").click()

    message = "This is not an ASCII-armored PGP public key"
    expect(field(page, "PGP public key").get_by_role("alert")).to_contain_text(message)
    # A screen reader announces the error with the field, not just somewhere on the page.
    expect(page.get_by_label("PGP public key")).to_have_accessible_description(re.compile(message))
    expect(page.locator("#pgp-fingerprint")).to_contain_text("no key")


def test_pasting_a_real_public_key_shows_its_fingerprint(page, alice, log_in, pgp_identity):
    log_in(alice)
    page.goto("/accounts/profile/")
    page.get_by_label("PGP public key").fill(pgp_identity.public_key)
    page.get_by_role("button", name="Save key").click()

    expect(page.locator(".messages")).to_contain_text(f"fingerprint {pgp_identity.fingerprint}")
    expect(page.locator("#pgp-fingerprint")).to_have_text(pgp_identity.fingerprint)


def test_alice_makes_an_api_token_sees_it_once_and_revokes_it(page, log_in, alice):
    from accounts.models import ApiToken
    from tests.browser.pages import check_page

    log_in(alice)
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Manage your API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name").fill("laptop notebook")
    page.get_by_role("button", name="Make token").click()
    secret = page.locator("#new-token-secret").inner_text()
    assert ApiToken.objects.get(user=alice, name="laptop notebook").prefix == secret[:8]
    check_page(page, "api-tokens")
    page.goto("/accounts/profile/tokens/")
    expect(page.locator("#new-token-secret")).to_have_count(0)
    page.get_by_role("button", name="Revoke token laptop notebook").click()
    expect(page.get_by_text("Token revoked")).to_be_visible()
    assert not ApiToken.objects.filter(user=alice, name="laptop notebook").exists()


def test_bob_takes_the_data_scientist_role_on_his_profile(page, log_in, bob):
    from accounts.selectors import user_is_data_scientist

    log_in(bob)
    page.goto("/accounts/profile/")
    page.get_by_label(re.compile("Data scientist: I post")).check()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text("Your roles: data scientist, miner.")).to_be_visible()
    assert user_is_data_scientist(user=bob)
