"""Password guessing is slowed for every way in: the login page, the admin and the API.

Failed attempts are counted per client address and per username in the shared cache
(settings.CACHES: Redis in production, files on a laptop), so every web process sees the same
counts. Once either count reaches its limit, further attempts are refused without checking the
password until the window ends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from openmined.api_errors import json_error


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one TRUSTED_PROXY_COUNT proxies vouch for.

    Each proxy appends the address it was called from to X-Forwarded-For, so with n trusted
    proxies the client is the n-th address from the right; anything to its left was written by
    the client itself and is not believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    return forwarded[-min(trusted, len(forwarded))]


def _keys(address: str, username: str) -> list[tuple[str, int]]:
    # Hashed: usernames are free text and cache keys are not.
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [
        (f"login-failures:address:{address}", settings.LOGIN_FAILURES_PER_ADDRESS),
        (f"login-failures:username:{name}", settings.LOGIN_FAILURES_PER_USERNAME),
    ]


def login_throttle_blocked(*, address: str, username: str) -> bool:
    """True while this address or this username has used up its failed attempts."""
    keys = _keys(address, username)
    counts = cache.get_many([key for key, _ in keys])
    return any(counts.get(key, 0) >= limit for key, limit in keys)


def login_failure_record(*, address: str, username: str) -> None:
    """Count one failed attempt against the address and the username."""
    window = settings.LOGIN_FAILURE_WINDOW_S
    for key, _ in _keys(address, username):
        # add() starts the window; incr() is atomic on Redis and close enough on files.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)


class LoginThrottled(PermissionDenied):
    """Raised inside authenticate(): Django then stops trying other backends."""


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend, refusing while the throttle is closed."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return super().authenticate(request, username, password, **kwargs)
        # DRF hands over its own Request; the flag belongs on the Django request it wraps.
        django_request = getattr(request, "_request", request)
        address = client_address(django_request)
        if login_throttle_blocked(address=address, username=username):
            django_request.login_throttled = True
            raise LoginThrottled
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            login_failure_record(address=address, username=username)
        return user


class LoginThrottleMiddleware:
    """Turn a refused attempt into a 429 that says why and when to try again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "login_throttled", False):
            return response
        minutes = max(1, settings.LOGIN_FAILURE_WINDOW_S // 60)
        detail = (
            "Too many failed sign-ins from your address or for this account. "
            f"Wait up to {minutes} minutes and try again, or reset your password."
        )
        if request.path.startswith("/api/"):
            refused = json_error("throttled", detail, 429)
        else:
            refused = HttpResponse(render_to_string("429.html", {"detail": detail}), status=429)
        refused["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_S)
        return refused
