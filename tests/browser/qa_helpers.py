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


def open_settled(page: Page, url: str) -> None:
    """Open `url` with reduced motion (no animation to wait out) and wait until it is drawn."""
    page.emulate_media(reduced_motion="reduce")
    page.goto(url)
    settled(page)


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


GRAD_TRACES = "c => c.data.map(trace => trace.name)"
GRAD_NOTES = "c => (c.layout.annotations || []).map(a => a.text)"


def has_bound_line(page: Page) -> bool:
    """Whether the gradient chart draws the dashed bound."""
    names = page.locator("#grad-chart").evaluate(GRAD_TRACES)
    return any(name.startswith("bound") for name in names)


def expect_no_bound_line(page: Page, note: str, caption: str) -> None:
    """The gradient chart without its bound: the note on the chart, the reason in the caption."""
    chart = page.locator("#grad-chart")
    page.wait_for_function("() => document.getElementById('grad-chart').data !== undefined")
    names = chart.evaluate(GRAD_TRACES)
    assert names[0] == "‖∂L/∂hₜ‖ hidden state"
    assert not has_bound_line(page), names
    assert chart.evaluate(GRAD_NOTES) == [note]
    expect(chart.locator(".annotation-text")).to_have_text(note)
    expect(page.locator('[data-panel="grad"] figcaption')).to_contain_text(caption)
