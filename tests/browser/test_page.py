"""The visualizer page in Chromium: slider, regime, readout, unrolled graph, URL state, keyboard,
phone width. Numbers on the page are checked against the closed form of the linear RNN."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

pytestmark = pytest.mark.browser


def settled(page: Page) -> None:
    """Wait until the unrolled graph has played the last result out."""
    expect(page.locator("#unrolled")).to_have_attribute("data-state", "done")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


Slide = Callable[[Locator, float], None]


def test_slider_moves_regime_from_vanishing_to_exploding(
    page: Page, errors: list[str], slide: Slide
) -> None:
    # The page opens on the articles' linear neuron, T = 20: x1 reaches y20 times W2^19.
    with page.expect_websocket() as socket_info:
        page.goto("/")
    frames: list[dict[str, Any]] = []
    socket_info.value.on("framereceived", lambda payload: frames.append(json.loads(payload)))
    expect(page.locator("#regime")).to_have_text("stable")
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    expect(page.locator("#rolled animateMotion")).to_have_count(1)  # the pulse around the loop
    slide(page.locator("#w-rec"), 0.1)
    expect(page.locator("#regime")).to_have_text("vanishing")
    expect(page.locator("#readout-text")).to_contain_text(
        "x₁ reaches ŷ₂₀ multiplied by 1.0 × 10⁻¹⁹."
    )
    expect(page.locator("#growth")).to_have_text("× 0.1 per step back")
    slide(page.locator("#w-rec"), 2)
    expect(page.locator("#regime")).to_have_text("exploding")
    # 2^19 = 524288 = 5.2 × 10^5
    expect(page.locator("#readout-text")).to_contain_text("multiplied by 5.2 × 10⁵.")
    expect(page.locator("#w-rec-number")).to_have_value("2")
    assert query(page)["w_rec"] == ["2"]
    settled(page)
    # The slider's results came over the stream: forward, backward, done frames.
    kinds = {frame["type"] for frame in frames}
    assert {"forward", "backward", "done"} <= kinds
    assert frames[-1]["type"] == "done" and frames[-1]["result"]["params"]["w_rec"] == 2
    assert errors == []


def test_unrolled_graph_has_one_node_a_step(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto("/?seq_len=5&w_rec=0.9")
    expect(page.locator("#rolled animateMotion")).to_have_count(0)  # reduced motion: no pulse
    for steps in (5, 40, 41, 150):
        page.locator("#ctl-seq_len").fill(str(steps))
        page.locator("#ctl-seq_len").press("Enter")
        settled(page)
        nodes = page.locator("#unrolled [data-t]")
        expect(nodes).to_have_count(steps)
        assert nodes.evaluate_all("ns => ns.map(n => Number(n.dataset.t))") == list(
            range(1, steps + 1)
        )
        compact = "is-compact" in (page.locator("#unrolled").get_attribute("class") or "")
        assert compact == (steps > 40)
    # Hover text carries the number: |dL/dh_1| = 0.9^149 for the linear neuron.
    title = page.locator('#unrolled [data-t="1"] > title').text_content() or ""
    exponent = 149 * math.log10(0.9)  # -6.82 -> 1.5 × 10^-7
    mantissa = 10 ** (exponent - math.floor(exponent))
    assert f"‖∂L/∂h₁‖ = {mantissa:.1f} × 10⁻⁷" in title
    assert errors == []


def test_bidirectional_rows_both_feed_the_output(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto("/?bidirectional=true&seq_len=5&loss=all")
    settled(page)
    # Loss "all": every h_t and every h'_t feeds its y_t.
    expect(page.locator("#unrolled .edge-out")).to_have_count(10)
    expect(page.locator("#unrolled .edge-out-back")).to_have_count(5)
    page.locator("#ctl-loss").select_option("last")
    settled(page)
    # Loss "last" sums h_5 and h'_1, the backward chain's end: one output each.
    expect(page.locator("#unrolled .edge-out")).to_have_count(2)
    expect(page.locator('#unrolled [data-t="1"] .output-node')).to_have_count(1)
    expect(page.locator('#unrolled [data-t="5"] .output-node')).to_have_count(1)
    # The backward chain's end carries the gradient into the loss: its edge is painted.
    back_out = page.locator('#unrolled .edge-out[y1="213"]')
    expect(back_out).to_have_count(1)
    assert "stroke-width" in (back_out.get_attribute("style") or "")
    assert errors == []


def test_reload_and_history_restore_the_state(page: Page, errors: list[str], slide: Slide) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto("/")
    expect(page.locator("#regime")).to_have_text("stable")
    page.locator("#ctl-seq_len").fill("7")
    page.locator("#ctl-seq_len").press("Enter")
    page.locator("#ctl-loss").select_option("all")
    slide(page.locator("#w-rec"), 1.5)
    expect(page.locator("#regime")).to_have_text("exploding")
    assert query(page) == {"seq_len": ["7"], "w_rec": ["1.5"], "loss": ["all"]}

    page.reload()
    expect(page.locator("#w-rec")).to_have_value("1.5")
    expect(page.locator("#ctl-seq_len")).to_have_value("7")
    expect(page.locator("#ctl-loss")).to_have_value("all")
    expect(page.locator("#regime")).to_have_text("exploding")
    expect(page.locator("#unrolled [data-t]")).to_have_count(7)
    expect(page.locator("#readout-text")).to_contain_text("the loss over ŷ₁ … ŷ₇")

    page.go_back()  # undoes the slider move only: W2 back to its default, 1
    expect(page.locator("#w-rec")).to_have_value("1")
    expect(page.locator("#regime")).to_have_text("stable")
    assert query(page) == {"seq_len": ["7"], "loss": ["all"]}
    expect(page.locator("#ctl-loss")).to_have_value("all")
    page.go_back()  # and then the loss
    expect(page.locator("#ctl-loss")).to_have_value("last")
    expect(page.locator("#ctl-seq_len")).to_have_value("7")
    page.go_forward()
    page.go_forward()
    expect(page.locator("#regime")).to_have_text("exploding")
    assert errors == []


def test_keyboard_only(page: Page, errors: list[str]) -> None:
    page.goto("/")
    expect(page.locator("#regime")).to_have_text("stable")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "w-rec":
            break
    assert page.evaluate("document.activeElement.id") == "w-rec"
    page.keyboard.press("End")
    expect(page.locator("#w-rec-number")).to_have_value("3")
    expect(page.locator("#regime")).to_have_text("exploding")
    page.keyboard.press("Home")
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#w-rec-number")).to_have_value("0.1")
    expect(page.locator("#regime")).to_have_text("vanishing")
    # The exact value field is next, then W1: typing commits on Enter.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "ctl-w_in"
    page.keyboard.press("Control+A")
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(page.locator("#readout-text")).to_contain_text("multiplied by exactly zero (W1 = 0).")
    # Buttons answer Enter too; the embed code is an iframe of /embed with the state.
    page.locator("#copy-embed").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#share-status")).not_to_be_empty()
    expect(page.locator("#share-output")).to_have_value(
        re.compile(
            r'^<iframe src="http://127\.0\.0\.1:\d+/embed\?w_rec=0\.1&amp;w_in=0&amp;controls='
        )
    )
    assert errors == []


def test_phone_width_has_no_sideways_scroll(page: Page, errors: list[str]) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/?w_rec=0.5&seq_len=30")
    expect(page.locator("#regime")).to_have_text("vanishing")
    settled(page)
    expect(page.locator("#w-rec")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The long chain scrolls inside its own box instead.
    box = page.locator(".unrolled-scroll")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert errors == []


def test_api_error_is_shown_to_the_user(page: Page, errors: list[str]) -> None:
    # seq_len * hidden_size = 400,000 is over the server's work cap: a 422 that names the field.
    # (A link over the cap is brought within it by the page; an edit is sent as typed.)
    page.goto("/?hidden_size=200")
    settled(page)
    page.locator("#ctl-seq_len").fill("2000")
    page.locator("#ctl-seq_len").press("Enter")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("hidden_size")
    # Numbers beyond the limits are clamped, not sent; a valid request clears the message.
    page.locator("#ctl-hidden_size").fill("0")
    page.locator("#ctl-hidden_size").press("Enter")
    expect(page.locator("#ctl-hidden_size")).to_have_value("1")
    expect(page.locator("#error")).to_be_hidden()
    page.locator("#ctl-seq_len").fill("99999")
    page.locator("#ctl-seq_len").press("Enter")
    expect(page.locator("#ctl-seq_len")).to_have_value("2000")
    page.locator("#w-rec-number").fill("-5000")
    page.locator("#w-rec-number").press("Enter")
    expect(page.locator("#w-rec-number")).to_have_value("-1000")
    expect(page.locator("#regime")).to_have_text("exploding")
    expect(page.locator("#readout-text")).to_contain_text("multiplied by 1.0 × 10⁵⁹⁹⁷.")
    # The same refusal over the stream (the socket is open by now) names the field too.
    expect(page.locator("body")).to_have_attribute("data-stream", "open")
    page.locator("#ctl-hidden_size").fill("200")
    page.locator("#ctl-hidden_size").press("Enter")
    expect(page.locator("#error")).to_contain_text("hidden_size")
    # Chromium logs the refused request itself; nothing else may go wrong.
    assert [e for e in errors if "status of 422" not in e] == []


def test_preset_reproduces_the_articles_example(page: Page, errors: list[str]) -> None:
    presets = {p["id"]: p for p in page.request.get("/api/v1/presets").json()}
    page.goto("/")
    expect(page.locator("#regime")).to_have_text("stable")
    page.locator("#ctl-preset").select_option("vanishing-w2-0.1")
    # The articles' sentence: X1 reaches y5 multiplied by 0.1^4.
    expect(page.locator("#readout-text")).to_contain_text("x₁ reaches ŷ₅ multiplied by 0.0001.")
    expect(page.locator("#preset-caption")).to_have_text(presets["vanishing-w2-0.1"]["caption"])
    expect(page.locator("#unrolled [data-t]")).to_have_count(5)
    assert query(page) == {"seq_len": ["5"], "w_rec": ["0.1"]}

    # The CSV download holds the closed form: ||dL/dh_t|| = 0.1^(5 - t), h_t = 0.1^(t - 1).
    with page.expect_download() as download_info:
        page.locator("#download-csv").click()
    rows = list(csv.DictReader(Path(download_info.value.path()).read_text().splitlines()))
    assert [int(row["t"]) for row in rows] == [1, 2, 3, 4, 5]
    for row in rows:
        t = int(row["t"])
        assert float(row["grad_log10"]) == pytest.approx(t - 5, abs=1e-9)
        assert float(row["h_1"]) == pytest.approx(0.1 ** (t - 1), rel=1e-9)
        assert float(row["x_1"]) == (1.0 if t == 1 else 0.0)
    assert rows[0]["step_bound_log10"] == ""  # null at t = 1
    with page.expect_download() as download_info:
        page.locator("#download-json").click()
    result = json.loads(Path(download_info.value.path()).read_text())
    assert result["grad_log10"][0] == pytest.approx(-4, abs=1e-9)
    assert result["params"]["w_rec"] == 0.1

    # A preset's missing fields are the API's defaults (tanh), not the page's (linear).
    page.locator("#ctl-preset").select_option("rnn-long")
    expect(page.locator("#ctl-activation")).to_have_value("tanh")
    expect(page.locator("#unrolled [data-t]")).to_have_count(100)
    assert query(page)["activation"] == ["tanh"]
    assert errors == []


def test_post_fallback_when_the_stream_is_down(page: Page, errors: list[str], slide: Slide) -> None:
    # Every attempt to open the stream is accepted and closed at once, as a server that refuses it.
    attempts: list[str] = []

    def refuse(socket: WebSocketRoute) -> None:
        attempts.append(socket.url)
        socket.close(code=1011, reason="stream down")

    page.route_web_socket(re.compile(r"/api/v1/stream$"), refuse)
    posts: list[str] = []
    page.on(
        "request",
        lambda request: posts.append(request.url) if request.method == "POST" else None,
    )
    page.goto("/?seq_len=6")
    expect(page.locator("#regime")).to_have_text("stable")
    expect(page.locator("body")).to_have_attribute("data-stream", "closed")
    expect(page.locator("#stream-status")).to_be_visible()
    assert attempts, "the page never tried the stream"
    before = sum(url.endswith("/api/v1/simulate") for url in posts)
    slide(page.locator("#w-rec"), 0.5)
    expect(page.locator("#regime")).to_have_text("vanishing")
    settled(page)
    # The closed form of the linear neuron, T = 6: ||dL/dh_t|| = 0.5^(6 - t).
    grad = page.locator("#grad-chart").evaluate("c => c.data[0].y")
    assert grad == pytest.approx([(6 - t) * math.log10(0.5) for t in range(1, 7)], abs=1e-9)
    # The phase diagram came by POST too, with the current-W2 line at 0.5.
    page.wait_for_function(
        """() => {
            const c = document.getElementById("sweep-chart");
            return c.data && c.data[0].z.length === 6 && c.layout.shapes.some(s => s.x0 === 0.5);
        }"""
    )
    expect(page.locator("#readout-text")).to_contain_text("multiplied by 0.031")  # 0.5^5
    assert sum(url.endswith("/api/v1/simulate") for url in posts) > before
    expect(page.locator("#unrolled [data-t]")).to_have_count(6)
    assert errors == []
