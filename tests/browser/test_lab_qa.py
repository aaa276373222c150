"""The training lab (/lab) after a QA pass: numbers as the number boxes read them, links with
unknown values, readable log axes, exact zeros, phones and wording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "tmp"
SMALL = "cells=rnn&hidden_size=4&batch_size=4"  # a run that takes well under a second a step


def sent_starts(page: Page) -> list[dict[str, Any]]:
    """The start messages the page sends, collected from the socket's creation on."""
    starts: list[dict[str, Any]] = []

    def on_socket(socket: Any) -> None:
        def on_sent(data: str | bytes) -> None:
            message = json.loads(data)
            if message.get("type") == "start":
                starts.append(message["params"])

        socket.on("framesent", on_sent)

    page.on("websocket", on_socket)
    return starts


def test_numbers_with_an_exponent_are_read_as_the_box_reads_them(
    page: Page, errors: list[str]
) -> None:
    starts = sent_starts(page)
    page.goto(f"/lab?{SMALL}")
    page.locator("#lab-steps").fill("1e1")
    page.locator("#lab-gap").fill("2e1")
    assert page.locator("#lab-steps").evaluate("(box) => box.valueAsNumber") == 10
    page.locator("#lab-start").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "done", timeout=60_000)
    assert len(starts) == 1
    assert starts[0]["steps"] == 10 and starts[0]["gap"] == 20
    query = parse_qs(urlparse(page.url).query)
    assert query["steps"] == ["10"] and query["gap"] == ["20"]
    assert page.locator("#lab-error").is_hidden()
    assert errors == []


@pytest.mark.parametrize(
    ("box", "text", "message"),
    [
        ("#lab-steps", "", "Steps: give a whole number from 1 to 3000."),
        ("#lab-steps", "12.7", "Steps: give a whole number from 1 to 3000."),
        ("#lab-steps", "5000", "Steps: give a whole number from 1 to 3000."),
        ("#lab-lr", "1e999", "Learning rate: give a number from 0.00001 to 10."),
        ("#lab-gap", "-1", "Gap: give a whole number from 0 to 1000."),
        (
            "#lab-w-rec",
            "11",
            "W2 scale: give a number from -10 to 10 (or leave it empty: default).",
        ),
    ],
)
def test_a_bad_number_names_its_field_focuses_it_and_starts_nothing(
    page: Page, errors: list[str], box: str, text: str, message: str
) -> None:
    starts = sent_starts(page)
    page.goto(f"/lab?{SMALL}&steps=5")
    page.locator(box).fill(text)
    page.locator("#lab-start").click()
    expect(page.locator("#lab-field-error")).to_have_text(message)
    expect(page.locator(box)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(box)).to_be_focused()
    expect(page.locator("body")).to_have_attribute("data-lab", "idle")
    page.wait_for_timeout(300)  # a start message, if any, would have gone by now
    assert starts == []
    assert errors == []


def test_unknown_task_and_optimizer_in_a_link_fall_back_to_the_defaults(
    page: Page, errors: list[str]
) -> None:
    starts = sent_starts(page)
    page.goto(f"/lab?task=bogus&optimizer=bogus&{SMALL}&steps=2&gap=3")
    expect(page.locator("#lab-task")).to_have_value("agreement")
    expect(page.locator("#lab-optimizer")).to_have_value("adam")
    expect(page.locator("#lab-notice")).to_have_text(
        "The link's Task “bogus”, Optimiser “bogus” are not values the lab takes;"
        " using the default instead."
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "lab-qa-unknown-link.png"))
    page.locator("#lab-start").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "done", timeout=60_000)
    assert starts[0]["task"] == "agreement" and starts[0]["optimizer"] == "adam"
    assert errors == []
