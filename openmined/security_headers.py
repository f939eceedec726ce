"""Content-Security-Policy on every response, and no-store on everything a signed-in person sees.

The policy allows scripts, styles, images and fonts from this origin only: no inline script or
style. Pages are written for that (htmx loads from static files and is told not to inject its
indicator style; the charts' CSS is static/charts.css). Two templates we do not own carry a
fixed inline <style>: their exact contents are allowed by hash, computed from the installed
templates so an upgrade cannot silently break the pages.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

# Templates of Django's admin and of the API docs page with a constant inline <style>.
HASHED_STYLE_TEMPLATES = ("admin/change_list.html", "drf_spectacular/swagger_ui.html")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def _template_style_hashes() -> list[str]:
    hashes = []
    for name in HASHED_STYLE_TEMPLATES:
        try:
            source = get_template(name).template.source
        except TemplateDoesNotExist:
            continue
        for style in _STYLE.findall(source):
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return hashes


@functools.cache
def content_security_policy() -> str:
    """The policy every response carries."""
    styles = " ".join(["'self'", *_template_style_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            # Swagger UI draws its icons from data: URLs.
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _is_private(request: HttpRequest) -> bool:
    """A signed-in person's page or API answer (session, or a token DRF checks later)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return "HTTP_AUTHORIZATION" in request.META


class SecurityHeadersMiddleware:
    """Add the CSP, and Cache-Control: no-store for private responses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy())
        if _is_private(request):
            # Wallets, profiles, campaigns and mines must not stay in a shared or back-button
            # cache after the person signs out.
            response["Cache-Control"] = "no-store"
        return response
