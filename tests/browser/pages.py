"""The checks every main page gets in the browser: two widths, no sideways scroll, axe-core.

`check_page(page, "campaign-detail")` saves full-page screenshots at 1280 and 390 px under
artifacts/ (or SONAR_SCREENSHOT_DIR), fails when the page is wider than a 390 px phone, and
fails on any serious or critical accessibility violation axe-core finds. axe-core ships inside
the axe-playwright-python package, so nothing is fetched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()


def screenshot_dir() -> Path:
    return Path(os.environ.get("SONAR_SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")


def accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(n['target'][0] for n in v['nodes'])}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def check_page(page, name: str) -> None:
    """Screenshot at 1280 and 390 px; assert it fits a phone and passes axe-core."""
    original = page.viewport_size
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "-", name)
    problems: list[str] = []
    try:
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(directory / f"{safe}-{width}.png"), full_page=True)
            page.evaluate("window.scrollTo(0, 0)")
            overflow = horizontal_overflow(page)
            if overflow > 0:
                problems.append(f"{label}: the page is {overflow}px wider than the viewport")
        problems += accessibility_violations(page)
    finally:
        if original:
            page.set_viewport_size(original)
    assert not problems, f"{name}: " + "; ".join(problems)
