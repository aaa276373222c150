"""Nothing a client does on the stream knocks the server over: abrupt drops, slow readers."""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import ExitStack
from typing import Any

from http_helpers import strict_json
from waits import wait_for, wait_idle
from websockets.sync.client import ClientConnection, connect

from server.compute import Compute

RECV_TIMEOUT = 60


def send(ws: ClientConnection, frame_id: Any, **params: Any) -> None:
    ws.send(json.dumps({"type": "simulate", "id": frame_id, "params": params}))


def until_done(ws: ClientConnection, frame_id: Any) -> dict[str, Any]:
    while True:
        frame = strict_json(str(ws.recv(timeout=RECV_TIMEOUT)))
        if frame["type"] in ("done", "error") and frame["id"] == frame_id:
            return frame


def test_fifty_sockets_dropped_mid_stream_leave_nothing_behind(start_server) -> None:
    live = start_server(workers=2)
    compute: Compute = live.server.config.app.state.compute
    url = f"{live.ws_url}/api/v1/stream"
    threads_before = threading.active_count()
    with ExitStack() as stack:
        sockets = [stack.enter_context(connect(url, max_size=2**24)) for _ in range(50)]
        for i, ws in enumerate(sockets):
            # Distinct and heavy enough that most are still in line or computing when dropped.
            send(ws, i, hidden_size=64, seq_len=1000, w_rec=0.5 + i / 100)
        first = strict_json(str(sockets[0].recv(timeout=RECV_TIMEOUT)))
        assert first["id"] == 0
        for ws in sockets:
            # No close handshake: the TCP connection just goes away.
            ws.socket.shutdown(socket.SHUT_RDWR)
            ws.socket.close()
    wait_idle(compute, timeout=60)
    # The 50 client connections' own reader threads end a moment after their sockets close.
    wait_for(
        lambda: threading.active_count() <= threads_before + compute.pool.workers,
        20,
        lambda: f"threads left behind: {sorted(t.name for t in threading.enumerate())}",
    )
    with connect(url) as ws:
        send(ws, "after", activation="linear", seq_len=5, w_rec=0.1)
        assert until_done(ws, "after")["result"]["grad_log10"][0] == -4.0 + 0.0


def test_a_client_that_never_reads_does_not_hold_up_the_others(start_server) -> None:
    live = start_server(workers=2)
    compute: Compute = live.server.config.app.state.compute
    url = f"{live.ws_url}/api/v1/stream"
    with connect(url, max_size=2**24, max_queue=1) as slow:  # stops reading after one frame
        # About 20 MB of frames it never reads: the server's send must block on this socket
        # alone (bounded by the transport's buffer), not on the event loop.
        send(slow, "big", hidden_size=512, seq_len=500, w_rec=0.9)
        for i in range(5):
            with connect(url) as other:
                send(other, i, activation="linear", seq_len=5, w_rec=2.0)
                done = until_done(other, i)
                assert abs(done["result"]["grad_log10"][0] - 1.2041199826559248) < 1e-9
        # The stalled socket still takes a newer request, which supersedes the blocked send.
        send(slow, "small", activation="linear", seq_len=3, w_rec=0.1)
        deadline = time.monotonic() + RECV_TIMEOUT
        while True:
            frame = strict_json(str(slow.recv(timeout=RECV_TIMEOUT)))
            if frame["type"] == "done":
                break
            assert time.monotonic() < deadline
        assert frame["id"] == "small"
    wait_idle(compute, timeout=60)
