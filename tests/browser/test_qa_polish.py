"""Cosmetic fixes from a QA pass in Chromium: whole-step ticks and the readout at T = 1, named
heatmap rows, the embed's gates chart and controls, slider history in bursts, blank sweep cells."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from qa_helpers import open_settled, query, settled, shot

pytestmark = pytest.mark.browser

# Plotly writes negative ticks with a true minus sign.
WHOLE = re.compile(r"^[−-]?\d+$")


def sweep_drawn(page: Page) -> None:
    page.wait_for_function(
        """() => {
            const chart = document.getElementById("sweep-chart");
            return chart.data && chart.querySelector(".ytick");
        }"""
    )


def ticks(chart: Locator, axis: str) -> list[str]:
    """An axis's tick labels as drawn, in axis order."""
    return chart.evaluate(
        "(chart, axis) => [...chart.querySelectorAll(`.${axis}tick text`)]"
        ".map((t) => t.textContent)",
        axis,
    )


@pytest.mark.parametrize("seq_len", [1, 2, 3, 7])
def test_step_axes_tick_whole_steps(page: Page, errors: list[str], seq_len: int) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    open_settled(page, f"/?seq_len={seq_len}")
    sweep_drawn(page)
    steps = [str(t) for t in range(1, seq_len + 1)]
    for chart in ("#grad-chart", "#hidden-chart"):
        assert ticks(page.locator(chart), "x") == steps, chart
    # The phase diagram's rows: 0 … T − 1 steps back.
    assert ticks(page.locator("#sweep-chart"), "y") == [str(k) for k in range(seq_len)]
    shot(page, f"polish-T-{seq_len}")
    assert errors == []


