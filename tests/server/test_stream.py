"""WS /api/v1/stream on a real uvicorn: frames, latest wins, error frames, disconnects."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from http_helpers import strict_json
from waits import wait_idle
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from server.compute import Compute

RECV_TIMEOUT = 60


@pytest.fixture
def ws(live_server) -> Iterator[ClientConnection]:
    with connect(f"{live_server.ws_url}/api/v1/stream", max_size=2**24) as socket:
        yield socket


def compute_of(server) -> Compute:
    compute: Compute = server.server.config.app.state.compute
    return compute


def send(ws: ClientConnection, frame_id: Any, **params: Any) -> None:
    ws.send(json.dumps({"type": "simulate", "id": frame_id, "params": params}))


def receive(ws: ClientConnection) -> dict[str, Any]:
    text = ws.recv(timeout=RECV_TIMEOUT)
    assert isinstance(text, str)
    frame: dict[str, Any] = strict_json(text)
    return frame


def until_done(ws: ClientConnection, frame_id: Any) -> list[dict[str, Any]]:
    """Every frame up to and including the `done` of `frame_id`."""
    frames = []
    while True:
        frame = receive(ws)
        frames.append(frame)
        if frame["type"] in ("done", "error") and frame["id"] == frame_id:
            return frames


def steps_of(frame: dict[str, Any], key: str) -> list[Any]:
    """A frame's per-step values as a list, whatever the frame's length."""
    values = frame[key]
    if key in ("hidden", "cell_state"):  # one step: H floats; several: a list of those
        one_step = not isinstance(values[0], list)
    else:  # one step: a number (or null); several: a list of those
        one_step = not isinstance(values, list)
    return [values] if one_step else values


def covered_steps(frames: list[dict[str, Any]], kind: str, key: str) -> list[int]:
    """The steps each `kind` frame covers, in frame order (t ascends forward, descends back)."""
    direction = 1 if kind == "forward" else -1
    steps = []
    for frame in frames:
        if frame["type"] == kind:
            count = len(steps_of(frame, key))
            steps.extend(frame["t"] + direction * i for i in range(count))
    return steps


def test_frames_cover_every_step_in_order_and_match_post(ws, client: httpx.Client) -> None:
    params = {"activation": "tanh", "hidden_size": 2, "seq_len": 12, "w_rec": 0.8, "seed": 3}
    send(ws, "a", **params)
    frames = until_done(ws, "a")
    kinds = [f["type"] for f in frames]
    assert kinds[-1] == "done"
    # All forward frames, then all backward frames, then done.
    assert kinds == sorted(kinds, key=["forward", "backward", "done"].index)
    assert all(f["id"] == "a" for f in frames)
    assert covered_steps(frames, "forward", "hidden") == list(range(1, 13))
    assert covered_steps(frames, "backward", "grad_log10") == list(range(12, 0, -1))

    result = frames[-1]["result"]
    posted = client.post("/api/v1/simulate", json=params).json()
    assert {k: v for k, v in result.items() if k != "elapsed_ms"} == {
        k: v for k, v in posted.items() if k != "elapsed_ms"
    }
    hidden = [h for f in frames if f["type"] == "forward" for h in steps_of(f, "hidden")]
    assert hidden == result["hidden"]
    grads = [g for f in frames if f["type"] == "backward" for g in steps_of(f, "grad_log10")]
    assert grads == result["grad_log10"][::-1]
    norms = [g for f in frames if f["type"] == "backward" for g in steps_of(f, "grad_norm")]
    assert norms == result["grad_norm"][::-1]


def test_long_sequence_needs_only_a_few_frames(ws) -> None:
    send(ws, 7, activation="linear", seq_len=100, w_rec=0.9)
    frames = until_done(ws, 7)
    assert len(frames) <= 13
    assert covered_steps(frames, "forward", "hidden") == list(range(1, 101))
    assert covered_steps(frames, "backward", "input_grad_log10") == list(range(100, 0, -1))
    assert frames[-1]["result"]["grad_log10"][0] == pytest.approx(99 * -0.045757490560675, 1e-9)


def test_one_step_frames_carry_plain_values(ws) -> None:
    send(ws, "one", activation="linear", seq_len=1, hidden_size=3, w_rec=0.5)
    forward, backward, done = until_done(ws, "one")
    assert (forward["type"], forward["t"]) == ("forward", 1)
    assert len(forward["hidden"]) == 3 and all(isinstance(v, float) for v in forward["hidden"])
    assert (backward["type"], backward["t"]) == ("backward", 1)
    assert backward["grad_log10"] == pytest.approx(0.5 * math.log10(3), abs=1e-12)
    assert done["result"]["hidden"] == [forward["hidden"]]


def test_a_burst_of_200_completes_only_the_newest_few(ws, live_server) -> None:
    # Distinct parameters so the cache cannot answer; long enough that work can be cut short.
    for i in range(200):
        send(ws, i, activation="tanh", hidden_size=16, seq_len=400, w_rec=0.5 + i / 1000)
    frames = until_done(ws, 199)
    ids = [f["id"] for f in frames]
    assert ids == sorted(ids), "a frame for an older id followed a newer one"
    done = [f["id"] for f in frames if f["type"] == "done"]
    assert done[-1] == 199
    assert len(done) <= 5, done
    assert frames[-1]["result"]["params"]["w_rec"] == pytest.approx(0.699)
    assert not any(f["type"] == "error" for f in frames)
    # The socket answers normally afterwards.
    send(ws, "after", seq_len=3)
    assert until_done(ws, "after")[-1]["type"] == "done"


def test_newer_simulate_supersedes_the_older_at_once(ws) -> None:
    send(ws, "old", activation="tanh", hidden_size=64, seq_len=2000, w_rec=1.01)
    send(ws, "new", activation="linear", seq_len=5, w_rec=0.1)
    frames = until_done(ws, "new")
    new_started = next(i for i, f in enumerate(frames) if f["id"] == "new")
    assert all(f["id"] == "new" for f in frames[new_started:])
    assert not any(f["type"] == "done" and f["id"] == "old" for f in frames)
    assert frames[-1]["result"]["grad_log10"][0] == pytest.approx(-4, abs=1e-9)


@pytest.mark.parametrize(
    ("message", "frame_id", "words"),
    [
        ("{not json", None, "malformed JSON"),
        ('{"type": "simulate", "id": 1, "params": {"w_rec": NaN}}', None, "malformed JSON"),
        ('{"type": "train", "id": 2}', 2, '"type": "simulate"'),
        ("[1, 2, 3]", None, '"type": "simulate"'),
        ('{"type": "simulate", "id": 3, "params": {"w_rec": "x"}}', 3, "invalid params.w_rec: "),
        ('{"type": "simulate", "id": 4, "params": {"hidden_size": 9999}}', 4, "between"),
        ('{"type": "simulate", "id": "5", "params": {"cell": "lstmm"}}', "5", "params.cell: "),
        ('{"type": "simulate", "id": 7, "params": {"w_recc": 1}}', 7, "invalid params.w_recc: "),
        ('{"type": "simulate", "id": 6, "params": [1]}', 6, "invalid params"),
        ('{"type": "simulate", "id": {"a": 1}, "params": {"w_recc": 1}}', None, "invalid"),
        ('{"type": "simulate", "id": {"a": [1]}, "params": {"seq_len": 2}}', None, "invalid id"),
        ('{"type": "simulate", "id": true, "params": {}}', None, "invalid id"),
        ('{"type": "simulate", "id": "' + "x" * 201 + '", "params": {}}', None, "at most 200"),
    ],
)
def test_bad_messages_get_error_frames_and_the_socket_stays_open(
    ws, message: str, frame_id: Any, words: str
) -> None:
    ws.send(message)
    error = receive(ws)
    assert error["type"] == "error"
    assert error["id"] == frame_id
    assert words in error["detail"]
    send(ws, "ok", activation="linear", seq_len=5, w_rec=2.0)
    assert until_done(ws, "ok")[-1]["result"]["grad_log10"][0] == pytest.approx(
        math.log10(16), abs=1e-9
    )


def test_ids_and_echoed_values_beyond_64_bits_come_back_exactly(ws) -> None:
    # the fast encoder stops at 64-bit ints; these frames must still be sent, and exactly
    big = 10**30 + 7
    send(ws, big, seq_len=3, hidden_size=2)
    frames = until_done(ws, big)
    assert {frame["id"] for frame in frames} == {big} and frames[-1]["type"] == "done"
    send(ws, "h", seed=big)
    error = receive(ws)
    assert error["type"] == "error" and error["id"] == "h"
    assert error["errors"][0]["input"] == big and "params.seed" in error["detail"]


def test_param_errors_name_the_field(ws) -> None:
    send(ws, "e", w_rec=1e9)
    error = receive(ws)
    assert error["type"] == "error" and error["id"] == "e"
    assert error["errors"][0]["loc"] == ["params", "w_rec"]
    # the one-line detail names it too, for clients that read only that
    assert error["detail"] == "invalid params.w_rec: |w_rec| must be at most 1000"
    send(ws, "s", seq_len=99999)
    assert receive(ws)["detail"] == "invalid params.seq_len: must be between 1 and 2000"


def test_binary_frames_are_refused_politely(ws) -> None:
    ws.send(b"\x00\x01")
    error = receive(ws)
    assert error["type"] == "error" and "text" in error["detail"]


def test_disconnect_mid_stream_leaves_nothing_behind(live_server) -> None:
    compute = compute_of(live_server)
    url = f"{live_server.ws_url}/api/v1/stream"
    wait_idle(compute)
    threads_before = threading.active_count()
    for round_ in range(5):
        with connect(url) as socket:
            # Heavy enough to be mid-computation when the socket goes away.
            send(socket, round_, activation="tanh", hidden_size=100, seq_len=2000, seed=round_)
        wait_idle(compute)
    # Pool threads are created once; sessions and jobs add none.
    assert threading.active_count() <= threads_before + compute.pool.workers
    with connect(url) as socket:
        send(socket, "x", seq_len=4)
        assert until_done(socket, "x")[-1]["type"] == "done"
    wait_idle(compute)


def test_disconnect_while_frames_are_being_sent(live_server) -> None:
    compute = compute_of(live_server)
    url = f"{live_server.ws_url}/api/v1/stream"
    with connect(url) as socket:
        send(socket, "f", hidden_size=64, seq_len=1000)
        first = receive(socket)
        assert first["type"] == "forward"
    wait_idle(compute)


def test_cancelled_work_stops_in_the_engine() -> None:
    import asyncio

    import model
    from server.compute import LatestRequest
    from server.settings import Settings

    compute = Compute(Settings())
    config = compute.check(model.SimConfig(hidden_size=256, seq_len=1000))

    async def scenario() -> None:
        job = asyncio.ensure_future(compute.simulate_latest(LatestRequest(1, config)))
        while compute.pool.running == 0:
            await asyncio.sleep(0.001)
        job.cancel()
        # The engine polls should_stop between steps: the thread ends long before T = 1000.
        for _ in range(2000):
            if compute.pool.running == 0 and compute.pool.pending == 0:
                break
            await asyncio.sleep(0.001)
        assert (compute.pool.running, compute.pool.pending) == (0, 0)
        assert compute.cache.computations == 1 and len(compute.cache) == 0

    try:
        asyncio.run(scenario())
    finally:
        compute.shutdown()


def test_websocket_origin_allow_list(start_server) -> None:
    server = start_server(cors_origins=["https://course.example"])
    url = f"{server.ws_url}/api/v1/stream"
    with pytest.raises(InvalidStatus):
        connect(url, origin="https://elsewhere.example").close()  # type: ignore[arg-type]
    for origin in ("https://course.example", None, f"http://127.0.0.1:{server.port}"):
        with connect(url, origin=origin) as socket:  # type: ignore[arg-type]
            send(socket, 1, seq_len=2)
            assert until_done(socket, 1)[-1]["type"] == "done"


@pytest.mark.parametrize(
    ("cell", "gates"),
    [("lstm", {"input", "forget", "candidate", "output"}), ("gru", {"reset", "update"})],
)
def test_gated_cells_stream_their_gates_and_cell_state(ws, cell: str, gates: set[str]) -> None:
    send(ws, cell, cell=cell, hidden_size=2, seq_len=7, bidirectional=True, forget_bias=1.0)
    frames = until_done(ws, cell)
    result = frames[-1]["result"]
    forward = [f for f in frames if f["type"] == "forward"]
    backward = [f for f in frames if f["type"] == "backward"]
    for name in gates:
        streamed = [
            g
            for f in forward
            for g in (f["gates"][name] if len(steps_of(f, "hidden")) > 1 else [f["gates"][name]])
        ]
        assert streamed == result["gates"][name]
        assert len(streamed[0]) == 4  # H * directions
    if cell == "lstm":
        cells = [c for f in forward for c in steps_of(f, "cell_state")]
        assert cells == result["cell_state"]
        grads = [g for f in backward for g in steps_of(f, "cell_grad_log10")]
        assert grads == result["cell_grad_log10"][::-1]
    else:
        assert all("cell_state" not in f for f in forward)
        assert all("cell_grad_log10" not in f for f in backward)


@pytest.mark.parametrize("deflate", [False, True])
def test_permessage_deflate_follows_the_settings(start_server, deflate: bool) -> None:
    """Compressing ~180 KB of frames per answer costs ~4 ms of CPU: a setting turns it off."""
    live = start_server(ws_per_message_deflate=deflate)
    # The client offers permessage-deflate (websockets does by default, as browsers do).
    with connect(f"{live.ws_url}/api/v1/stream", compression="deflate") as socket:
        negotiated = socket.response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in negotiated) is deflate
        socket.send(json.dumps({"type": "simulate", "id": 1, "params": {"seq_len": 5}}))
        frame = strict_json(str(socket.recv(timeout=30)))
        while frame["type"] != "done":
            frame = strict_json(str(socket.recv(timeout=30)))
        assert frame["result"]["grad_log10"][-1] == 0.0
