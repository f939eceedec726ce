"""The site's own 404 and 500 pages under `make run`, where DEBUG is on.

With DEBUG on, Django answers a missing page or a crash with its technical page (settings,
traceback, every URL pattern): right for a developer at their desk, wrong for the person
trying the demo, and a leak if the port is reachable. This middleware answers with the
templates the site uses in production; TECHNICAL_ERROR_PAGES=True brings Django's back.
With DEBUG off it does nothing: Django already uses handler404 and handler500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

from openmined import views

logger = logging.getLogger("django.request")

# Django answers these itself with a 400 or 403, in any mode.
_NOT_OURS = (PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class SiteErrorPagesMiddleware:
    """Replace Django's technical 404 and 500 pages with the site's own when DEBUG is on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def _active() -> bool:
        return settings.DEBUG and not settings.TECHNICAL_ERROR_PAGES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No view matched the address: the 404 is Django's URL-pattern listing.
        if self._active() and response.status_code == 404 and request.resolver_match is None:
            return views.not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._active() or isinstance(exception, _NOT_OURS):
            return None
        if isinstance(exception, Http404):
            return views.not_found(request, exception)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        response = views.server_error(request)
        response._has_been_logged = True  # the traceback is in the line above
        return response
