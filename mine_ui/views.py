"""Pages of mine_ui."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """The app's landing page."""
    return render(request, "mine_ui/index.html")
