"""Regenerates docs/screenshots/, the README's pictures.

Run: `.venv/bin/python tests/browser/screenshots.py`.

Not a test: it starts its own server on a free loopback port, drives Chromium through the views
the README shows, and writes small PNGs. Look at each one after running it.
"""

from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

TESTS = Path(__file__).resolve().parents[1]
OUT = TESTS.parent / "docs" / "screenshots"

# Loaded by path: putting tests/ on sys.path would let tests/model shadow the model package.
_spec = importlib.util.spec_from_file_location("rnngf_conftest", TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)

COURSE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Lesson 3</title>
<style>body{{font:17px/1.5 Georgia,serif;max-width:780px;margin:24px auto;color:#222}}
iframe{{width:100%;border:1px solid #ccc;border-radius:8px}}</style></head><body>
<h1>Lesson 3: why RNN gradients vanish</h1>
<p>Each step back multiplies the gradient by W2. Drag it below and watch x<sub>1</sub>'s
influence on the output fade.</p>
<iframe id="widget" src="{src}" title="RNN gradient flow" height="150"></iframe>
<script>addEventListener("message", (e) => {{
  if (e.data && e.data.type === "rnn-gradient-flow:resize")
    document.getElementById("widget").style.height = e.data.height + "px";
}});</script></body></html>"""


def settle(page: Page) -> None:
    page.wait_for_selector("#unrolled[data-state=done]")
    page.wait_for_timeout(600)  # Plotly's last relayout


def shoot(page: Page, url: str, name: str, *, full: bool = False) -> None:
    page.goto(url)
    settle(page)
    page.screenshot(path=OUT / name, full_page=full)


def serve_course_page(src: str) -> ThreadingHTTPServer:
    body = COURSE_PAGE.format(src=src).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    server = conftest.start_live_server()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=conftest.CHROMIUM, args=conftest.CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.emulate_media(reduced_motion="reduce")
            base = server.url
            shoot(page, f"{base}/?w_rec=0.5", "vanishing.png")
            shoot(page, f"{base}/?w_rec=1.5", "exploding.png")
            page.goto(f"{base}/?cell=lstm&hidden_size=8&seq_len=100&forget_bias=1")
            settle(page)
            page.locator(".charts").screenshot(path=OUT / "lstm.png")
            phone = browser.new_page(viewport={"width": 375, "height": 812})
            phone.emulate_media(reduced_motion="reduce")
            phone.goto(f"{base}/?w_rec=0.8&seq_len=12")
            settle(phone)
            clip = {"x": 0, "y": 0, "width": 375, "height": 1640}
            phone.screenshot(path=OUT / "phone.png", full_page=True, clip=clip)
            src = f"{base}/embed?w_rec=0.6&seq_len=10&controls=w_rec&panels=unrolled,readout,grad"
            course = serve_course_page(src)
            try:
                page.set_viewport_size({"width": 900, "height": 900})
                page.goto(f"http://127.0.0.1:{course.server_address[1]}/")
                page.frame_locator("#widget").locator("#unrolled[data-state=done]").wait_for()
                page.wait_for_timeout(800)
                page.screenshot(path=OUT / "embed.png", full_page=True)
            finally:
                course.shutdown()
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
