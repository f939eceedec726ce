"""Pages we do not write ourselves still work under the Content-Security-Policy.

The page fixture fails a test on anything the policy blocks; these visit the API docs and the
admin, whose templates come from Django and drf-spectacular.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_their_operations(page, db):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("OpenMined Sonar API")
    expect(page.locator(".opblock-tag").first).to_be_visible()


def test_the_admin_login_and_index_work(page, operator, log_in):
    page.goto("/admin/login/")
    expect(page.get_by_label("Username")).to_be_visible()
    log_in(operator)
    page.goto("/admin/")
    expect(page.get_by_role("link", name="Accounts").first).to_be_visible()
    page.goto("/admin/ledger/entry/")
    expect(page.locator("#changelist")).to_be_visible()
