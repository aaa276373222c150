"""The training lab (/lab) in Chromium: a short run draws curves and heatmaps, stop, presets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "tmp"
CELLS = ["rnn", "irnn", "lstm", "gru"]


def plotted(page: Page, chart_id: str) -> list[dict[str, Any]]:
    """The traces Plotly drew in `chart_id`: name and the number of points each."""
    return list(
        page.evaluate(
            """(id) => (document.getElementById(id).data || []).map((trace) => ({
                name: trace.name, type: trace.type, x: trace.x.length,
                rows: trace.z ? trace.z.length : 0,
                finite: trace.z ? trace.z.flat().filter((v) => v !== null).length : 0,
            }))""",
            chart_id,
        )
    )


def test_a_short_run_draws_curves_heatmaps_and_a_summary(page: Page, errors: list[str]) -> None:
    frames: list[dict[str, Any]] = []
    # Listening from the socket's creation on, so that no early frame is missed.
    page.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda data: frames.append(json.loads(data))),
    )
    page.goto("/lab?gap=6&steps=60")
    expect(page.locator("#lab-gap")).to_have_value("6")  # the URL set the form
    page.locator("#lab-start").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "done", timeout=60_000)
    expect(page.locator("#lab-status")).to_have_text("60 steps, done.")
    assert page.locator("#lab-progress").evaluate("(bar) => bar.value") == 1

    progress = [f for f in frames if f["type"] == "progress"]
    assert [f["step"] for f in progress] == list(range(61))  # step 0, then every step
    for chart in ("lab-accuracy-chart", "lab-loss-chart"):
        traces = plotted(page, chart)
        assert [t["name"] for t in traces] == ["RNN (tanh)", "IRNN", "LSTM", "GRU"]
        assert all(t["x"] == 61 for t in traces)
    assert len(plotted(page, "lab-norm-chart")) == 8  # before and after clipping, per cell
    for cell in CELLS:
        (heat,) = plotted(page, f"lab-heatmap-{cell}")
        assert heat["type"] == "heatmap" and heat["x"] == 61
        assert heat["rows"] == 8  # positions 1 … T = gap + 2
        assert heat["finite"] == 8 * 61
    summary = page.locator("#lab-summary")
    expect(summary).to_contain_text("at gap 6")
    done = next(f for f in frames if f["type"] == "done")
    assert summary.text_content() == done["summary"]["text"]
    assert page.locator("#lab-error").is_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "lab-short-run.png"), full_page=True)
    assert errors == []


def test_stop_ends_a_long_run_early(page: Page, errors: list[str]) -> None:
    page.goto("/lab?gap=40&steps=3000")
    page.locator("#lab-start").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "running", timeout=30_000)
    expect(page.locator("#lab-stop")).to_be_enabled()
    page.locator("#lab-stop").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "done", timeout=30_000)
    expect(page.locator("#lab-status")).to_contain_text("stopped on request")
    expect(page.locator("#lab-summary")).to_contain_text("Stopped on request after")
    assert page.locator("#lab-progress").evaluate("(bar) => bar.value") < 1
    expect(page.locator("#lab-start")).to_be_enabled()
    assert errors == []


def test_explosion_preset_shows_divergence_and_lands_in_the_url(
    page: Page, errors: list[str]
) -> None:
    page.goto("/lab")
    page.locator("#lab-preset").select_option("explosion")
    expect(page.locator("#lab-clip")).to_have_value("")
    expect(page.locator("#lab-w-rec")).to_have_value("3")
    expect(page.locator("#lab-optimizer")).to_have_value("sgd")
    page.locator("#lab-start").click()
    expect(page.locator("body")).to_have_attribute("data-lab", "done", timeout=60_000)
    expect(page.locator("#lab-summary")).to_contain_text("IRNN diverged at step")
    expect(page.locator("#lab-heatmap-irnn")).to_contain_text("diverged at step")
    query = parse_qs(urlparse(page.url).query)
    assert query["w_rec"] == ["3"] and query["clip_norm"] == ["null"]
    assert query["cells"] == ["rnn,irnn"] and query["optimizer"] == ["sgd"]
    page.screenshot(path=str(SHOTS / "lab-explosion.png"), full_page=True)
    # Reloading the link reproduces the form, clipping off included.
    page.reload()
    expect(page.locator("#lab-clip")).to_have_value("")
    expect(page.locator("#lab-w-rec")).to_have_value("3")
    assert page.locator('input[name="cells"]:checked').count() == 2
    assert errors == []
