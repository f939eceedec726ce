"""The public statistics page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stats.selectors import platform_stats


def index(request: HttpRequest) -> HttpResponse:
    """What the platform has done, for everyone."""
    return render(request, "stats/index.html", {"stats": platform_stats()})
