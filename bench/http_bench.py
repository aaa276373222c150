"""Targets 1 and 2: POST /api/v1/simulate and /api/v1/sweep over HTTP vs naive in-process runs.

The client is the standard library's keep-alive http.client, about the cost of a browser's
fetch; httpx spends ~0.4 ms of its own per request here, so its figure is printed beside
for comparison. Naive and HTTP calls alternate in blocks, so a change in load hits both.
"""

from __future__ import annotations

import functools
import http.client
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import torch

from bench.naive import naive_grad_norms, naive_sweep
from bench.timing import Timing, measure
from model.config import SimConfig
from server.compute import Compute, _simulate_json
from server.settings import Settings

SIM_PARAMS: dict[str, Any] = {
    "cell": "rnn",
    "activation": "tanh",
    "hidden_size": 32,
    "seq_len": 100,
}
SWEEP_PARAMS: dict[str, Any] = {
    "cell": "rnn",
    "activation": "tanh",
    "hidden_size": 32,
    "seq_len": 200,
}
SWEEP_VALUES = [round(0.015 * k, 3) for k in range(201)]  # W2 = 0 .. 3


class Client:
    """One keep-alive HTTP/1.1 connection posting JSON; any answer but 200 is an error."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        self.connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)

    def post(self, path: str, body: dict[str, Any]) -> bytes:
        headers = {"Content-Type": "application/json"}
        self.connection.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {content[:200]!r}")
        return content

    def close(self) -> None:
        self.connection.close()


def _httpx_post(client: httpx.Client, path: str, body: dict[str, Any]) -> bytes:
    response = client.post(path, json=body)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
    return response.content


def alternate(
    first: Callable[[int], object],
    second: Callable[[int], object],
    *,
    warmup: int,
    repeat: int,
    block: int = 50,
) -> tuple[Timing, Timing]:
    """Time first(i) and second(i) in alternating blocks of back-to-back calls.

    Blocks, so that drifting load affects both alike; back to back within a block, because a
    server left idle even 5 ms answers its next request ~1.3 ms slower on this VM (its cores
    sleep), which single alternating calls would charge to the server alone.
    """
    samples: tuple[list[float], list[float]] = ([], [])
    for start in range(0, repeat, block):
        for fn, out in zip((first, second), samples, strict=True):
            timing = measure(_offset(fn, start), warmup=warmup, repeat=min(block, repeat - start))
            out.extend(timing.samples)
    return Timing(tuple(samples[0])), Timing(tuple(samples[1]))


def _offset(fn: Callable[[int], object], start: int) -> Callable[[int], object]:
    """fn with measure's ids moved by `start`: every block's calls and warm-ups get new ids."""
    return lambda i: fn(i + start if i >= 0 else i - start)


def in_process_job(w_rec: float) -> bytes:
    """What the server computes for one request, without HTTP: check, engine, dict, JSON."""
    compute = _job_compute()
    config = compute.check(SimConfig(**SIM_PARAMS, seed=7, w_rec=w_rec))
    return _simulate_json(config, compute.limits)


@functools.cache
def _job_compute() -> Compute:
    return Compute(Settings(workers=1))


def simulate_figures(url: str, *, repeat: int) -> dict[str, Any]:
    """Median ms of one POST /simulate (new W2, new seed, cached; httpx) and the naive loop.

    The target figure moves W2 each request, as the slider does: the result cache misses, the
    seed's base matrix (a QR, memoised by the engine) is reused. A new seed pays that QR too.
    """
    torch.set_num_threads(1)
    client = Client(url)
    try:

        def slider(i: int) -> bytes:
            # a W2 of its own per call (warm-ups have i < 0): never a cached answer
            return client.post("/api/v1/simulate", {**SIM_PARAMS, "seed": 7, "w_rec": 1 + 1e-4 * i})

        naive, uncached = alternate(
            lambda i: naive_grad_norms(1.0 + 0.001 * i), slider, warmup=5, repeat=repeat
        )
        new_seed = measure(
            lambda i: client.post("/api/v1/simulate", {**SIM_PARAMS, "seed": 1000 + i}),
            warmup=3,
            repeat=repeat,
        )
        same = {**SIM_PARAMS, "seed": 7, "w_rec": 0.9}
        cached = measure(lambda i: client.post("/api/v1/simulate", same), warmup=3, repeat=repeat)
    finally:
        client.close()
    job = measure(lambda i: in_process_job(0.5 + 1e-4 * i), warmup=5, repeat=repeat)
    with httpx.Client(base_url=url, timeout=60.0) as session:
        via_httpx = measure(
            lambda i: _httpx_post(
                session, "/api/v1/simulate", {**SIM_PARAMS, "seed": 7, "w_rec": 0.4 - 1e-4 * i}
            ),
            warmup=3,
            repeat=repeat,
        )
    figures = _ratios(naive, uncached, cached)
    for name, timing in (("new_seed", new_seed), ("httpx", via_httpx), ("job", job)):
        figures[name] = timing.to_dict()
        figures[f"speedup_{name}"] = naive.median / timing.median
    return figures


def sweep_figures(url: str, *, repeat: int, naive_values: int, naive_repeat: int) -> dict[str, Any]:
    """Median ms of one POST /sweep of 201 values vs 201 naive runs (timed on naive_values)."""
    torch.set_num_threads(1)
    subset = SWEEP_VALUES[:: max(1, len(SWEEP_VALUES) // naive_values)][:naive_values]
    naive_part = measure(lambda i: naive_sweep(subset), warmup=0, repeat=naive_repeat)
    # Runs are independent, so the time of 201 is the subset's time scaled (exact when equal).
    scale = len(SWEEP_VALUES) / len(subset)
    naive = Timing(tuple(s * scale for s in naive_part.samples))
    client = Client(url)
    try:
        uncached = measure(
            lambda i: client.post(
                "/api/v1/sweep",
                {**SWEEP_PARAMS, "seed": 2000 + i, "w_rec_values": SWEEP_VALUES},
            ),
            warmup=1,
            repeat=repeat,
        )
        same = {**SWEEP_PARAMS, "seed": 7, "w_rec_values": SWEEP_VALUES}
        cached = measure(lambda i: client.post("/api/v1/sweep", same), warmup=1, repeat=repeat)
    finally:
        client.close()
    figures = _ratios(naive, uncached, cached)
    figures["naive_runs_timed"] = len(subset)
    return figures


def _ratios(naive: Timing, uncached: Timing, cached: Timing) -> dict[str, Any]:
    return {
        "naive": naive.to_dict(),
        "uncached": uncached.to_dict(),
        "cached": cached.to_dict(),
        "speedup_uncached": naive.median / uncached.median,
        "speedup_cached": naive.median / cached.median,
    }
