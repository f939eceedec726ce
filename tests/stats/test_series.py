"""Public statistics over time: per day and per hour, as charts, CSV and JSON; cached."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from sonar_ui import services
from sonar_ui.models import Campaign, GradientSubmission
from stats.selectors import platform_series


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def activity(alice, bob, diabetes, launched, submit):
    """Two campaigns launched today, one gradient accepted and paid, one launched 3 days ago."""
    first = launched(alice, diabetes, name="first", bounty_minor=40_000)
    launched(alice, diabetes, name="second", bounty_minor=10_000)
    X, y = diabetes.mines[0]
    assert submit(bob, first["id"], X, y).status_code == 202
    while services.campaign_evaluate_next(campaign_id=first["id"]) is not None:
        pass
    services.campaign_close(campaign_id=first["id"], user=alice)
    services.campaign_settle(campaign_id=first["id"])
    old = launched(alice, diabetes, name="old", bounty_minor=5_000)
    Campaign.objects.filter(pk=old["id"]).update(launched_at=timezone.now() - timedelta(days=3))
    return first


def test_each_day_counts_what_happened_that_day(activity):
    series = platform_series(bucket="day", now=timezone.now())
    rows = series["rows"]
    assert len(rows) == 30
    today, three_days_ago = rows[-1], rows[-4]
    assert today["campaigns_launched"] == 2 and three_days_ago["campaigns_launched"] == 1
    assert today["gradients_submitted"] == 1
    accepted = GradientSubmission.objects.filter(status="accepted").count()
    assert today["gradients_accepted"] == accepted
    assert today["bounty_escrowed_minor"] == 55_000  # the ledger's transfers, all made today
    paid = sum(r["paid_minor"] for r in rows)
    assert paid == sum(p.amount_minor for p in activity_payouts())
    assert today["active_mines"] == 1
    assert sum(r["campaigns_launched"] for r in rows[:-4]) == 0


def activity_payouts():
    from sonar_ui.models import Payout

    return Payout.objects.filter(status="settled")


def test_hours_cover_the_last_48(activity):
    rows = platform_series(bucket="hour", now=timezone.now())["rows"]
    assert len(rows) == 48
    assert rows[-1]["gradients_submitted"] == 1
    assert rows[-1]["start"] == timezone.now().replace(minute=0, second=0, microsecond=0)


def test_the_series_is_cached_for_a_minute(alice, diabetes, launched):
    assert platform_series(bucket="day")["rows"][-1]["campaigns_launched"] == 0
    launched(alice, diabetes)
    assert platform_series(bucket="day")["rows"][-1]["campaigns_launched"] == 0  # from the cache
    cache.clear()
    assert platform_series(bucket="day")["rows"][-1]["campaigns_launched"] == 1


def test_the_csv_download_has_one_row_per_day(client, activity):
    response = client.get("/stats/series.csv?bucket=day")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sonar-stats-per-day.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 30
    assert list(rows[0]) == ["start_utc", "campaigns_launched", "gradients_submitted",
                             "gradients_accepted", "bounty_escrowed_minor", "paid_minor",
                             "active_mines"]  # fmt: skip
    assert rows[-1]["campaigns_launched"] == "2"
    assert rows[-1]["start_utc"].endswith("T00:00:00Z")


def test_the_json_download_matches_the_csv(client, activity):
    body = json.loads(client.get("/stats/series.json?bucket=hour").content)
    assert body["bucket"] == "hour" and len(body["rows"]) == 48
    assert body["rows"][-1]["gradients_submitted"] == 1
    assert body["money_unit"] == "minor (cents)"


@pytest.mark.parametrize("url", ["/stats/", "/stats/series.csv", "/stats/series.json"])
def test_an_unknown_bucket_is_refused_with_a_sentence(client, db, url):
    response = client.get(f"{url}?bucket=week")
    assert response.status_code == 400
    assert "use ?bucket=day (last 30 days) or ?bucket=hour" in response.content.decode()


def test_the_page_draws_a_chart_per_series_with_values_on_hover(client, activity):
    page = client.get("/stats/").content.decode()
    assert page.count('<figure class="chart stats-chart">') == 6
    assert "Bounty escrowed" in page and "550.00" in page
    today = timezone.now().strftime("%d %b")
    assert f"<title>{today}: 2</title>" in page  # campaigns launched today, shown on hover
    assert 'href="/stats/series.csv?bucket=day"' in page
    hourly = client.get("/stats/?bucket=hour").content.decode()
    assert "per hour, last 48 hours (UTC)" in hourly


def test_the_series_reveals_no_names_or_accounts(client, activity):
    body = client.get("/stats/series.json").content.decode()
    assert "first" not in body and "acct_" not in body and "alice" not in body
