"""Stream jobs in the pool's line: a newer slider position takes the queued job's place."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from http_helpers import strict_json
from waits import wait_for
from websockets.sync.client import ClientConnection, connect

import server.compute

RECV_TIMEOUT = 30


@pytest.fixture
def engine(monkeypatch) -> Iterator[dict[str, Any]]:
    """Both engine calls wait for one gate and record the w_rec they computed."""
    state: dict[str, Any] = {"gate": threading.Event(), "http": [], "stream": []}
    real_http = server.compute._simulate_json
    real_stream = server.compute._simulate_stoppable_json

    def http(config: Any, limits: Any) -> bytes:
        state["http"].append(config.w_rec)
        assert state["gate"].wait(RECV_TIMEOUT)
        return real_http(config, limits)

    def stream(config: Any, limits: Any, should_stop: Any) -> bytes:
        state["stream"].append(config.w_rec)
        assert state["gate"].wait(RECV_TIMEOUT)
        return real_stream(config, limits, should_stop)

    monkeypatch.setattr(server.compute, "_simulate_json", http)
    monkeypatch.setattr(server.compute, "_simulate_stoppable_json", stream)
    yield state
    state["gate"].set()  # never leave a worker blocked for the next test


def send(ws: ClientConnection, frame_id: Any, **params: Any) -> None:
    ws.send(json.dumps({"type": "simulate", "id": frame_id, "params": params}))


def until_done(ws: ClientConnection, frame_id: Any) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = strict_json(str(ws.recv(timeout=RECV_TIMEOUT)))
        frames.append(frame)
        if frame["type"] in ("done", "error") and frame["id"] == frame_id:
            return frames


def settle(ws: ClientConnection) -> None:
    """Messages are handled in order: once this error frame is back, all before it were."""
    ws.send("{not json")
    frame = strict_json(str(ws.recv(timeout=RECV_TIMEOUT)))
    assert frame["type"] == "error" and "malformed" in frame["detail"]


def test_newer_positions_take_the_queued_jobs_place(start_server, engine) -> None:
    live = start_server(workers=1, queue_size=0, inline_max_steps=0)
    compute = live.server.config.app.state.compute
    with ThreadPoolExecutor(1) as executor:
        blocker = executor.submit(httpx.post, f"{live.url}/api/v1/simulate", json={"seed": 1})
        wait_for(lambda: compute.pool.running == 1)
        with connect(f"{live.ws_url}/api/v1/stream") as ws:
            send(ws, 0, activation="linear", seq_len=5, w_rec=0.1)
            wait_for(lambda: compute.pool.pending == 2)  # the socket's job waits in line
            for i in range(1, 10):
                send(ws, i, activation="linear", seq_len=5, w_rec=0.1 + i / 10)
            settle(ws)
            # Still one job in line for the socket, now holding the newest position.
            assert (compute.pool.pending, compute.pool.running) == (2, 1)
            assert engine["stream"] == []
            engine["gate"].set()
            frames = until_done(ws, 9)
        assert blocker.result(timeout=RECV_TIMEOUT).status_code == 200
    assert engine["stream"] == [pytest.approx(1.0)]  # exactly one computation: the newest
    assert {f["id"] for f in frames} == {9}
    assert [f["type"] for f in frames][-1] == "done"
    assert frames[-1]["result"]["params"]["w_rec"] == pytest.approx(1.0)
    assert frames[-1]["result"]["grad_log10"][0] == pytest.approx(0.0, abs=1e-9)  # 1^4


def test_a_computing_job_is_cancelled_and_the_newest_queues_again(start_server, engine) -> None:
    live = start_server(workers=1, queue_size=0, inline_max_steps=0)
    compute = live.server.config.app.state.compute
    with connect(f"{live.ws_url}/api/v1/stream") as ws:
        send(ws, "old", activation="linear", seq_len=5, w_rec=0.5)
        wait_for(lambda: compute.pool.running == 1)  # started: it can no longer be swapped
        send(ws, "new", activation="linear", seq_len=5, w_rec=2.0)
        settle(ws)
        engine["gate"].set()
        frames = until_done(ws, "new")
    assert engine["stream"] == [pytest.approx(0.5), pytest.approx(2.0)]
    assert {f["id"] for f in frames} == {"new"}  # none for the cancelled job
    assert frames[-1]["result"]["grad_log10"][0] == pytest.approx(4 * 0.30102999566398120)


def test_stream_positions_share_the_cache_and_in_flight_work(start_server, engine) -> None:
    live = start_server(workers=2, queue_size=0, inline_max_steps=0)
    url = f"{live.ws_url}/api/v1/stream"
    params = {"activation": "linear", "seq_len": 5, "w_rec": 0.1}
    with connect(url) as first, connect(url) as second:
        send(first, 1, **params)
        wait_for(lambda: len(engine["stream"]) == 1)
        send(second, 2, **params)  # the same position while it is computed: joins it
        settle(second)
        engine["gate"].set()
        one, two = until_done(first, 1)[-1], until_done(second, 2)[-1]
        assert one["result"] == two["result"]
        send(second, 3, **params)  # cached now: answered without the engine
        assert until_done(second, 3)[-1]["result"] == one["result"]
    assert len(engine["stream"]) == 1
    assert httpx.post(f"{live.url}/api/v1/simulate", json=params).json() == one["result"]
    assert engine["http"] == []


def test_a_busy_classroom_does_not_turn_http_away(start_server, engine) -> None:
    live = start_server(workers=1, queue_size=0, inline_max_steps=0)
    compute = live.server.config.app.state.compute
    with ExitStack() as stack:
        sockets = [stack.enter_context(connect(f"{live.ws_url}/api/v1/stream")) for _ in range(5)]
        for i, ws in enumerate(sockets):
            send(ws, i, activation="linear", seq_len=5, w_rec=0.2 + i / 10)
        wait_for(lambda: compute.pool.pending == 5)
        with ThreadPoolExecutor(1) as executor:
            # One HTTP job may wait even though five stream jobs hold or wait for the worker.
            queued = executor.submit(
                httpx.post, f"{live.url}/api/v1/simulate", json={"seed": 5}, timeout=30
            )
            wait_for(lambda: compute.pool.http_pending == 1)
            busy = httpx.post(f"{live.url}/api/v1/simulate", json={"seed": 6}, timeout=30)
            assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
            engine["gate"].set()
            assert queued.result(timeout=RECV_TIMEOUT).status_code == 200
        for i, ws in enumerate(sockets):
            assert until_done(ws, i)[-1]["type"] == "done"
    assert engine["http"] == [pytest.approx(1.0)]
