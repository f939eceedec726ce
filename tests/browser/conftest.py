"""Real-browser fixtures: Debian's headless Chromium, driven by Playwright, against a live server.

One browser per test session (starting Chromium costs about a second) and a fresh context
(cookies, storage) per test, so no test inherits another's login.

Set SONAR_SCREENSHOT_DIR to a directory to keep a full-page screenshot of each main page the
tests visit; without it, `screenshot` does nothing and costs nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from tests.conftest import skip_or_fail
from tests.sonar_ui.conftest import diabetes, fund, launched, submit  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: containers and CI runners lack the user namespaces it needs; no GPU either. The
# rest stop Chromium's own traffic (QUIC, background fetches, component updates, sync), so every
# request a test sees comes from the page.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The live server listens on the loopback address itself, not on a name that might resolve
# elsewhere (or to ::1 on one machine and 127.0.0.1 on another).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
# Schemes that never leave the machine: inline data and in-page objects.
LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Chromium from the system; never a downloaded one."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing; install Debian's chromium package")
    # Playwright's sync API keeps an asyncio event loop running in this thread for as long as
    # the browser lives, and Django refuses ORM calls from any thread with a running loop
    # (SynchronousOnlyOperation), because it cannot tell this from a blocking call inside a
    # coroutine. The tests only touch the ORM between browser steps, never from a coroutine,
    # so lifting the guard is safe; it is lifted for exactly the browser's lifetime.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def requests_seen() -> list[str]:
    """Every URL the test's browser context asked for, in order."""
    return []


def off_server(urls: list[str], server_url: str) -> list[str]:
    """The URLs that would leave the live server (and so fail offline)."""
    server = urlsplit(server_url).netloc
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != server
    ]


@pytest.fixture
def requests_off_server(requests_seen, live_server) -> Callable[[], list[str]]:
    """The requests so far that went anywhere but the live server."""
    return lambda: off_server(requests_seen, live_server.url)


@pytest.fixture
def page(browser, live_server, requests_seen) -> Iterator:
    """A new browser context and tab on the live server; relative URLs go to it."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.on("request", lambda request: requests_seen.append(request.url))
    # A page that waits longer than this for its own server on 127.0.0.1 is broken.
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    tab = context.new_page()
    # Chromium reports each thing the Content-Security-Policy blocked on the console.
    blocked: list[str] = []
    tab.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield tab
    finally:
        context.close()
    # Every page must pass its own Content-Security-Policy: nothing inline, nothing blocked.
    assert blocked == []
    # Every page must work offline: a fetch from elsewhere is a defect wherever it happens.
    assert off_server(requests_seen, live_server.url) == []


@pytest.fixture
def log_in(page, live_server) -> Callable:
    """Start the browser signed in as the person (test_accounts covers the login form itself).

    Django's test client makes a real session and the browser gets its cookie: the same state
    the login form leaves behind, without two page loads in every test.
    """

    def sign_in(user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in


@pytest.fixture
def screenshot(page) -> Callable[[str], None]:
    """Keep a full-page screenshot under SONAR_SCREENSHOT_DIR, when it is set."""
    directory = os.environ.get("SONAR_SCREENSHOT_DIR")

    def take(name: str) -> None:
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^\w.-]+", "-", name)
            page.screenshot(path=str(Path(directory) / f"{safe}.png"), full_page=True)
            # After a full-page capture Chromium's compositor keeps a stale scroll offset: the
            # next click lands where the element was before, on something else. Scrolling to
            # the top makes both agree again; Playwright scrolls to what it clicks anyway.
            page.evaluate("window.scrollTo(0, 0)")

    return take


# Boxes whose content must stay inside them, and the script that lists what spills out. Content
# of a scroll container (a wide table on a phone) is reachable by scrolling, so it does not count.
_SPILL_SCRIPT = """() => {
  const scrolls = (el, box) => {
    for (let up = el.parentElement; up && up !== box; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const spilled = [];
  for (const box of document.querySelectorAll('main, .cards article, section.mine, dl.facts')) {
    const outer = box.getBoundingClientRect();
    for (const inner of box.querySelectorAll('*')) {
      const r = inner.getBoundingClientRect();
      const out = r.right > outer.right + 1 || r.left < outer.left - 1;
      if (r.width && out && !scrolls(inner, box)) {
        spilled.push(inner.outerHTML.slice(0, 120));
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    spilled.push('the page scrolls sideways');
  }
  return spilled;
}"""


@pytest.fixture
def spilled(page) -> Callable[[], list[str]]:
    """What sticks out of its card or section on the page (cut off, or over its neighbour)."""
    return lambda: page.evaluate(_SPILL_SCRIPT)
