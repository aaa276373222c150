"""Security headers, CORS, static files that cannot escape, and no stack trace to clients."""

from __future__ import annotations

import json

import httpx
import pytest
from http_helpers import raw_request, strict_json
from websockets.sync.client import connect

import server.compute
from server.app import create_app
from server.settings import Settings


def csp_directives(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


@pytest.mark.parametrize(("path", "ancestors"), [("/", "'self'"), ("/embed", "*")])
def test_pages_get_a_csp_without_inline_script(
    client: httpx.Client, path: str, ancestors: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self' 'unsafe-inline'"  # Plotly sets inline styles
    assert csp["img-src"] == "'self' data: blob:"
    assert csp["connect-src"] == "'self' ws: wss:"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == ancestors
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_framing_follows_the_settings(start_server) -> None:
    live = start_server(page_frame_ancestors="'none'", embed_frame_ancestors="https://lms.example")
    page = httpx.get(f"{live.url}/", timeout=30).headers["content-security-policy"]
    embed = httpx.get(f"{live.url}/embed", timeout=30).headers["content-security-policy"]
    assert csp_directives(page)["frame-ancestors"] == "'none'"
    assert csp_directives(embed)["frame-ancestors"] == "https://lms.example"


def test_every_answer_has_nosniff_and_a_referrer_policy(client: httpx.Client) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/api/v1/presets"),
        client.post("/api/v1/simulate", json={"w_rec": "x"}),
        client.get("/no/such/page"),
        client.get("/static/vendor/plotly.min.js"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_cors_any_origin_without_credentials(client: httpx.Client) -> None:
    origin = {"Origin": "https://someone-elses-course.example"}
    simple = client.get("/api/v1/presets", headers=origin)
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in simple.headers
    preflight = client.options(
        "/api/v1/simulate",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_cors_allow_list(start_server) -> None:
    live = start_server(cors_origins=["https://course.example"])
    allowed = httpx.get(
        f"{live.url}/api/v1/presets", headers={"Origin": "https://course.example"}, timeout=30
    )
    assert allowed.headers["access-control-allow-origin"] == "https://course.example"
    other = httpx.get(
        f"{live.url}/api/v1/presets", headers={"Origin": "https://other.example"}, timeout=30
    )
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server/app.py",
        "/static/../../etc/passwd",
        "/static/%2e%2e/server/app.py",
        "/static/%2e%2e%2fserver%2fapp.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static/css/../../pyproject.toml",
        "/static/vendor/../../server/settings.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/..\\..\\pyproject.toml",
    ],
)
def test_static_files_cannot_escape_their_folder(live_server, path: str) -> None:
    status, _, body = raw_request(live_server.port, "GET", path)
    assert status in (400, 404), (status, body[:200])
    for secret in (b"create_app", b"root:", b"[project]", b"BaseSettings"):
        assert secret not in body


def test_plotly_is_served_from_the_package(client: httpx.Client) -> None:
    app = create_app(Settings())
    assert app.url_path_for("plotly_js") == "/static/vendor/plotly.min.js"
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text.startswith("/**\n* plotly.js v")
    assert len(response.content) > 1_000_000


def test_no_stack_trace_reaches_a_client(client: httpx.Client, live_server, monkeypatch) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("secret internals /work/main/server/compute.py line 42")

    monkeypatch.setattr(server.compute, "_simulate_json", broken)
    monkeypatch.setattr(server.compute, "_simulate_stoppable_json", broken)
    response = client.post("/api/v1/simulate", json={"seed": 424242})
    assert response.status_code == 500
    assert strict_json(response.text) == {"detail": "Internal server error."}
    for leak in (b"secret", b"Traceback", b"compute.py", b"RuntimeError"):
        assert leak not in response.content
    with connect(f"{live_server.ws_url}/api/v1/stream") as socket:
        socket.send(json.dumps({"type": "simulate", "id": 1, "params": {"seed": 434343}}))
        frame = strict_json(str(socket.recv(timeout=30)))
        assert frame == {"type": "error", "id": 1, "detail": "internal server error"}
    monkeypatch.undo()
    assert client.post("/api/v1/simulate", json={"seed": 424242}).status_code == 200
