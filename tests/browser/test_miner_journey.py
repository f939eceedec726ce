"""Bob's journey in the browser: a mine, an import (a bad file first), a policy picked from the
open campaigns, the verdicts, a mining pass and his earnings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mine_ui.models import Contribution, Dataset
from tests.browser.pages import check_page
from tests.sonar_ui.conftest import to_csv

pytestmark = pytest.mark.browser


def csv_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": data}


@pytest.mark.slow
def test_bob_imports_sets_his_policy_sees_verdicts_runs_a_pass_and_earns(
    page, live_server, settings, alice, bob, diabetes, launched, log_in
):
    # Hosted mines talk to this platform over its own API, here the live server.
    settings.SITE_URL = live_server.url
    campaign = launched(alice, diabetes, name="diabetes", target_accuracy=0.99)
    X, y = diabetes.mines[0]
    good = to_csv(diabetes.input_schema, diabetes.output_schema, X, y)
    lines = good.decode().splitlines()
    # Three bad rows among good ones: a word for a number, an empty value, a short line.
    bad_lines = list(lines)
    bad_lines[3] = "forty" + bad_lines[3][bad_lines[3].index(",") :]
    bad_lines[7] = bad_lines[7].rsplit(",", 1)[0] + ","
    bad_lines[9] = "1.0,2.0"
    bad = ("\n".join(bad_lines) + "\n").encode()

    log_in(bob)
    page.goto("/mine/")
    expect(page.get_by_label("Payout account")).not_to_have_value("")
    page.get_by_label("Name").fill("Bob's clinic")
    page.get_by_role("button", name="Create mine").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob's clinic")
    expect(page.get_by_text("No earnings yet.")).to_be_visible()

    # A bad file: every bad row is listed and nothing is imported.
    mine_nav = page.get_by_role("navigation", name="This mine")
    mine_nav.get_by_role("link", name="Import data").click()
    page.get_by_label("Data file").set_input_files(csv_file("patients.csv", bad))
    page.get_by_label("Schema").select_option(label=f"Campaign diabetes (#{campaign['id']})")
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="First rows")).to_be_visible()
    check_page(page, "mine-import-review")
    page.get_by_role("button", name="Import all rows").click()
    alert = page.get_by_role("alert").filter(has_text="Nothing was imported")
    expect(alert).to_contain_text("3 problems on 3 lines")
    bad_rows = page.locator("table.bad-rows tbody tr")
    expect(bad_rows).to_have_count(3)
    expect(bad_rows.nth(0)).to_contain_text("forty")
    expect(bad_rows.nth(1)).to_contain_text("progression")
    expect(bad_rows.nth(2)).to_contain_text("has 2 values")
    check_page(page, "mine-import-bad-rows")
    assert not Dataset.objects.exists()

    # The good file.
    mine_nav.get_by_role("link", name="Import data").click()
    page.get_by_label("Data file").set_input_files(csv_file("patients.csv", good))
    page.get_by_label("Schema").select_option(label=f"Campaign diabetes (#{campaign['id']})")
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name="Import all rows").click()
    expect(page.locator(".messages")).to_contain_text(f"Imported {len(X)} rows")

    # The policy, picked by name; exact gradients so this one small pass is accepted.
    page.get_by_role("link", name="Edit policy").first.click()
    page.get_by_label("Participate automatically").check()
    only = page.get_by_role("group", name="Only these campaigns")
    only.get_by_label(f"diabetes (#{campaign['id']})").check()
    check_page(page, "mine-policy")
    page.get_by_role("button", name="Save policy").click()
    expect(page.locator(".messages")).to_contain_text("Policy of 'Bob's clinic' saved.")
    page.get_by_text("Change the budget").click()
    page.get_by_label("ε per contribution").fill("0")
    page.get_by_role("button", name="Save budget").click()
    expect(page.locator(".messages")).to_contain_text("Privacy budget of 'Bob's clinic' saved.")

    # Which open campaigns the mine will join.
    mine_nav.get_by_role("link", name="Open campaigns").click()
    row = page.locator("table.verdicts tr").filter(has_text="diabetes")
    expect(row).to_contain_text("will join")
    expect(row).to_contain_text("none (exact gradients)")
    check_page(page, "mine-campaigns")

    # A pass now, and the earnings.
    mine_nav.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Run a mining pass now").click()
    expect(page.locator(".messages")).to_contain_text("A mining pass of 'Bob's clinic'")
    page.reload()
    contribution = Contribution.objects.get(status="accepted")
    assert contribution.earnings_minor > 0
    expect(page.locator("table.contributions")).to_contain_text("accepted")
    expect(page.locator("#earned-unsettled")).not_to_have_text(re.compile(r"^0\.00"))
    expect(page.locator("#earned-settled")).to_have_text(re.compile(r"^0\.00"))
    expect(page.locator("figure.chart svg")).to_be_visible()
    check_page(page, "mine-detail")
    page.get_by_role("link", name="patients").click()
    expect(page.get_by_role("heading", name="First rows")).to_be_visible()
    check_page(page, "mine-dataset")
    page.goto("/mine/")
    check_page(page, "mine-index")
