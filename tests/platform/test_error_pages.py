"""`make run` (DEBUG on) shows the site's own 404 and 500 pages, never Django's technical ones."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_on(settings):
    """The embedded default, as `make run` starts it."""
    settings.DEBUG = True
    settings.TECHNICAL_ERROR_PAGES = False
    return settings


@pytest.fixture
def crash(monkeypatch):
    def boom() -> dict:
        raise RuntimeError("SECRET_KEY=hunter2 in the traceback")

    monkeypatch.setattr("stats.views.platform_stats", boom)


def test_an_unknown_address_gets_the_sites_404_page(debug_on, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Nothing is at this address." in page
    assert "Using the URLconf" not in page and "urlpatterns" not in page


def test_a_404_raised_by_a_view_gets_the_sites_page(debug_on, client):
    response = client.get("/ledger/entries/999/")
    assert response.status_code == 404
    assert "Nothing is at this address." in response.content.decode()
    assert "Technical" not in response.content.decode()


def test_a_crash_gets_the_sites_500_page_and_is_logged(debug_on, crash, caplog):
    client = Client(raise_request_exception=False)
    response = client.get("/stats/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "hunter2" not in page and "Traceback" not in page
    assert "hunter2" in caplog.text  # the operator still gets the traceback in the log


def test_api_addresses_keep_their_json_errors(debug_on, client):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_trailing_slash_is_still_added_by_redirect(debug_on, client):
    response = client.get("/stats")
    assert response.status_code == 301 and response["Location"] == "/stats/"


def test_a_developer_can_ask_for_djangos_technical_pages(debug_on, client):
    debug_on.TECHNICAL_ERROR_PAGES = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Using the URLconf" in response.content.decode()


def test_make_run_starts_with_debug_on_so_the_middleware_is_what_hides_the_technical_page():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "DEBUG=" not in run  # the embedded default: DEBUG defaults to True
