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


# Boxes (left, top, right, bottom) in page pixels of one chart's parts: the plot area (Plotly's
# drag rectangle over it), the legend, axis titles and tick labels, and the whole figure.
PARTS = """(id) => {
    const gd = document.getElementById(id);
    const box = (node) => {
        if (!node) return null;
        const r = node.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    };
    const all = (selector) => [...gd.querySelectorAll(selector)].map(box)
        .filter((b) => b[2] > b[0] && b[3] > b[1]);
    return {
        figure: box(gd.querySelector(".main-svg")),
        plot: box(gd.querySelector(".nsewdrag")),
        legend: box(gd.querySelector(".legend")),
        texts: [...all(".g-xtitle text"), ...all(".g-ytitle text"), ...all(".xtick text"),
                ...all(".ytick text")],
        range: gd._fullLayout.xaxis.range,
    };
}"""
CURVE_CHARTS = ["lab-accuracy-chart", "lab-loss-chart", "lab-norm-chart"]
HEATMAPS = [f"lab-heatmap-{cell}" for cell in ("rnn", "irnn", "lstm", "gru")]


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether two boxes share more than a pixel's sliver."""
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def inside(inner: list[float], outer: list[float]) -> bool:
    return all(
        [
            inner[0] >= outer[0] - 1,
            inner[1] >= outer[1] - 1,
            inner[2] <= outer[2] + 1,
            inner[3] <= outer[3] + 1,
        ]
    )


def legend_problems(page: Page) -> list[str]:
    """Every way a curve chart's legend covers its plot or its labels, or is cut off."""
    problems = []
    for chart in CURVE_CHARTS:
        parts = page.evaluate(PARTS, chart)
        legend, plot, figure = parts["legend"], parts["plot"], parts["figure"]
        if legend is None:
            problems.append(f"{chart}: no legend")
            continue
        if overlap(legend, plot):
            problems.append(f"{chart}: legend {legend} on the plot {plot}")
        if not inside(legend, figure):
            problems.append(f"{chart}: legend {legend} cut off by the figure {figure}")
        for text in parts["texts"]:
            if overlap(legend, text):
                problems.append(f"{chart}: legend {legend} on a label {text}")
            if not inside(text, figure):
                problems.append(f"{chart}: label {text} cut off by the figure {figure}")
        # The plot keeps its height, so the log axes' label spacing (for 192 px) still holds.
        if abs((plot[3] - plot[1]) - 192) > 1:
            problems.append(f"{chart}: plot height {plot[3] - plot[1]}, not 192")
    return problems


def wait_for_no_legend_problems(page: Page) -> None:
    """A width change redraws the legends a frame or two later; then none may remain."""
    page.wait_for_timeout(300)
    for _ in range(20):
        if not legend_problems(page):
            break
        page.wait_for_timeout(100)
    assert legend_problems(page) == []


def heatmap_problems(page: Page, columns: int) -> list[str]:
    """Whether the four heatmaps' plots share one width and, column by column, one left edge."""
    parts = [page.evaluate(PARTS, heatmap) for heatmap in HEATMAPS]
    plots = [p["plot"] for p in parts]
    problems = []
    widths = [round(p[2] - p[0], 1) for p in plots]
    if max(widths) - min(widths) > 0.5:
        problems.append(f"plot widths {widths}")
    # Within its figure, every plot starts at the same place: the y axes line up.
    offsets = [round(p["plot"][0] - p["figure"][0], 1) for p in parts]
    if max(offsets) - min(offsets) > 0.5:
        problems.append(f"plot left edges within their figures {offsets}")
    for first, second in zip(plots, plots[columns:], strict=False):
        if abs(first[0] - second[0]) > 0.5 or abs(first[2] - second[2]) > 0.5:
            problems.append(f"plots one above the other do not line up: {first} {second}")
    if any(p["range"] != parts[0]["range"] for p in parts):
        problems.append(f"x ranges {[p['range'] for p in parts]}")
    return problems


def run_briefly(page: Page, width: int) -> None:
    """A few steps of the audit's run (gap 20, H 8, batch 16), all four cells, at `width`."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/lab?gap=20&hidden_size=8&batch_size=16&steps=6")
    page.locator("#lab-start").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "done", timeout=60_000)


@pytest.mark.parametrize("width", [1280, 390])
def test_legends_sit_below_the_plots_clear_of_curves_and_labels(
    page: Page, errors: list[str], width: int
) -> None:
    run_briefly(page, width)
    wait_for_no_legend_problems(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".lab-charts").screenshot(path=str(SHOTS / f"lab-audit-legends-{width}.png"))
    # Turned to the other width, the legends rewrap and are measured again.
    page.set_viewport_size({"width": 390 if width == 1280 else 1280, "height": 900})
    wait_for_no_legend_problems(page)
    assert errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_four_heatmaps_share_one_plot_width_and_time_axis(
    page: Page, errors: list[str], width: int
) -> None:
    run_briefly(page, width)
    page.wait_for_timeout(300)  # the last frame's redraw
    columns = 2 if width == 1280 else 1
    assert heatmap_problems(page, columns) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#lab-heatmaps").screenshot(path=str(SHOTS / f"lab-audit-heatmaps-{width}.png"))
    page.set_viewport_size({"width": 390 if width == 1280 else 1280, "height": 900})
    page.wait_for_timeout(500)  # Plotly's responsive resize
    assert heatmap_problems(page, 3 - columns) == []
    assert errors == []
