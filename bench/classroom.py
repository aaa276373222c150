"""Target 4: a classroom of WebSocket sliders plus HTTP preset readers against one server.

Every client stops by itself: senders after `duration` seconds, then each waits (bounded) for the
reply to its last slider position. Loopback only; the server runs in its own process.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.serve import ServerProcess
from bench.stream_bench import MAX_FRAME, frame_kind
from bench.timing import percentile
from server.settings import Settings

SLIDER_PARAMS = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "seq_len": 100}
DONE_ID = re.compile(r'"id":(\d+)')
CACHE_SIZE = Settings().cache_size  # the server's default LRU entries
FINAL_WAIT_S = 15.0  # after the last move, how long a client waits for its newest reply


@dataclass
class Tally:
    """What all clients saw; asyncio runs them on one thread, so plain counters are safe."""

    latencies: list[float] = field(default_factory=list)  # newest send -> its done, seconds
    errors: list[str] = field(default_factory=list)
    ws_sent: int = 0
    ws_done: int = 0
    ws_done_stale: int = 0  # a done for an id the client had already superseded
    ws_frames: int = 0
    ws_bytes: int = 0
    http_ok: int = 0
    http_busy: int = 0  # 503 + Retry-After answers, honoured and retried (not errors)

    def error(self, what: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(what[:200])
        else:
            self.errors.append("...")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, list):  # explicit inputs: comma-separated in the query string
        return ",".join(str(v) for v in value)
    return str(value)


def _query(params: dict[str, Any]) -> dict[str, str]:
    return {k: _query_value(v) for k, v in params.items()}


async def slider_client(
    ws_url: str, index: int, duration: float, rate_hz: float, tally: Tally
) -> None:
    """Drag the slider at rate_hz: each move a simulate with a new id and w_rec; latest wins."""
    rng = random.Random(index)
    position = rng.randrange(0, 301)  # the page's slider: 0 .. 3 in steps of 0.01
    sent_at: dict[int, float] = {}
    newest = -1
    answered = asyncio.Event()  # the newest move has its done; cleared by every move
    try:
        async with connect(ws_url, max_size=MAX_FRAME, open_timeout=30) as ws:

            async def receive() -> None:
                async for text in ws:
                    tally.ws_frames += 1
                    tally.ws_bytes += len(text)
                    kind = frame_kind(text)
                    if kind == "error":
                        tally.error(f"client {index}: {str(text)[:150]}")
                    elif kind == "done":
                        tally.ws_done += 1
                        head = text[:60] if isinstance(text, str) else text[:60].decode()
                        match = DONE_ID.search(head)
                        done_id = int(match.group(1)) if match else -2
                        if done_id == newest:
                            tally.latencies.append(time.perf_counter() - sent_at[done_id])
                            answered.set()
                        else:
                            tally.ws_done_stale += 1

            receiver = asyncio.create_task(receive())
            # Start out of phase so 200 clients do not all move on the same tick.
            await asyncio.sleep(rng.random() / rate_hz)
            end = time.perf_counter() + duration
            next_move = time.perf_counter()
            while time.perf_counter() < end:
                position = min(300, max(0, position + rng.choice((-2, -1, 1, 2))))
                newest += 1
                params = {**SLIDER_PARAMS, "w_rec": position / 100}
                message = json.dumps({"type": "simulate", "id": newest, "params": params})
                answered.clear()
                sent_at[newest] = time.perf_counter()
                sent_at.pop(newest - 50, None)  # only recent ids can still be answered
                await ws.send(message)
                tally.ws_sent += 1
                next_move += 1.0 / rate_hz
                await asyncio.sleep(max(0.0, next_move - time.perf_counter()))
            try:
                await asyncio.wait_for(answered.wait(), FINAL_WAIT_S)
            except TimeoutError:
                tally.error(f"client {index}: no reply to its last move within {FINAL_WAIT_S} s")
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
    except Exception as exc:  # any failure of a client is an error of the run
        tally.error(f"client {index}: {type(exc).__name__}: {exc}")


async def preset_client(
    url: str, index: int, duration: float, rate_hz: float, tally: Tally
) -> None:
    """Read the preset list, then GET /simulate for a preset, at rate_hz."""
    rng = random.Random(10_000 + index)
    end = time.perf_counter() + duration
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        presets: list[dict[str, Any]] = []
        while time.perf_counter() < end:
            started = time.perf_counter()
            try:
                if not presets or rng.random() < 0.5:
                    response = await client.get("/api/v1/presets")
                    if response.status_code == 200:
                        presets = response.json()
                else:
                    preset = rng.choice(presets)
                    response = await client.get("/api/v1/simulate", params=_query(preset["params"]))
                if response.status_code == 200:
                    tally.http_ok += 1
                elif response.status_code == 503 and "retry-after" in response.headers:
                    # The contract's back-pressure: a well-behaved client waits and retries.
                    tally.http_busy += 1
                    await asyncio.sleep(float(response.headers["retry-after"]))
                    continue
                else:
                    tally.error(f"http {index}: {response.status_code} {response.text[:100]}")
            except httpx.HTTPError as exc:
                tally.error(f"http {index}: {type(exc).__name__}: {exc}")
            await asyncio.sleep(max(0.0, 1.0 / rate_hz - (time.perf_counter() - started)))


async def _classroom(
    server: ServerProcess,
    clients: int,
    http_clients: int,
    duration: float,
    rate_hz: float,
    tally: Tally,
) -> float:
    ws_url = server.ws_url + "/api/v1/stream"
    start = time.perf_counter()
    tasks = [slider_client(ws_url, i, duration, rate_hz, tally) for i in range(clients)]
    tasks += [preset_client(server.url, i, duration, 10.0, tally) for i in range(http_clients)]
    # A hard bound on the whole run, whatever happens to the server.
    await asyncio.wait_for(asyncio.gather(*tasks), duration + FINAL_WAIT_S + 60)
    return time.perf_counter() - start


def _warm_up(server: ServerProcess) -> int:
    """A few requests so lazy imports and allocations are in the 'before' memory; result bytes."""
    size = 0
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        for seed in range(3):
            body = {**SLIDER_PARAMS, "seed": 90_000 + seed}
            size = len(client.post("/api/v1/simulate", json=body).content)
        client.get("/api/v1/presets")
    return size


def classroom_figures(
    *,
    clients: int,
    http_clients: int,
    duration: float,
    rate_hz: float = 10.0,
    env: dict[str, str] | None = None,
    rounds: int = 1,
) -> dict[str, Any]:
    """Run the classroom `rounds` times on one fresh server: latency, throughput, errors, RSS.

    Memory after each round: a leak keeps growing from round to round, while caches and the
    allocator's arenas stop at their bounds after the first.
    """
    env = env or {}  # RNNGF_* settings for the server; none: its defaults
    tally = Tally()
    elapsed = 0.0
    rss_after: list[int] = []
    with ServerProcess(env=env) as server:
        result_bytes = _warm_up(server)
        rss_before = server.rss() or 0
        for _ in range(rounds):
            elapsed += asyncio.run(
                _classroom(server, clients, http_clients, duration, rate_hz, tally)
            )
            time.sleep(1.0)  # let the server drop closed sockets before reading its memory
            rss_after.append(server.rss() or 0)
        alive = server.process.poll() is None
    if not alive:
        tally.error("the server process died during the run")
    latencies_ms = [s * 1000.0 for s in tally.latencies]
    return {
        "clients": clients,
        "server_env": env,
        "http_clients": http_clients,
        "duration_s": duration,
        "rounds": rounds,
        "rate_hz": rate_hz,
        "elapsed_s": round(elapsed, 3),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "ws_sent": tally.ws_sent,
        "ws_done": tally.ws_done,
        "ws_done_stale": tally.ws_done_stale,
        "ws_frames": tally.ws_frames,
        "ws_megabytes": round(tally.ws_bytes / 1e6, 3),
        "http_ok": tally.http_ok,
        "http_busy_retried": tally.http_busy,
        "latency_samples": len(latencies_ms),
        "latency_p50_ms": round(percentile(latencies_ms, 50), 3),
        "latency_p99_ms": round(percentile(latencies_ms, 99), 3),
        "requests_per_s": round((tally.ws_sent + tally.http_ok) / (duration * rounds), 1),
        "done_per_s": round(tally.ws_done / (duration * rounds), 1),
        "rss_before_mb": round(rss_before / 1e6, 1),
        "rss_after_mb": [round(rss / 1e6, 1) for rss in rss_after],
        # The result cache may legitimately fill: at most cache_size entries of this size.
        "cache_bound_mb": round(CACHE_SIZE * result_bytes / 1e6, 1),
    }
