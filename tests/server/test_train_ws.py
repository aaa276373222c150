"""WS /api/v1/train on a real uvicorn: progress, stop, disconnect, the job cap, bad messages."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from http_helpers import strict_json
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from model.train import TrainConfig, train
from server.routes.train import TrainJobs

RECV_TIMEOUT = 60
SMALL = {"gap": 4, "steps": 6, "report_every": 2, "cells": ["rnn", "gru"], "batch_size": 8}
LONG = {"gap": 40, "steps": 3000, "report_every": 10}


def url(server: Any) -> str:
    return f"{server.ws_url}/api/v1/train"


@pytest.fixture
def ws(live_server) -> Iterator[ClientConnection]:
    with connect(url(live_server), max_size=2**24) as socket:
        yield socket


def jobs_of(server: Any) -> TrainJobs:
    jobs: TrainJobs = server.server.config.app.state.train_jobs
    return jobs


def start(ws: ClientConnection, **params: Any) -> None:
    ws.send(json.dumps({"type": "start", "params": params}))


def receive(ws: ClientConnection) -> dict[str, Any]:
    text = ws.recv(timeout=RECV_TIMEOUT)
    assert isinstance(text, str)
    frame: dict[str, Any] = strict_json(text)
    return frame


def until(ws: ClientConnection, *kinds: str) -> list[dict[str, Any]]:
    """Every frame up to and including the first of one of `kinds`."""
    frames = []
    while True:
        frames.append(receive(ws))
        if frames[-1]["type"] in kinds:
            return frames


def wait_idle(jobs: TrainJobs, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while jobs.running or jobs.threads:
        assert time.monotonic() < deadline, "a training job outlived its socket"
        time.sleep(0.02)


def test_a_run_streams_progress_then_done_with_the_engines_numbers(
    live_server, ws: ClientConnection
) -> None:
    start(ws, **SMALL)
    frames = until(ws, "done", "error")
    started, *progress, done = frames
    assert started["type"] == "started" and started["seq_len"] == 6
    assert started["params"]["cells"] == ["rnn", "gru"] and started["params"]["lr"] == 0.003
    assert [f["type"] for f in progress] == ["progress"] * 4
    assert [f["step"] for f in progress] == [0, 2, 4, 6]
    for frame in progress:
        assert frame["steps"] == 6 and list(frame["cells"]) == ["rnn", "gru"]
        for record in frame["cells"].values():
            assert len(record["grad_log10"]) == 6
            assert record["diverged"] is False and 0 <= record["accuracy"] <= 1
    assert progress[1]["cells"]["rnn"]["clipped_grad_norm"] <= 1.0
    summary = done["summary"]
    assert summary["steps_done"] == 6 and summary["stopped"] is None
    assert "at gap 4" in summary["text"]
    # The same run in-process, from the params the server reported back.
    params = started["params"]
    direct = train(TrainConfig(**{**params, "cells": tuple(params["cells"])}))
    for cell in ("rnn", "gru"):
        assert summary["cells"][cell]["loss"] == pytest.approx(direct.cells[cell]["loss"], 1e-5)
        assert summary["cells"][cell]["accuracy"] == direct.cells[cell]["accuracy"]
    wait_idle(jobs_of(live_server))


def test_stop_ends_the_run_and_its_thread(live_server, ws: ClientConnection) -> None:
    start(ws, **LONG)
    until(ws, "progress")
    ws.send(json.dumps({"type": "stop"}))
    done = until(ws, "done")[-1]
    assert done["summary"]["stopped"] == "stop"
    assert done["summary"]["steps_done"] < 3000
    wait_idle(jobs_of(live_server))
    # The socket stays usable: a new run starts on it.
    start(ws, **SMALL)
    assert until(ws, "done", "error")[-1]["type"] == "done"


def test_a_disconnect_mid_run_leaves_no_job_or_thread(live_server) -> None:
    with connect(url(live_server)) as socket:
        start(socket, **LONG)
        until(socket, "progress")
        assert jobs_of(live_server).running == 1
    wait_idle(jobs_of(live_server))


def test_the_job_cap_refuses_clearly_and_keeps_the_socket(start_server) -> None:
    server = start_server(max_train_jobs=1)
    with connect(url(server)) as first, connect(url(server)) as second:
        start(first, **LONG)
        until(first, "progress")
        start(second, **SMALL)
        refusal = receive(second)
        assert refusal["type"] == "error" and refusal["busy"] is True
        assert "training 1 run already" in refusal["detail"]
        first.send(json.dumps({"type": "stop"}))
        until(first, "done")
        wait_idle(jobs_of(server))
        start(second, **SMALL)
        assert until(second, "done", "error")[-1]["type"] == "done"


def test_step_and_time_caps(start_server) -> None:
    server = start_server(max_train_steps=100, max_train_seconds=0.5)
    with connect(url(server)) as socket:
        start(socket, steps=101)
        refusal = receive(socket)
        assert refusal["type"] == "error" and "params.steps" in refusal["detail"]
        assert refusal["errors"][0]["loc"] == ["params", "steps"]
        start(socket, gap=40, steps=100, report_every=1, cells=["lstm"])
        done = until(socket, "done")[-1]
        assert done["summary"]["stopped"] == "time" and done["summary"]["steps_done"] < 100


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        ("{not json", "malformed JSON"),
        ('{"type": "start", "params": {"lr": NaN}}', "malformed JSON"),
        ('{"type": "start", "params": {"lr": 1e999}}', "params.lr"),
        ('{"type": "start", "params": {"gap": "long"}}', "params.gap"),
        ('{"type": "start", "params": {"hiden_size": 3}}', "params.hiden_size"),
        ('{"type": "start", "params": {"cells": ["tcn"]}}', "params.cells"),
        ('{"type": "start", "params": {"cells": []}}', "params.cells"),
        ('{"type": "start", "params": {"task": "adding", "gap": 1}}', "params.gap"),
        ('{"type": "start", "params": {"clip_norm": -1}}', "params.clip_norm"),
        ('{"type": "start", "params": {"lr": 1e-6}}', "params.lr"),  # below the box's minimum
        ('{"type": "start", "params": 7}', "invalid params"),
        ('{"type": "train"}', 'send {"type": "start"'),
        ("[]", 'send {"type": "start"'),
        ('{"type": "stop"}', "no training run in progress"),
        ("x" * 20_000, "message too large"),
    ],
)
def test_bad_messages_get_an_error_frame_and_the_socket_stays_open(
    ws: ClientConnection, message: str, detail: str
) -> None:
    ws.send(message)
    frame = receive(ws)
    assert frame["type"] == "error"
    assert detail in frame["detail"]
    start(ws, **SMALL)
    assert until(ws, "done", "error")[-1]["type"] == "done"


def test_binary_frames_and_a_second_start_are_refused(ws: ClientConnection) -> None:
    ws.send(b"\x00\x01")
    assert "not binary" in receive(ws)["detail"]
    start(ws, **LONG)
    until(ws, "progress")
    start(ws, **SMALL)
    assert "in progress" in until(ws, "error")[-1]["detail"]
    ws.send(json.dumps({"type": "stop"}))
    assert until(ws, "done")[-1]["summary"]["stopped"] == "stop"


def test_divergence_is_reported_without_nan(ws: ClientConnection) -> None:
    explosion = {"gap": 20, "steps": 20, "optimizer": "sgd", "lr": 0.1, "w_rec": 3.0}
    start(ws, cells=["irnn"], clip_norm=None, report_every=5, **explosion)
    frames = until(ws, "done")
    last = frames[-2]["cells"]["irnn"]
    assert last["diverged"] is True and last["loss"] is None and last["grad_log10"] is None
    summary = frames[-1]["summary"]["cells"]["irnn"]
    assert summary["diverged"] is True and summary["accuracy"] is None


def test_foreign_origins_are_refused_when_origins_are_listed(start_server) -> None:
    server = start_server(cors_origins=["https://course.example"])
    with pytest.raises(InvalidStatus):
        connect(url(server), origin="https://elsewhere.example").close()  # type: ignore[arg-type]
    with connect(url(server), origin="https://course.example") as socket:  # type: ignore[arg-type]
        start(socket, **SMALL)
        assert until(socket, "done", "error")[-1]["type"] == "done"


def test_the_lab_page_links_its_socket_and_plotly(live_server) -> None:
    import httpx

    answer = httpx.get(f"{live_server.url}/lab", timeout=30)
    assert answer.status_code == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page = answer.text
    assert "/static/vendor/plotly.min.js" in page and "/static/js/lab.js" in page
    assert f"{live_server.ws_url}/api/v1/train" in page  # built by url_for, in the JSON block
    assert "<script>" not in page  # no inline script: the config is an application/json block


def test_the_lab_form_boxes_take_exactly_what_the_server_takes(live_server) -> None:
    # One source: every number box's min and max are TrainParams' bounds (steps: the setting).
    page = httpx.get(f"{live_server.url}/lab", timeout=30).text
    boxes = {
        name: (low, high)
        for name, low, high in re.findall(
            r'data-param="(\w+)" type="number" min="([^"]*)"(?: max="([^"]*)")?', page
        )
    }
    assert boxes == {
        "gap": ("0", "1000"),
        "steps": ("1", str(live_server.server.config.app.state.settings.max_train_steps)),
        "lr": ("0.00001", "10"),
        "clip_norm": ("0.001", "1000000"),
        "hidden_size": ("1", "256"),
        "batch_size": ("1", "512"),
        "w_rec": ("-10", "10"),
        "forget_bias": ("-100", "100"),
        "attractor_rate": ("0", "1"),
        "seed": ("0", ""),  # 2**63 - 1 is past a page's exact integers: the server checks it
    }
