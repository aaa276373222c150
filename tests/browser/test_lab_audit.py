"""The training lab (/lab) after an audit: legends outside the plot areas, four heatmaps on one
time axis, and a link's out-of-range numbers noticed and replaced like unparsable ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "tmp"


def lab_config(page: Page) -> dict[str, Any]:
    return dict(json.loads(page.locator("#lab-config").text_content() or "{}"))


def as_box_shows(value: float | None) -> str:
    """A default as its number box shows it: 1.0 as "1", None as empty."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def test_the_audited_link_names_gap_and_falls_back_to_its_default(
    page: Page, errors: list[str]
) -> None:
    page.goto("/lab?steps=abc&task=foo&gap=99999")
    expect(page.locator("#lab-notice")).to_have_text(
        "The link's Task “foo”, Gap “99999” (a whole number from 0 to 1000),"
        " Steps “abc” (a whole number from 1 to 3000) are not values the lab takes;"
        " using the default instead."
    )
    defaults = lab_config(page)["defaults"]
    expect(page.locator("#lab-gap")).to_have_value(as_box_shows(defaults["gap"]))
    expect(page.locator("#lab-steps")).to_have_value(as_box_shows(defaults["steps"]))
    expect(page.locator("#lab-task")).to_have_value("agreement")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".lab-layout").screenshot(path=str(SHOTS / "lab-audit-link-notice.png"))
    assert errors == []


# Every number box of the form, with a value just outside its min or max, and for whole-number
# boxes a fraction inside the range: each falls back to the default with the notice.
OUT_OF_RANGE = [
    ("gap", "Gap", "1001", "a whole number from 0 to 1000"),
    ("gap", "Gap", "-1", "a whole number from 0 to 1000"),
    ("gap", "Gap", "7.5", "a whole number from 0 to 1000"),
    ("steps", "Steps", "0", "a whole number from 1 to 3000"),
    ("steps", "Steps", "3001", "a whole number from 1 to 3000"),
    ("lr", "Learning rate", "0", "a number from 0.00001 to 10"),
    ("lr", "Learning rate", "11", "a number from 0.00001 to 10"),
    ("clip_norm", "Clip at", "0", "a number from 0.001 to 1000000"),
    ("clip_norm", "Clip at", "2e6", "a number from 0.001 to 1000000"),
    ("hidden_size", "Hidden size", "257", "a whole number from 1 to 256"),
    ("hidden_size", "Hidden size", "8.5", "a whole number from 1 to 256"),
    ("batch_size", "Batch size", "0", "a whole number from 1 to 512"),
    ("batch_size", "Batch size", "513", "a whole number from 1 to 512"),
    ("w_rec", "W2 scale", "-10.5", "a number from -10 to 10"),
    ("w_rec", "W2 scale", "99", "a number from -10 to 10"),
    ("forget_bias", "LSTM forget bias", "101", "a number from -100 to 100"),
    ("attractor_rate", "Noun distractors", "1.5", "a number from 0 to 1"),
    ("attractor_rate", "Noun distractors", "-0.1", "a number from 0 to 1"),
    ("seed", "Seed", "-3", "a whole number of at least 0"),
    ("seed", "Seed", "0.5", "a whole number of at least 0"),
]


@pytest.mark.parametrize(("name", "label", "text", "why"), OUT_OF_RANGE)
def test_a_link_value_outside_its_box_is_noticed_and_replaced_by_the_default(
    page: Page, errors: list[str], name: str, label: str, text: str, why: str
) -> None:
    page.goto(f"/lab?{name}={text}")
    expect(page.locator("#lab-notice")).to_have_text(
        f"The link's {label} “{text}” ({why}) is not a value the lab takes;"
        " using the default instead."
    )
    default = lab_config(page)["defaults"][name]
    box = page.locator(f'[data-param="{name}"]')
    expect(box).to_have_value(as_box_shows(default))
    assert errors == []


def test_a_link_value_within_every_box_is_taken_without_a_notice(
    page: Page, errors: list[str]
) -> None:
    values = {
        "gap": "1000",
        "steps": "3000",
        "lr": "0.00001",
        "clip_norm": "1000000",
        "hidden_size": "256",
        "batch_size": "1",
        "w_rec": "-10",
        "forget_bias": "-100",
        "attractor_rate": "1",
        "seed": "123456789",
    }
    page.goto("/lab?" + "&".join(f"{name}={text}" for name, text in values.items()))
    for name, text in values.items():
        expect(page.locator(f'[data-param="{name}"]')).to_have_value(text)
    expect(page.locator("#lab-notice")).to_be_hidden()
    assert errors == []
