"""Helpers of the browser tests written from QA passes: waits, the URL's query, screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

# Screenshots for a person to look at, only when asked for: QA_SHOTS=/some/dir pytest ...
SHOTS = os.environ.get("QA_SHOTS")


def settled(page: Page) -> None:
    """Wait until the last result is drawn: the graph played out and no request in flight."""
    expect(page.locator("#unrolled")).to_have_attribute("data-state", "done")
    expect(page.locator("body")).to_have_attribute("data-busy", "false")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
