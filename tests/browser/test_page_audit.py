"""Fixes from an audit of the page: the bound and the readout with nearby outputs (loss "all",
bidirectional), links over the total-work cap, notices after a preset, the reason for an exact
zero, the stable regime over long chains, the Loss select's labels, text sizes on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from qa_helpers import (
    SHOTS,
    expect_no_bound_line,
    has_bound_line,
    open_settled,
    query,
    settled,
    shot,
)

pytestmark = pytest.mark.browser


# ---- 1. loss "all" and bidirectional: no misleading bound, a readout that is true ----------


def test_loss_all_hides_the_last_step_bound_and_says_why(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?loss=all&w_rec=0.5")
    note = "no bound line: it covers the last step's loss only"
    expect_no_bound_line(page, note, "left out for loss “all”")
    shot(page, "audit-loss-all")
    # The same link with loss "last" still draws the bound.
    open_settled(page, "/?w_rec=0.5")
    assert has_bound_line(page)
    assert errors == []


ALONG = "Along the chain each step back multiplies the gradient by about"
FORWARD = "Along the forward chain each step back multiplies the gradient by about"
EVERY_STEP = "with a loss on every step each hₜ also has nearby outputs."
BACKWARD = "the backward chain runs the other way, so h₁ also has a nearby output (ŷ′₁)."
BOTH = "with the backward chain and a loss on every step, each hₜ also has nearby outputs."


@pytest.mark.parametrize(
    ("search", "regime", "sentence"),
    [
        (
            "loss=all&w_rec=0.5",
            "vanishing",
            f"{ALONG} 0.5, so a distant output's signal vanishes; {EVERY_STEP}"
            " The total gradient is 2 at h₁ and 1 at h₂₀.",
        ),
        (
            "loss=all&w_rec=1",
            "stable",
            f"{ALONG} 1, so a distant output's signal changes little from one step to the next;"
            f" {EVERY_STEP} The total gradient is 20 at h₁ and 1 at h₂₀.",
        ),
        (
            "loss=all&w_rec=2",
            "exploding",
            f"{ALONG} 2, so a distant output's signal explodes; {EVERY_STEP}"
            " The total gradient is 1.0 × 10⁶ at h₁ and 1 at h₂₀.",
        ),
        (
            "loss=all&w_rec=0",
            "vanishing",
            "Along the chain each step back multiplies the gradient by 0, so a distant output's"
            f" signal dies; {EVERY_STEP} The total gradient is 1 at h₁ and 1 at h₂₀.",
        ),
        (
            "bidirectional=true&w_rec=0.5",
            "vanishing",
            f"{FORWARD} 0.5, so a distant output's signal vanishes; {BACKWARD}"
            " The total gradient is 1 at h₁ and 1 at h₂₀.",
        ),
        (
            "bidirectional=true&w_rec=1",
            "stable",
            f"{FORWARD} 1, so a distant output's signal changes little from one step to the next;"
            f" {BACKWARD} The total gradient is 1.4 at h₁ and 1.4 at h₂₀.",
        ),
        (
            "bidirectional=true&w_rec=2",
            "exploding",
            f"{FORWARD} 2, so a distant output's signal explodes; {BACKWARD}"
            " The total gradient is 5.2 × 10⁵ at h₁ and 5.2 × 10⁵ at h₂₀.",
        ),
        (
            "bidirectional=true&loss=all&w_rec=0.5",
            "vanishing",
            f"{FORWARD} 0.5, so a distant output's signal vanishes; {BOTH}"
            " The total gradient is 2.2 at h₁ and 2.2 at h₂₀.",
        ),
    ],
)
def test_growth_sentence_is_true_when_outputs_are_nearby(
    page: Page, errors: list[str], search: str, regime: str, sentence: str
) -> None:
    """growth_per_step is measured on the forward chain from the last step's loss; with nearby
    outputs the gradient at h₁ need not vanish or explode with it, and the sentence says so."""
    open_settled(page, f"/?{search}")
    expect(page.locator("#regime")).to_have_text(regime)
    text = page.locator("#readout-text").inner_text()
    assert sentence in text, text
    assert "Each step back multiplies" not in text
    assert errors == []


# ---- 2. links over the total-work cap -------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "notice", "expected", "target"),
    [
        (
            "seq_len=2000&hidden_size=512",
            "seq_len=2000 × hidden_size=512 is above the work limit of 262144; using seq_len=512.",
            {"seq_len": ["512"], "hidden_size": ["512"]},
            "ŷ₅₁₂",
        ),
        (
            "seq_len=2000&hidden_size=512&bidirectional=true",
            "seq_len=2000 × hidden_size=512 × 2 directions is above the work limit of 262144;"
            " using seq_len=256.",
            {"seq_len": ["256"], "hidden_size": ["512"], "bidirectional": ["true"]},
            "the loss (h₂₅₆ forward, h′₁ backward)",
        ),
        (
            # Each field alone is fine; doubling for the backward chain goes over.
            "seq_len=1000&hidden_size=200&bidirectional=true",
            "seq_len=1000 × hidden_size=200 × 2 directions is above the work limit of 262144;"
            " using seq_len=655.",
            {"seq_len": ["655"], "hidden_size": ["200"], "bidirectional": ["true"]},
            "the loss (h₆₅₅ forward, h′₁ backward)",
        ),
    ],
)
def test_link_over_the_work_cap_is_brought_within_it(
    page: Page, errors: list[str], search: str, notice: str, expected: dict, target: str
) -> None:
    open_settled(page, f"/?{search}")
    expect(page.locator("#query-notice")).to_be_visible()
    expect(page.locator("#query-notice")).to_have_text(notice)
    assert query(page) == expected
    expect(page.locator("#readout-text")).to_contain_text(f"x₁ reaches {target} multiplied by")
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-stale", "false")
    assert page.locator("#ctl-seq_len").input_value() == expected["seq_len"][0]
    assert page.locator("#ctl-hidden_size").input_value() == expected["hidden_size"][0]
    shot(page, f"audit-work-cap-{expected['seq_len'][0]}")
    assert errors == []


def test_explicit_inputs_over_the_work_cap_lower_hidden_size(page: Page, errors: list[str]) -> None:
    """Explicit inputs fix T, so hidden_size gives way instead."""
    inputs = ",".join(["1"] + ["0"] * 599)
    open_settled(page, f"/?hidden_size=512&inputs={inputs}")
    expect(page.locator("#query-notice")).to_have_text(
        "600 inputs × hidden_size=512 is above the work limit of 262144; using hidden_size=436."
    )
    assert query(page)["hidden_size"] == ["436"]
    expect(page.locator("#readout-text")).to_contain_text("x₁ reaches ŷ₆₀₀ multiplied by")
    expect(page.locator("#error")).to_be_hidden()
    assert errors == []


# ---- 3. a preset clears the link's notice ---------------------------------------------------


def test_choosing_a_preset_clears_the_link_notice(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?w_rec=abc")
    notice = page.locator("#query-notice")
    expect(notice).to_have_text("w_rec=abc was not understood; using 1.")
    expect(page.locator("#ctl-preset option")).not_to_have_count(1)  # the presets have loaded
    page.locator("#ctl-preset").select_option(label="W2 = 2: gradient explodes")
    settled(page)
    expect(page.locator("#regime")).to_have_text("exploding")
    expect(notice).to_be_hidden()
    assert errors == []


# ---- 4. the reason for an exact zero --------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "reason"),
    [
        ("w_rec=0&activation=relu", "(W2 = 0)"),  # h₁ = 1, active: the cut is W2
        ("w_rec=0", "(W2 = 0)"),
        ("w_rec=0&activation=relu&w_in=0", "(W1 = 0)"),  # W1 = 0 comes first
        ("activation=relu&w_in=-1", "(dead ReLU)"),  # h₁ = relu(−1) = 0
    ],
)
def test_exact_zero_names_its_cause(
    page: Page, errors: list[str], search: str, reason: str
) -> None:
    open_settled(page, f"/?{search}")
    expect(page.locator("#readout-text")).to_contain_text(
        f"x₁ reaches ŷ₂₀ multiplied by exactly zero {reason}."
    )
    assert errors == []


def test_w2_zero_with_a_loss_on_every_step_is_not_a_zero(page: Page, errors: list[str]) -> None:
    """x₁ reaches ŷ₁ directly: W2 = 0 cuts only the paths to later outputs."""
    open_settled(page, "/?w_rec=0&activation=relu&loss=all")
    expect(page.locator("#readout-text")).to_contain_text(
        "x₁ reaches the loss over ŷ₁ … ŷ₂₀ multiplied by 1."
    )
    assert errors == []


# ---- 5. "stable" over a long chain ----------------------------------------------------------


def test_stable_regime_over_a_long_chain_does_not_say_steady(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=2000&w_rec=1.01")
    expect(page.locator("#regime")).to_have_text("stable")
    text = page.locator("#readout-text").inner_text()
    assert "x₁ reaches ŷ₂₀₀₀ multiplied by 4.3 × 10⁸." in text
    assert "holds steady" not in text
    assert (
        "Each step back multiplies the gradient by about 1.01, so it changes little from one"
        " step to the next. The gradient is 4.3 × 10⁸ at h₁ and 1 at h₂₀₀₀." in text
    ), text
    assert errors == []


# ---- 6. the selects show their whole option text --------------------------------------------

# Each select's widest option, measured in its own font, against the room beside its arrow.
SELECT_ROOM = """() => {
    const context = document.createElement("canvas").getContext("2d");
    const rows = [];
    for (const select of document.querySelectorAll("#main select")) {
        const style = getComputedStyle(select);
        context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const room = select.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight) - ARROW;
        const widest = Math.max(...[...select.options].map(o => context.measureText(o.text).width));
        rows.push({ id: select.id, room, widest, visible: select.offsetParent !== null });
    }
    return { rows, scroll: document.documentElement.scrollWidth, inner: window.innerWidth };
}""".replace("ARROW", "24")

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["1280", "390"])
def test_select_options_fit_the_sidebar(browser, live_server, device: dict) -> None:
    context = browser.new_context(**device, reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/?loss=all")
        settled(page)
        page.evaluate(
            "() => document.querySelectorAll('details.group').forEach(d => d.open = true)"
        )
        measured = page.evaluate(SELECT_ROOM)
        rows = {row["id"]: row for row in measured["rows"]}
        # Every option fits, the presets' titles (from the server) among them.
        assert "ctl-preset" in rows
        for name, row in rows.items():
            assert row["visible"], name
            assert row["widest"] <= row["room"], (name, row)
        assert [o.strip() for o in page.locator("#ctl-loss option").all_inner_texts()] == [
            "last (many-to-one)",
            "all (many-to-many)",
        ]
        expect(page.locator("#ctl-loss-help")).to_have_text(
            "last: L sums h_T; all: L sums every h_t."
        )
        assert measured["scroll"] <= measured["inner"], measured
        if SHOTS:
            group = page.locator('[data-control="loss"]').locator("xpath=ancestor::details[1]")
            group.screenshot(path=f"{SHOTS}/audit-loss-select-{device['viewport']['width']}.png")
    finally:
        context.close()


# ---- 7. the chain's legend and the strip's labels are readable on a phone -------------------

# Each label's size on screen: an SVG text's font size times the SVG's scale.
RENDERED_SIZES = """() => [...document.querySelectorAll([
        "#unrolled-legend .legend-label", "#unrolled-legend .legend-tick",
        "#unrolled .row-label", "#unrolled .tick-label"].join(", "))]
    .map(el => {
        const size = parseFloat(getComputedStyle(el).fontSize);
        const scale = el instanceof SVGElement ? el.getScreenCTM().a : 1;
        const box = el.getBoundingClientRect();
        return { text: el.textContent, size: size * scale, height: box.height };
    })"""


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize(
    ("search", "labels"),
    [
        ("w_rec=0.5", ["h", "−1", "0", "+1", "‖∂L/∂h‖", "10⁻⁶", "1", "10⁶"]),
        (
            "cell=lstm&hidden_size=8&seq_len=100&forget_bias=1",
            ["hidden h", "‖∂L/∂h‖", "10", "50", "100", "t = 1", "h", "10⁻⁶", "10⁶"],
        ),
    ],
    ids=["chain", "strip"],
)
def test_graph_labels_are_readable_at_any_width(
    browser, live_server, device: dict, search: str, labels: list[str]
) -> None:
    context = browser.new_context(**device, reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/?{search}")
        settled(page)
        page.wait_for_timeout(200)  # the strip's scale follows its box (a ResizeObserver)
        sizes = page.evaluate(RENDERED_SIZES)
        texts = [row["text"] for row in sizes]
        for label in labels:
            assert label in texts, (label, texts)
        for row in sizes:
            assert row["size"] >= 11 - 0.05, row  # the scale is a ratio of float widths
            assert row["height"] >= 11, row
        # The strip's row labels stay inside the SVG (none cut at its left edge).
        left = page.locator("#unrolled").evaluate("svg => svg.getBoundingClientRect().left")
        for label in page.locator("#unrolled .row-label").all():
            assert label.evaluate("el => el.getBoundingClientRect().left") >= left
        if SHOTS:
            name = "strip" if "lstm" in search else "chain"
            width = device["viewport"]["width"]
            path = f"{SHOTS}/audit-unrolled-{name}-{width}.png"
            page.locator('[data-panel="unrolled"]').screenshot(path=path)
    finally:
        context.close()


# ---- a flat gradient curve: float64's rounding is not blown up to the chart's height ------


def test_a_flat_gradient_curve_keeps_a_readable_axis(page: Page, errors: list[str]) -> None:
    # Linear, W2 = 1, orthogonal Q: the norm is kept exactly up to rounding (~1e-15 decades),
    # which autorange used to stretch over the whole height with ten-digit tick labels.
    open_settled(page, "/?activation=linear&w_rec=1&hidden_size=64&seq_len=200")
    chart = page.locator("#grad-chart")
    page.wait_for_function("() => document.getElementById('grad-chart').data !== undefined")
    low, high = chart.evaluate("c => c._fullLayout.yaxis.range")
    assert high - low == pytest.approx(0.1, abs=1e-9)
    ticks = chart.locator(".ytick text").all_text_contents()
    assert ticks and all(len(text) <= 6 for text in ticks), ticks
    shot(page, "audit-flat-gradient")
    # A curve that does move keeps the autorange (W2 = 0.5: 20 decades over 20 steps).
    open_settled(page, "/?w_rec=0.5&activation=linear")
    low, high = chart.evaluate("c => c._fullLayout.yaxis.range")
    assert high - low > 5
    assert errors == []
