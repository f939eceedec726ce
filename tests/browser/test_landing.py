"""The landing page, the main navigation, and the API docs, offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Where each link of the main navigation leads an anonymous visitor (by the page's heading), and
# whether the link is then marked as the current section. The Mine pages are personal, so an
# anonymous visitor is asked to log in first.
NAV_DESTINATIONS = [
    ("Sonar", "Sonar", True),
    ("Mine", "Log in", False),
    ("Stats", "Statistics", True),
    ("Ledger", "Public ledger", True),
]


def test_the_landing_page_explains_the_platform_to_each_kind_of_visitor(page, spilled, screenshot):
    page.goto("/")
    expect(page).to_have_title("OpenMined Sonar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Train models on data you never see.")
    expect(page.get_by_text("encrypted under Paillier")).to_be_visible()
    for audience in ("Data scientists", "Miners", "Everyone"):
        expect(page.get_by_role("heading", name=audience)).to_be_visible()
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Log in")).to_be_visible()
    expect(account.get_by_role("link", name="Sign up")).to_be_visible()
    assert spilled() == []
    screenshot("landing")


def test_the_landing_page_and_navigation_fit_a_phone_screen(page, spilled, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    for link in ("Sonar", "Mine", "Stats", "Ledger", "API"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_in_viewport()
    expect(page.get_by_role("link", name="Sign up")).to_be_in_viewport()
    assert spilled() == []
    screenshot("landing-phone")


@pytest.mark.parametrize(("link", "heading", "marked"), NAV_DESTINATIONS)
def test_each_main_navigation_link_opens_its_page(page, link, heading, marked):
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    with page.expect_navigation() as navigation:
        nav.get_by_role("link", name=link).click()
    assert navigation.value.ok
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    current = nav.locator("[aria-current]")
    if marked:
        expect(current).to_have_text(link)
    else:
        expect(current).to_have_count(0)


def test_the_brand_leads_back_home(page):
    page.goto("/stats/")
    page.get_by_role("link", name="OpenMined Sonar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Train models on data you never see.")


def test_the_api_docs_render_swagger_ui_from_this_server_alone(
    page, live_server, requests_seen, requests_off_server, screenshot
):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API").click()
    expect(page).to_have_url(f"{live_server.url}/api/docs/")
    # Swagger UI draws the title and the operations only after it has fetched and parsed the
    # schema, so seeing them proves the scripts, styles and schema all loaded.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("OpenMined Sonar API")
    expect(page.locator(".opblock-summary-path", has_text="/api/campaigns/").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/api/schema/") for url in requests_seen)
    assert requests_off_server() == []
    screenshot("api-docs")


def test_no_page_a_visitor_can_reach_fetches_anything_from_outside(
    page, requests_seen, requests_off_server
):
    for path in ("/", "/sonar/", "/stats/", "/ledger/", "/accounts/login/", "/accounts/signup/"):
        page.goto(path)  # returns once the page and everything it links have loaded
    assert any(url.endswith("/static/sonar.css") for url in requests_seen)
    assert requests_off_server() == []
