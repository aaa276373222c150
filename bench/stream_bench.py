"""Target 3: the slider round trip over WS /api/v1/stream vs a bare server's same frames."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.serve import ServerProcess
from bench.timing import Timing, measure_async

STREAM_PARAMS = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "seq_len": 100}
MAX_FRAME = 16 * 1024 * 1024


def frame_kind(text: str | bytes) -> str:
    """The frame's type from its first bytes: the client need not parse 100 kB to route it."""
    head = text[:40] if isinstance(text, str) else text[:40].decode(errors="replace")
    for kind in ("forward", "backward", "done", "error"):
        if f'"type":"{kind}"' in head:
            return kind
    return "other"


async def round_trip(ws: ClientConnection, message: dict[str, Any]) -> list[str]:
    """Send one simulate and collect every frame up to and including `done`."""
    await ws.send(json.dumps(message))
    frames = []
    while True:
        text = await ws.recv()
        frames.append(text if isinstance(text, str) else text.decode())
        kind = frame_kind(text)
        if kind == "error":
            raise RuntimeError(f"stream error frame: {frames[-1][:200]}")
        if kind == "done":
            return frames


async def _time_stream(ws_url: str, params: dict[str, Any], repeat: int, fresh: bool) -> Timing:
    async with connect(ws_url, max_size=MAX_FRAME) as ws:

        async def one(i: int) -> None:
            seed = 5000 + i if fresh else 7  # fresh: distinct seeds keep the cache out of it
            await round_trip(ws, {"type": "simulate", "id": i, "params": {**params, "seed": seed}})

        return await measure_async(one, warmup=3, repeat=repeat)


async def _record(ws_url: str, params: dict[str, Any]) -> list[str]:
    async with connect(ws_url, max_size=MAX_FRAME) as ws:
        message = {"type": "simulate", "id": 1, "params": {**params, "seed": 4242}}
        return await round_trip(ws, message)


def stream_figures(server: ServerProcess, *, repeat: int) -> dict[str, Any]:
    """Median ms of a full stream reply (uncached and cached) vs the bare server's replay."""
    ws_url = server.ws_url + "/api/v1/stream"
    frames = asyncio.run(_record(ws_url, STREAM_PARAMS))
    uncached = asyncio.run(_time_stream(ws_url, STREAM_PARAMS, repeat, fresh=True))
    cached = asyncio.run(_time_stream(ws_url, STREAM_PARAMS, repeat, fresh=False))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frames.json"
        path.write_text(json.dumps(frames))
        with ServerProcess("bench.bare_ws", ("--frames", str(path)), ready_path="/") as bare:
            floor = asyncio.run(_time_stream(bare.ws_url + "/", STREAM_PARAMS, repeat, fresh=True))
    return {
        "frames": len(frames),
        "frame_bytes": sum(len(f.encode()) for f in frames),
        "stream_uncached": uncached.to_dict(),
        "stream_cached": cached.to_dict(),
        "bare": floor.to_dict(),
        "ratio_uncached": uncached.median / floor.median,
        "ratio_cached": cached.median / floor.median,
    }
