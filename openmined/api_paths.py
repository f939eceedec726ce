"""Every API path works with or without its trailing slash, and never by redirect.

Django's APPEND_SLASH answers `POST /api/campaigns` with a 301, which HTTP clients follow as a
GET: the create silently does not happen. Under /api/ the missing slash is added inside the
request instead; a path that matches nothing either way gets the API's JSON 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

API_PREFIX = "/api/"


class ApiTrailingSlashMiddleware:
    """Serve /api/x as /api/x/ when only the latter exists (before CommonMiddleware sees it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            path.startswith(API_PREFIX)
            and not path.endswith("/")
            and not _resolves(path)
            and _resolves(path + "/")
        ):
            request.path_info = path + "/"
            request.path = request.path + "/"
        return self.get_response(request)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True
