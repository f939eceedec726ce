"""Which Sonar a hosted mine may call: this platform, or a host the operator allows.

A hosted mine's worker fetches its Sonar address every minute with the mine's token in an
Authorization header, so the address is a request the platform makes on a user's behalf. It
may only point at this platform (SITE_URL) or at a host in MINE_SONAR_ALLOWED_HOSTS, and an
allowed host must resolve only to public addresses: never loopback, private, link-local
(cloud metadata at 169.254.169.254) or reserved ones.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _public_addresses_only(host: str, port: int | None) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationError(
            f"The Sonar host '{host}' cannot be resolved; check the address and try again."
        ) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                f"The Sonar host '{host}' resolves to {address}, a private, loopback, "
                "link-local or reserved address; a mine may only call public addresses."
            )


# True while a mine's own command line runs (mine_init, mine_run, ...): there the request is the
# miner's own, from the miner's machine, so any address they choose is theirs to call.
_OWN_COMMAND_LINE: ContextVar[bool] = ContextVar("own_command_line", default=False)


@contextmanager
def miners_own_command_line() -> Iterator[None]:
    """Within this block Sonar addresses are the miner's choice (see mine_command.py)."""
    token = _OWN_COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _OWN_COMMAND_LINE.reset(token)


def sonar_address_check(sonar_url: str) -> str:
    """Return the normalised address ('' for this platform), or raise a ValidationError."""
    url = sonar_url.strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            f"'{url}' is not a Sonar address; use e.g. https://sonar.example.org, or leave "
            "it blank for this platform."
        ) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError("A Sonar address carries no user name or password; remove them.")
    url = url.rstrip("/")
    if _origin(url) == _origin(settings.SITE_URL) or _OWN_COMMAND_LINE.get():
        return url
    allowed = {host.lower() for host in settings.MINE_SONAR_ALLOWED_HOSTS}
    _, host, port = _origin(url)
    if host not in allowed:
        others = ", ".join(sorted(allowed)) or "none"
        raise ValidationError(
            f"'{url}' is not a Sonar this platform may call. Leave the address blank to mine "
            f"for this platform ({settings.SITE_URL}); other hosts the operator allows: "
            f"{others}."
        )
    _public_addresses_only(host, port)
    return url
