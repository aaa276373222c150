"""Bodies over max_body_bytes get a JSON 413, by Content-Length or counted while chunked."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from http_helpers import raw_request, strict_json
from websockets.sync.client import connect

LIMIT = 1_000_000  # the default setting


def padded(size: int) -> bytes:
    """A valid simulate body of exactly `size` bytes (JSON allows trailing spaces)."""
    body = json.dumps({"activation": "linear", "seq_len": 5, "w_rec": 0.1}).encode()
    return body + b" " * (size - len(body))


def chunks(body: bytes, size: int = 65_536) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert strict_json(response.text) == {
        "detail": f"Request body too large: send at most {LIMIT} bytes."
    }


def test_at_the_limit_is_served(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/simulate", content=padded(LIMIT), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["grad_log10"][0] == pytest.approx(-4, abs=1e-9)


def test_one_byte_over_by_content_length(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/simulate", content=padded(LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert_413(response)


def test_chunked_bodies_are_counted(client: httpx.Client) -> None:
    # A generator makes httpx send Transfer-Encoding: chunked, with no Content-Length.
    request = client.build_request(
        "POST",
        "/api/v1/simulate",
        content=chunks(padded(3 * LIMIT)),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert_413(client.send(request))
    small = client.build_request(
        "POST",
        "/api/v1/simulate",
        content=chunks(padded(LIMIT), 1000),
        headers={"content-type": "application/json"},
    )
    assert client.send(small).status_code == 200


def test_a_lying_content_length_is_refused_before_the_body(live_server) -> None:
    # Announces 50 MB and sends nothing: the answer comes at once, without waiting for it.
    status, _, body = raw_request(
        live_server.port,
        "POST",
        "/api/v1/sweep",
        headers={"Content-Type": "application/json", "Content-Length": "50000000"},
    )
    assert status == 413
    assert json.loads(body)["detail"].startswith("Request body too large")


def test_413_is_readable_cross_origin(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/simulate",
        content=padded(LIMIT + 10),
        headers={"content-type": "application/json", "Origin": "https://course.example"},
    )
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_limit_is_a_setting(start_server) -> None:
    live = start_server(max_body_bytes=100)
    url = f"{live.url}/api/v1/simulate"
    assert (
        httpx.post(
            url, content=padded(100), headers={"content-type": "application/json"}
        ).status_code
        == 200
    )
    over = httpx.post(url, content=padded(101), headers={"content-type": "application/json"})
    assert over.status_code == 413 and "100 bytes" in over.json()["detail"]
    with connect(f"{live.ws_url}/api/v1/stream") as socket:
        socket.send(json.dumps({"type": "simulate", "id": 1, "params": {"inputs": [0.5] * 100}}))
        frame = strict_json(str(socket.recv(timeout=30)))
        assert frame["type"] == "error" and "too large" in frame["detail"]
        socket.send(json.dumps({"type": "simulate", "id": 2, "params": {"seq_len": 2}}))
        assert strict_json(str(socket.recv(timeout=30)))["type"] == "forward"