def test_long_step_axes_tick_whole_steps(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=13")
    sweep_drawn(page)
    for chart, axis in (("#grad-chart", "x"), ("#hidden-chart", "x"), ("#sweep-chart", "y")):
        labels = ticks(page.locator(chart), axis)
        assert labels and all(WHOLE.match(label) for label in labels), (chart, axis, labels)
    assert errors == []


def test_readout_at_one_step_says_there_is_no_step_back(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=1")
    text = page.locator("#readout-text").inner_text()
    assert "Each step back" not in text
    assert "no step back to multiply" in text
    assert "reaches x₁ directly" in text
    expect(page.locator("#growth")).to_have_text("no step back (T = 1)")
    # Two steps: one step back, which the sentence speaks of as before.
    page.goto("/?seq_len=2&w_rec=0.5")
    settled(page)
    expect(page.locator("#readout-text")).to_contain_text(
        "Each step back multiplies the gradient by about 0.5"
    )
    expect(page.locator("#growth")).to_have_text("× 0.5 per step back")
    assert errors == []


@pytest.mark.parametrize(
    ("search", "rows"),
    [
        ("bidirectional=true", ["1 →", "1 ←"]),
        ("bidirectional=true&hidden_size=2", ["1 →", "2 →", "1 ←", "2 ←"]),
        ("bidirectional=true&hidden_size=3", ["1 →", "2 →", "3 →", "1 ←", "2 ←", "3 ←"]),
        ("hidden_size=2", ["1", "2"]),
    ],
)
def test_hidden_heatmap_names_its_rows(
    page: Page, errors: list[str], search: str, rows: list[str]
) -> None:
    open_settled(page, f"/?{search}")
    hidden = page.locator("#hidden-chart")
    assert ticks(hidden, "y") == rows
    if "bidirectional" in search:
        expect(hidden.locator(".ytitle")).to_have_text("unit (→ forward, ← backward)")
    shot(page, f"polish-hidden-{search.replace('&', '-').replace('=', '-')}")
    assert errors == []


def test_bidirectional_wide_heatmap_ticks_stay_few(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?bidirectional=true&hidden_size=64&seq_len=5")
    labels = ticks(page.locator("#hidden-chart"), "y")
    assert 4 <= len(labels) <= 16, labels
    assert labels[0] == "1 →" and "1 ←" in labels, labels
    assert all(re.match(r"^\d+ [→←]$", label) for label in labels), labels
    assert errors == []


# Boxes, in page pixels, of a chart's title and its y-axis title.
TITLES = """chart => {
    const box = (selector) => { const r = chart.querySelector(selector).getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
    return { title: box(".gtitle"), ytitle: box(".ytitle") };
}"""


def test_embed_gates_chart_and_controls_fit(page: Page, errors: list[str]) -> None:
    page.set_viewport_size({"width": 800, "height": 900})
    page.emulate_media(reduced_motion="reduce")
    page.goto("/embed?cell=lstm&panels=gates,grad&controls=w_rec,cell")
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    page.wait_for_function("() => document.querySelector('#gates-chart .ytitle')")
    for chart in ("#gates-chart", "#grad-chart"):
        boxes = page.locator(chart).evaluate(TITLES)
        assert boxes["ytitle"]["top"] >= boxes["title"]["bottom"], (chart, boxes)
    # The Cell dropdown is as tall as the number field beside the slider, not the whole row.
    select = page.locator("#ctl-cell").bounding_box()
    number = page.locator("#w-rec-number").bounding_box()
    assert select and number
    assert select["height"] == pytest.approx(number["height"], abs=2)
    shot(page, "polish-embed-lstm")
    assert errors == []


def test_keyboard_burst_on_the_slider_is_one_history_entry(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=5")
    slider = page.locator("#w-rec")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    settled(page)
    assert query(page)["w_rec"] == ["1.05"]
    page.wait_for_timeout(1200)  # a pause ends the burst
    slider.focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    settled(page)
    assert query(page)["w_rec"] == ["1.07"]
    page.go_back()
    expect(slider).to_have_value("1.05")
    assert query(page)["w_rec"] == ["1.05"]
    page.go_back()
    expect(slider).to_have_value("1")
    assert "w_rec" not in query(page)
    assert query(page)["seq_len"] == ["5"]
    settled(page)
    expect(page.locator("#regime")).to_have_text("stable")
    page.go_forward()
    expect(slider).to_have_value("1.05")
    page.go_forward()
    expect(slider).to_have_value("1.07")
    expect(page.locator("#regime")).to_have_text("exploding")
    assert errors == []


def test_a_different_control_starts_a_new_history_entry(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=5")
    page.locator("#w-rec").focus()
    page.keyboard.press("ArrowLeft")
    page.locator("#ctl-cell").select_option("gru")
    settled(page)
    page.go_back()
    expect(page.locator("#ctl-cell")).to_have_value("rnn")
    expect(page.locator("#w-rec")).to_have_value("0.99")
    page.go_back()
    expect(page.locator("#w-rec")).to_have_value("1")
    assert errors == []


SWEEP_NULLS = """() => {
    const trace = document.getElementById("sweep-chart").data[0];
    return trace.z.some((row) => row.some((v) => v === null));
}"""


def test_phase_diagram_caption_explains_blank_cells(page: Page, errors: list[str]) -> None:
    open_settled(page, "/")
    sweep_drawn(page)
    # Vanilla linear RNN: at W2 = 0 nothing flows back past the last step, so those cells are blank.
    assert page.evaluate(SWEEP_NULLS)
    note = page.locator("#sweep-zero-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Blank cells")
    expect(note).to_contain_text("exactly zero")
    shot(page, "polish-sweep-blank")
    # A GRU passes h_{t-1} on through its update gate even at W2 = 0: no blank cells, no note.
    # (An LSTM's ∂L/∂hₜ does vanish there: only its cell state carries gradient past W2 = 0.)
    page.locator("#ctl-cell").select_option("gru")
    settled(page)
    page.wait_for_function(
        """() => {
            const chart = document.getElementById("sweep-chart");
            return chart.data && !chart.data[0].z.some((row) => row.includes(null));
        }"""
    )
    expect(note).to_be_hidden()
    assert errors == []
