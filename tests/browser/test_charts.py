"""The charts at phone width, coinciding gate curves, and exactly-zero gradients (dead ReLU)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# Every text Plotly draws for a chart: none may reach past the chart's own box.
OVERFLOWING_TEXT = """chart => {
    const box = chart.getBoundingClientRect();
    const texts = chart.querySelectorAll(
        ".gtitle, .xtitle, .ytitle, .legendtext, .annotation-text, .cbtitle, .cbaxis text");
    return [...texts].filter(t => {
        const r = t.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
    }).map(t => t.textContent);
}"""


def test_charts_fit_at_phone_width(page: Page, errors: list[str]) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.emulate_media(reduced_motion="reduce")
    for url, charts in (
        ("/", ["grad", "hidden", "sweep"]),
        (
            "/?cell=lstm&hidden_size=8&seq_len=100&forget_bias=1",
            ["grad", "hidden", "gates", "sweep"],
        ),
    ):
        page.goto(url)
        expect(page.locator("#unrolled")).to_have_attribute("data-state", "done")
        page.wait_for_function("() => document.getElementById('sweep-chart').data !== undefined")
        for name in charts:
            chart = page.locator(f"#{name}-chart")
            expect(chart.locator(".gtitle")).to_be_visible()
            assert chart.evaluate(OVERFLOWING_TEXT) == [], (url, name)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The long title wraps instead of being cut.
    title = page.locator("#grad-chart .gtitle").text_content() or ""
    assert title == "How much gradientreaches each step"  # two lines (<br> leaves no text)
    assert errors == []


def test_coinciding_gates_stay_visible(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")
    # GRU, H = 1: both gates read the same W1·x and bias, so reset == update exactly.
    page.goto("/?cell=gru")
    gates = page.locator("#gates-chart")
    expect(gates).to_be_visible()
    page.wait_for_function("() => document.getElementById('gates-chart').data?.length === 2")
    reset, update = gates.evaluate("c => c.data.map(t => t.y)")
    assert reset == update
    dashes = gates.evaluate("c => c.data.map(t => t.line.dash)")
    widths = gates.evaluate("c => c.data.map(t => t.line.width)")
    assert len(set(dashes)) == 2 and widths[0] > widths[1]  # the dashed one shows on the solid
    expect(gates.locator(".annotation-text")).to_have_text("reset = update")
    # LSTM at H = 8 has no coinciding gates, and four distinct dash styles.
    page.goto("/?cell=lstm&hidden_size=8&seq_len=30")
    page.wait_for_function("() => document.getElementById('gates-chart').data?.length === 4")
    assert len(set(gates.evaluate("c => c.data.map(t => t.line.dash)"))) == 4
    expect(gates.locator(".annotation-text")).to_have_count(0)
    assert errors == []


def test_dead_relu_gradient_is_drawn_as_exactly_zero(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto("/?activation=relu&bias=-5")
    expect(page.locator("#readout-text")).to_contain_text("exactly zero")
    chart = page.locator("#grad-chart")
    page.wait_for_function(
        "() => document.getElementById('grad-chart').data"
        "?.some(t => t.name.startsWith('exactly zero'))"
    )
    zero = chart.evaluate("c => c.data.find(t => t.name.startsWith('exactly zero')).x")
    assert zero == list(range(1, 20))  # every step but T = 20, where dL/dh_20 = 1
    expect(chart.locator(".annotation-text")).to_contain_text("exactly zero at 19 of 20 steps")
    assert errors == []


def test_no_chart_offers_to_share_to_a_cloud(page: Page, errors: list[str]) -> None:
    # Plotly 4's mode bar has a "Share chart..." button that uploads to a server: not offered.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    expect(page.locator("#unrolled")).to_have_attribute("data-state", "done")
    page.wait_for_function("() => document.getElementById('sweep-chart').data !== undefined")
    png = page.locator('#grad-chart .modebar-btn[data-title="Download plot as a PNG"]')
    expect(png).to_have_count(1)  # the mode bar is there
    expect(page.locator('.modebar-btn[data-title="Share chart..."]')).to_have_count(0)
    assert errors == []
