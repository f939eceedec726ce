"""Every page carries a Content-Security-Policy it passes; private answers are never cached."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from accounts.services import token_issue
from openmined.security_headers import content_security_policy
from tests.sonar_ui.conftest import diabetes, fund, launched  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle=\"", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+=\"", re.I)


def inline_code(html: str) -> list[str]:
    """Inline scripts, styles and event handlers the policy would refuse."""
    return INLINE_SCRIPT.findall(html) + INLINE_STYLE.findall(html) + EVENT_HANDLER.findall(html)


def test_the_policy_allows_nothing_inline():
    policy = content_security_policy()
    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    "path",
    ["/", "/sonar/", "/stats/", "/ledger/", "/accounts/login/", "/accounts/signup/"],
)
def test_public_pages_carry_the_policy_and_no_inline_code(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == content_security_policy()
    assert inline_code(response.content.decode()) == []


@pytest.mark.parametrize(
    "path", ["/accounts/profile/", "/sonar/campaigns/new/", "/mine/", "/accounts/password/"]
)
def test_signed_in_pages_are_never_stored_and_have_no_inline_code(client, alice, path):
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert inline_code(response.content.decode()) == []


def test_the_campaign_page_and_its_chart_have_no_inline_code(client, alice, launched, diabetes):  # noqa: F811
    campaign = launched(alice, diabetes)
    client.force_login(alice)
    response = client.get(f"/sonar/campaigns/{campaign['id']}/")
    html = response.content.decode()
    assert "<svg" in html
    assert inline_code(html) == []
    assert response["Cache-Control"] == "no-store"


def test_the_charts_stylesheet_is_what_pygal_would_have_inlined():
    from mine_ui.charts import chart_stylesheet

    assert (ROOT / "static" / "charts.css").read_text() == chart_stylesheet(), (
        "Regenerate static/charts.css: python manage.py shell --no-imports -c "
        "\"from mine_ui.charts import chart_stylesheet; print(chart_stylesheet(), end='')\" "
        "> static/charts.css"
    )


def test_api_answers_for_a_token_holder_are_never_stored(api, alice):
    key = token_issue(user=alice).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/wallet/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_anonymous_public_pages_may_be_cached(client, db):
    assert "no-store" not in client.get("/ledger/").get("Cache-Control", "")


def test_the_api_docs_load_their_script_from_a_file(client, db):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_the_fixed_inline_styles_of_admin_and_api_docs_are_allowed_by_hash():
    # Django's changelist (when a ModelAdmin hides its actions) and Swagger UI's page each
    # carry one constant <style>; the policy names their hashes instead of 'unsafe-inline'.
    import django
    import drf_spectacular

    sources = [
        Path(django.__file__).parent / "contrib/admin/templates/admin/change_list.html",
        Path(drf_spectacular.__file__).parent / "templates/drf_spectacular/swagger_ui.html",
    ]
    policy = content_security_policy()
    for source in sources:
        styles = re.findall(r"<style>(.*?)</style>", source.read_text(), re.S)
        assert styles, source
        for style in styles:
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy, source
