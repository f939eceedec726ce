"""The public statistics page and its downloads (CSV and JSON)."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render

from stats.charts import series_charts
from stats.selectors import SERIES_SPANS, platform_series, platform_stats

PERIODS = {"day": "per day, last 30 days (UTC)", "hour": "per hour, last 48 hours (UTC)"}


def _series_or_400(request: HttpRequest) -> dict | HttpResponse:
    bucket = request.GET.get("bucket", "day")
    if bucket not in SERIES_SPANS:
        return HttpResponseBadRequest(
            f"There is no bucket {bucket!r}: use ?bucket=day (last 30 days) or ?bucket=hour "
            "(last 48 hours).",
            content_type="text/plain; charset=utf-8",
        )
    return platform_series(bucket=bucket)


def index(request: HttpRequest) -> HttpResponse:
    """What the platform has done, in totals and over time, for everyone."""
    series = _series_or_400(request)
    if isinstance(series, HttpResponse):
        return series
    return render(
        request,
        "stats/index.html",
        {
            "stats": platform_stats(),
            "series": series,
            "charts": series_charts(series),
            "bucket": series["bucket"],
            "period": PERIODS[series["bucket"]],
            "periods": PERIODS,
        },
    )


def series_csv(request: HttpRequest) -> HttpResponse:
    """The series as CSV: one row per bucket, money in minor units, times in UTC."""
    series = _series_or_400(request)
    if isinstance(series, HttpResponse):
        return series
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["start_utc", *series["fields"]])
    for row in series["rows"]:
        start = row["start"].strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow([start, *(row[name] for name in series["fields"])])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sonar-stats-per-{series["bucket"]}.csv"'
    )
    return response


def series_json(request: HttpRequest) -> HttpResponse:
    """The same series as JSON."""
    series = _series_or_400(request)
    if isinstance(series, HttpResponse):
        return series
    body = {
        "bucket": series["bucket"],
        "generated_at": series["generated_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "money_unit": "minor (cents)",
        "rows": [
            {**row, "start": row["start"].strftime("%Y-%m-%dT%H:%M:%SZ")} for row in series["rows"]
        ],
    }
    response = JsonResponse(body)
    response["Content-Disposition"] = (
        f'attachment; filename="sonar-stats-per-{series["bucket"]}.json"'
    )
    return response
