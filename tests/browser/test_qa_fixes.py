"""Fixes from a QA pass in Chromium: charts follow their boxes, stale views after a refusal,
reported query values, the bidirectional bound, the readout's first input, embeds' names."""

from __future__ import annotations

import contextlib
import math

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from qa_helpers import expect_no_bound_line, has_bound_line, open_settled, query, settled, shot

pytestmark = pytest.mark.browser

# Every chart's drawn width against its box, and the page's sideways overflow.
FIT = """() => {
    const charts = {};
    for (const id of ["grad-chart", "hidden-chart", "gates-chart", "sweep-chart"]) {
        const chart = document.getElementById(id);
        const svg = chart && chart.querySelector("svg.main-svg");
        if (!svg || chart.clientWidth === 0) continue;
        charts[id] = [Number(svg.getAttribute("width")), chart.clientWidth];
    }
    return { charts, scroll: document.documentElement.scrollWidth, inner: window.innerWidth };
}"""


def wait_quietly(page: Page, condition: str, arg: object = None) -> None:
    """Wait up to 5 s for a condition, going on either way."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(condition, arg=arg, timeout=5000)


def test_charts_fit_their_boxes_after_cell_changes(page: Page, errors: list[str]) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    open_settled(page, "/")
    page.wait_for_function("() => document.getElementById('sweep-chart').data !== undefined")
    for cell in ("lstm", "gru", "rnn"):
        page.locator("#ctl-cell").select_option(cell)
        settled(page)
        # The phase diagram is recomputed for the new cell; give it and the resize time to land
        # (a chart that never fits fails on the assertions below, with its numbers).
        wait_quietly(
            page,
            """cell => {
                const c = document.getElementById("sweep-chart");
                const svg = c.querySelector("svg.main-svg");
                return c.data && svg && Number(svg.getAttribute("width")) <= c.clientWidth;
            }""",
            cell,
        )
        page.wait_for_timeout(300)
        fit = page.evaluate(FIT)
        assert fit["scroll"] <= fit["inner"], (cell, fit)
        assert set(fit["charts"]) >= {"grad-chart", "hidden-chart", "sweep-chart"}, cell
        if cell != "rnn":
            assert "gates-chart" in fit["charts"], cell
        for name, (drawn, box) in fit["charts"].items():
            assert drawn <= box, (cell, name, drawn, box)
        shot(page, f"qa-cell-{cell}")
    assert errors == []


# The x-axis title against the x tick labels, in page pixels.
AXIS_TITLE = """chart => {
    const title = chart.querySelector(".xtitle").getBoundingClientRect();
    const ticks = [...chart.querySelectorAll(".xtick text")].map(t => t.getBoundingClientRect());
    return { titleTop: title.top, ticksBottom: Math.max(...ticks.map(r => r.bottom)),
             top: chart.getBoundingClientRect().top };
}"""


def test_axis_title_clears_tick_labels_after_cell_changes(page: Page, errors: list[str]) -> None:
    open_settled(page, "/")
    fresh = {
        name: page.locator(f"#{name}-chart").evaluate(AXIS_TITLE) for name in ("grad", "hidden")
    }
    for cell in ("lstm", "gru", "rnn"):
        page.locator("#ctl-cell").select_option(cell)
        settled(page)
        page.wait_for_timeout(300)
        for name in ("grad", "hidden"):
            box = page.locator(f"#{name}-chart").evaluate(AXIS_TITLE)
            assert box["titleTop"] >= box["ticksBottom"] - 1, (cell, name, box)
    # Back on the first cell, the axis title sits where a fresh load puts it (to a pixel).
    for name in ("grad", "hidden"):
        box = page.locator(f"#{name}-chart").evaluate(AXIS_TITLE)
        offset = box["titleTop"] - box["top"]
        assert offset == pytest.approx(fresh[name]["titleTop"] - fresh[name]["top"], abs=1), name
    assert errors == []


@pytest.mark.parametrize(
    ("search", "notice", "control", "shown", "rewritten"),
    [
        ("w_rec=abc", "w_rec=abc was not understood; using 1.", "#w-rec-number", "1", {}),
        ("w_rec=NaN", "w_rec=NaN was not understood; using 1.", "#w-rec-number", "1", {}),
        (
            "w_rec=1e309",
            "w_rec=1e309 is above the limit; using 1000.",
            "#w-rec-number",
            "1000",
            {"w_rec": ["1000"]},
        ),
        (
            "w_rec=5000",
            "w_rec=5000 is above the limit; using 1000.",
            "#w-rec-number",
            "1000",
            {"w_rec": ["1000"]},
        ),
        (
            "w_rec=0,1",
            "w_rec=0,1 was read as 0.1 (a decimal comma).",
            "#w-rec-number",
            "0.1",
            {"w_rec": ["0.1"]},
        ),
        (
            "seq_len=99999",
            "seq_len=99999 is above the limit; using 2000.",
            "#ctl-seq_len",
            "2000",
            {"seq_len": ["2000"]},
        ),
        ("seed=-1", "seed=-1 is below the minimum; using 0.", "#ctl-seed", "0", {}),
        (
            "cell=transformer",
            "cell=transformer was not understood (one of rnn, lstm, gru); using rnn.",
            "#ctl-cell",
            "rnn",
            {},
        ),
        (
            "activation=softmax",
            "activation=softmax was not understood "
            "(one of tanh, relu, sigmoid, linear); using linear.",
            "#ctl-activation",
            "linear",
            {},
        ),
        (
            "clip_norm=-1",
            "clip_norm=-1 must be above 0; clipping is off.",
            "#ctl-clip_norm",
            "",
            {},
        ),
        (
            "bidirectional=maybe",
            "bidirectional=maybe was not understood (true or false); using false.",
            "#ctl-bidirectional",
            None,
            {},
        ),
        # Case-insensitive choices are simply accepted, in lower case, without a word.
        (
            "activation=ReLU&cell=LSTM",
            None,
            "#ctl-cell",
            "lstm",
            {"activation": ["relu"], "cell": ["lstm"]},
        ),
    ],
)
def test_query_values_not_used_as_given_are_reported(
    page: Page,
    errors: list[str],
    search: str,
    notice: str | None,
    control: str,
    shown: str | None,
    rewritten: dict[str, list[str]],
) -> None:
    open_settled(page, f"/?{search}")
    box = page.locator("#query-notice")
    if notice is None:
        expect(box).to_be_hidden()
    else:
        expect(box).to_be_visible()
        expect(box).to_have_attribute("role", "status")
        expect(box).to_have_text(notice)
    if shown is not None:
        expect(page.locator(control)).to_have_value(shown)
    else:
        expect(page.locator(control)).not_to_be_checked()
    # The address bar now holds the state on show, so that it and the view agree.
    assert query(page) == rewritten
    expect(page.locator("#error")).to_be_hidden()
    assert errors == []


def dimmed(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate("e => Number(getComputedStyle(e).opacity) < 0.5")


def test_a_refused_edit_marks_the_views_stale(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?hidden_size=512&w_rec=0.5")
    expect(page.locator("#regime")).to_have_text("vanishing")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    # H = 512 over T = 2000 is more work than the server takes: it refuses the request.
    page.locator("#ctl-seq_len").fill("2000")
    page.locator("#ctl-seq_len").press("Enter")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("exceeds the limit")
    expect(page.locator("#regime")).to_have_text("—")
    expect(page.locator("#growth")).to_have_text("")
    readout = page.locator("#readout-text")
    expect(readout).to_contain_text(
        "Not computed: the last request was refused, for the reason below."
    )
    expect(readout).to_contain_text("The views show the last result that was computed, dimmed.")
    expect(readout).not_to_contain_text("vanishes")
    # The graph shows the last computed result (T = 20), as the charts do, not a blank strip.
    expect(page.locator("#unrolled")).to_have_attribute("data-state", "done")
    expect(page.locator("#unrolled [data-t]")).to_have_count(20)
    expect(page.locator("body")).to_have_attribute("data-stale", "true")
    for panel in ('[data-panel="unrolled"]', '[data-panel="grad"]', '[data-panel="hidden"]'):
        assert dimmed(page, panel), panel
    shot(page, "qa-stale-after-error")
    # A request the server takes clears the mark.
    page.locator("#ctl-seq_len").fill("30")
    page.locator("#ctl-seq_len").press("Enter")
    expect(page.locator("body")).to_have_attribute("data-stale", "false")
    expect(page.locator("#regime")).to_have_text("vanishing")
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#unrolled [data-t]")).to_have_count(30)
    assert not dimmed(page, '[data-panel="grad"]')
    assert [e for e in errors if "status of 422" not in e] == []


def test_a_refused_first_request_never_says_computing(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")
    # A link over the work cap is now brought within it (test_page_audit.py), so the server is
    # made to refuse the first request (a POST: the socket is still opening) as it refused those.
    detail = "seq_len x hidden_size x directions = 1024000 exceeds the limit 262144"
    refusal = {"detail": [{"loc": ["body", "hidden_size"], "msg": detail, "type": "value_error"}]}
    page.route("**/api/v1/simulate", lambda route: route.fulfill(status=422, json=refusal))
    page.goto("/?w_rec=0.5")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("exceeds the limit")
    readout = page.locator("#readout-text")
    expect(readout).to_contain_text(
        "Not computed: the last request was refused, for the reason below."
    )
    expect(readout).not_to_contain_text("Computing")
    expect(page.locator("#regime")).to_have_text("—")
    expect(page.locator("#unrolled")).to_have_attribute("data-state", "refused")
    expect(page.locator("body")).to_have_attribute("data-stale", "true")
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    shot(page, "qa-refused-first")
    assert [e for e in errors if "status of 422" not in e] == []


def test_bidirectional_hides_the_forward_chains_bound(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?w_rec=0.5")
    assert has_bound_line(page)
    page.goto("/?w_rec=0.5&bidirectional=true")
    settled(page)
    note = "no bound line: it covers the forward chain only"
    expect_no_bound_line(page, note, "left out when bidirectional")
    shot(page, "qa-bidirectional")
    assert errors == []


SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pow10_text(log10: float) -> str:
    """10^log10 as the page writes it (static/js/format.js formatPow10)."""
    if -4.5 < log10 < 4.5:
        return f"{float(f'{10**log10:.2g}'):g}"
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    if round(mantissa, 1) >= 10:
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.1f} × 10{str(exponent).translate(SUP)}"


def test_headline_speaks_of_the_first_nonzero_input(page: Page, errors: list[str]) -> None:
    presets = {p["id"]: p for p in page.request.get("/api/v1/presets").json()}
    params = presets["dogs-were-barking"]["params"]
    assert params["inputs"][0] == 0 and params["inputs"][1] != 0
    result = page.request.post("/api/v1/simulate", data=params).json()
    T = len(result["grad_log10"])
    # tanh, W2 = 0.5: x2's factor is far from x1's, so the test tells them apart.
    x2 = result["input_grad_log10"][1]
    assert abs(x2 - (result["input_grad_log10"][0] or 0)) > 0.1
    open_settled(page, "/")
    page.locator("#ctl-preset").select_option("dogs-were-barking")
    settled(page)
    expected = f"x₂ reaches ŷ{str(T).translate(SUB)} multiplied by {pow10_text(x2)}."
    expect(page.locator("#readout-text")).to_contain_text(expected)
    # An impulse at t = 1 still speaks of x1.
    page.goto("/?w_rec=0.1&seq_len=5")
    settled(page)
    expect(page.locator("#readout-text")).to_contain_text("x₁ reaches ŷ₅ multiplied by 0.0001.")
    assert errors == []


def test_explicit_inputs_set_the_steps_field_and_the_url(page: Page, errors: list[str]) -> None:
    open_settled(page, "/?seq_len=30")
    page.locator("#ctl-inputs").fill("1, 0, 0, 0, 0")
    page.locator("#ctl-inputs").press("Enter")
    settled(page)
    expect(page.locator("#unrolled [data-t]")).to_have_count(5)
    expect(page.locator("#ctl-seq_len")).to_have_value("5")
    expect(page.locator("#ctl-seq_len")).to_be_disabled()
    assert query(page) == {"seq_len": ["5"], "inputs": ["1,0,0,0,0"]}
    # A link whose seq_len disagrees with its inputs is read as the inputs say.
    page.goto("/?seq_len=30&inputs=1,0,0")
    settled(page)
    expect(page.locator("#ctl-seq_len")).to_have_value("3")
    assert query(page) == {"seq_len": ["3"], "inputs": ["1,0,0"]}
    assert errors == []


def test_embed_names_the_accepted_panels_and_controls(page: Page, errors: list[str]) -> None:
    page.goto("/embed?panels=bogus&controls=nonsense")
    note = page.locator("#query-notice")
    expect(note).to_be_visible()
    expect(note).to_have_attribute("role", "status")
    expect(note).to_contain_text(
        "panels=bogus: not known; panels are rolled, unrolled, readout, grad, hidden, gates, sweep."
    )
    expect(note).to_contain_text("controls=nonsense: not known; controls are preset, cell,")
    expect(note).to_contain_text("bidirectional, seed.")
    expect(page.locator("#regime")).not_to_have_text("…")
    shot(page, "qa-embed-bogus")
    # Known names (and one unknown among them) are shown; only the unknown one is named.
    page.goto("/embed?panels=grad,bogus&controls=w_rec")
    expect(note).to_have_text(
        "panels=bogus: not known; panels are rolled, unrolled, readout, grad, hidden, gates, sweep."
    )
    expect(page.locator("#grad-chart")).to_be_visible()
    page.goto("/embed?panels=grad&controls=w_rec")
    expect(page.locator("#regime")).not_to_have_text("…")
    expect(note).to_be_hidden()
    assert errors == []
