"""/embed inside a cross-origin iframe (a host page on a second local port), and the LSTM view."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A course page</title></head>
<body>
<h1>Lesson 3: vanishing gradients</h1>
<iframe id="widget" src="{src}" title="RNN gradient flow" width="100%" height="150"
        style="border:0"></iframe>
<script>
  window.heights = [];
  window.origins = [];
  window.addEventListener("message", (event) => {{
    if (event.data && event.data.type === "rnn-gradient-flow:resize") {{
      window.heights.push(event.data.height);
      window.origins.push(event.origin);
      document.getElementById("widget").style.height = event.data.height + "px";
    }}
  }});
</script>
</body></html>
"""


class HostServer:
    """A course page on its own loopback port (another origin) that frames the widget."""

    def __init__(self, body: str) -> None:
        payload = body.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output quiet

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def test_embed_in_a_cross_origin_iframe(
    page: Page, live_server, errors: list[str], slide: Callable[[Locator, float], None]
) -> None:
    src = f"{live_server.url}/embed?w_rec=0.1&seq_len=8&controls=w_rec,seq_len&panels=unrolled,grad"
    host = HostServer(HOST_PAGE.format(src=src))
    try:
        page.goto(host.url)
        widget = page.frame_locator("#widget")
        expect(widget.locator("#w-rec")).to_be_visible()
        expect(widget.locator("#ctl-seq_len")).to_have_value("8")
        expect(widget.locator("#regime")).to_have_text("vanishing")
        expect(widget.locator("#unrolled [data-t]")).to_have_count(8)
        expect(widget.locator("#grad-chart .main-svg").first).to_be_attached()
        # Only the chosen controls and panels.
        expect(widget.locator("#ctl-cell")).to_have_count(0)
        expect(widget.locator("#sweep-chart")).to_have_count(0)
        expect(widget.locator("#rolled")).to_have_count(0)

        page.wait_for_function("window.heights.length > 0")
        assert page.evaluate("window.origins")[0] == live_server.url
        # The host obeyed the first message; the iframe now shows the whole widget.
        height = page.evaluate("window.heights[window.heights.length - 1]")
        assert height > 300
        frame_box = page.locator("#widget").bounding_box()
        assert frame_box is not None and abs(frame_box["height"] - height) <= 1

        slide(widget.locator("#w-rec"), 2)
        expect(widget.locator("#regime")).to_have_text("exploding")
        full = widget.locator("#open-full")
        expect(full).to_have_attribute("href", f"{live_server.url}/?seq_len=8&w_rec=2")
    finally:
        host.stop()
    assert errors == []


def test_lstm_view_shows_gates_and_the_highway(page: Page, errors: list[str]) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto("/?cell=lstm&seq_len=30&forget_bias=1")
    expect(page.locator("#regime")).not_to_have_text("…")
    gates = page.locator("#gates-chart")
    expect(gates).to_be_visible()
    names = gates.evaluate("chart => chart.data.map(trace => trace.name)")
    assert names == ["input", "forget", "candidate", "output"]
    grad_traces = page.locator("#grad-chart").evaluate("c => c.data.map(t => t.name)")
    assert any("cell state" in name for name in grad_traces)
    # No vanilla-RNN bound for gated cells.
    assert not any(name.startswith("bound") for name in grad_traces)
    expect(page.locator("#ctl-activation")).to_be_disabled()
    expect(page.locator("#ctl-forget_bias")).to_be_enabled()
    # Switching back to the vanilla RNN hides the gates.
    page.locator("#ctl-cell").select_option("rnn")
    expect(gates).to_be_hidden()
    assert errors == []
