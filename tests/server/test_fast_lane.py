"""server.fast_lane: the slider's hot path answers exactly as the FastAPI route would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from http_helpers import strict_json
from waits import wait_for
from websockets.sync.client import connect

import server.compute
from server.app import create_app
from server.routes import api
from server.settings import Settings

SLIDER = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "seq_len": 100, "w_rec": 0.9}
JSON = "application/json"

# (body, content type): valid, invalid and borderline requests; each server answers each alike
CASES: list[tuple[bytes, str | None]] = [
    (b"{}", JSON),
    (json.dumps(SLIDER).encode(), JSON),
    (json.dumps({**SLIDER, "w_rec": 1.7, "seed": 3}).encode(), "application/json; charset=utf-8"),
    (json.dumps({**SLIDER, "w_rec": 0.4}).encode(), "Application/JSON"),
    (b'{"inputs": [1, 0, 0.5], "seq_len": 3, "activation": "relu"}', JSON),
    (b'{"w_rec": 0.5, "w_rec": 0.7}', JSON),  # duplicate keys: the last one, in both
    (b'{"w_rec": "0.25"}', JSON),  # a number in a string: refused by both
    (b'{"cell": "\\ud800"}', JSON),  # an unpaired surrogate
    (b'{"seq_len": 2000, "hidden_size": 64}', JSON),  # too big for the event loop: the pool
    (b'{"inputs": [1, 0, 0], "seq_len": 5}', JSON),  # the lengths disagree (ConfigError)
    (b'{"w_rec": 1e9}', JSON),  # over the limit
    (b'{"w_rec": NaN}', JSON),
    (b'{"seq_len": true}', JSON),
    (b'{"cell": "lstmm"}', JSON),
    (b'{"w_recc": 1}', JSON),
    (b"[1, 2]", JSON),
    (b"{not json", JSON),
    (b"", JSON),
    (json.dumps(SLIDER).encode(), "text/plain"),
    (json.dumps(SLIDER).encode(), None),
]


def start(live_server: Any, app: Any) -> Any:
    """Another server of the session server's class: a real uvicorn on a free loopback port."""
    return type(live_server)(app).start()


@pytest.fixture(scope="module")
def servers(live_server: Any) -> Iterator[tuple[Any, Any]]:
    """The session's server (the lane on, the default) and one with the lane off."""
    without = start(live_server, create_app(Settings(fast_lane=False)))
    yield live_server, without
    without.stop()


def post(url: str, body: bytes, content_type: str | None) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.post(f"{url}/api/v1/simulate", content=body, headers=headers, timeout=60)


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    """Status, headers and JSON, less what differs between two computations (their timing)."""
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    assert int(response.headers["content-length"]) == len(response.content)
    data = strict_json(response.text)
    if response.status_code == 200:
        data.pop("elapsed_ms")
    return response.status_code, headers, data


@pytest.mark.parametrize(("body", "content_type"), CASES, ids=lambda v: str(v)[:40])
def test_the_lane_answers_as_the_route(
    servers: tuple[Any, Any], body: bytes, content_type: str | None
) -> None:
    with_lane, without = servers
    # twice: the second ask of a cheap result comes from the cache
    for _ in range(2):
        assert comparable(post(with_lane.url, body, content_type)) == comparable(
            post(without.url, body, content_type)
        )


@pytest.fixture(scope="module")
def routeless(live_server: Any) -> Iterator[Any]:
    """A server without the JSON API's routes: only the lane can answer 200 there."""
    app = create_app(Settings())
    app.router.routes = [
        route
        for route in app.router.routes
        if getattr(route, "original_router", None) is not api.router
    ]
    server = start(live_server, app)
    yield server
    server.stop()


def test_valid_inline_requests_never_reach_the_route(routeless: Any) -> None:
    assert httpx.get(f"{routeless.url}/api/v1/presets").status_code == 404  # the API is gone
    response = post(routeless.url, json.dumps(SLIDER).encode(), JSON)
    assert response.status_code == 200
    assert len(strict_json(response.text)["grad_log10"]) == 100


def chunked(body: bytes) -> Iterator[bytes]:
    yield body[:7]
    yield body[7:]


def test_a_chunked_body_is_read_whole(routeless: Any) -> None:
    response = httpx.post(
        f"{routeless.url}/api/v1/simulate",
        content=chunked(json.dumps(SLIDER).encode()),
        headers={"Content-Type": JSON},
        timeout=60,
    )
    assert response.status_code == 200
    assert strict_json(response.text)["params"]["w_rec"] == 0.9


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"w_rec": 1e9}', JSON),  # invalid: the route words the error
        (b'{"seq_len": 2000, "hidden_size": 64}', JSON),  # the pool's job, with its 503
        (json.dumps(SLIDER).encode(), "text/plain"),
    ],
)
def test_everything_else_goes_on_to_the_route(
    routeless: Any, body: bytes, content_type: str
) -> None:
    # the route is gone, so the router answers that there is nothing at that path
    assert post(routeless.url, body, content_type).status_code == 404


def test_an_engine_refusal_after_the_checks_is_worded_by_the_route(
    routeless: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model.config import ConfigError

    def refuse(*args: object) -> bytes:
        raise ConfigError("w_rec", "refused by the engine")

    monkeypatch.setattr(server.compute, "_simulate_json", refuse)
    body = json.dumps({**SLIDER, "w_rec": 0.123}).encode()
    assert post(routeless.url, body, JSON).status_code == 404  # handed on, not a 500


def test_a_job_under_way_is_left_to_the_route(
    routeless: Any, gated_engine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Waiting on a computation in flight could end in the pool's 503, which only the route
    # gives (with its headers): the lane must hand such a request on, not wait for it.
    gated = server.compute._simulate_json  # the stream's job waits at the same gate

    def stream_job(config: Any, limits: Any, _should_stop: Any) -> bytes:
        return gated(config, limits)

    monkeypatch.setattr(server.compute, "_simulate_stoppable_json", stream_job)
    params = {"hidden_size": 4, "seq_len": 20, "w_rec": 0.321}  # small: inline when alone
    with connect(f"{routeless.ws_url}/api/v1/stream", max_size=2**24) as socket:
        socket.send(json.dumps({"type": "simulate", "id": 1, "params": params}))
        wait_for(lambda: gated_engine["calls"] == 1)  # the stream's job, in the pool, waiting
        assert post(routeless.url, json.dumps(params).encode(), JSON).status_code == 404
        gated_engine["gate"].set()
        while json.loads(socket.recv(timeout=30))["type"] != "done":
            pass
    # finished and cached now: the lane answers it without computing it again
    response = post(routeless.url, json.dumps(params).encode(), JSON)
    assert response.status_code == 200 and gated_engine["calls"] == 1
