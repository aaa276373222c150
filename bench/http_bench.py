"""Targets 1 and 2: POST /api/v1/simulate and /api/v1/sweep over HTTP vs naive in-process runs."""

from __future__ import annotations

from typing import Any

import httpx
import torch

from bench.naive import naive_grad_norms, naive_sweep
from bench.timing import Timing, measure

SIM_PARAMS = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "seq_len": 100}
SWEEP_PARAMS = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "seq_len": 200}
SWEEP_VALUES = [round(0.015 * k, 3) for k in range(201)]  # W2 = 0 .. 3


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> bytes:
    response = client.post(path, json=body)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
    return response.content


def simulate_figures(url: str, *, repeat: int) -> dict[str, Any]:
    """Median ms of one uncached and one cached POST /simulate, and of the naive loop."""
    torch.set_num_threads(1)
    naive = measure(lambda i: naive_grad_norms(1.0 + 0.001 * i), warmup=2, repeat=repeat)
    with httpx.Client(base_url=url, timeout=60.0) as client:
        # A fresh seed per request: the result cache is not what is measured.
        uncached = measure(
            lambda i: _post(client, "/api/v1/simulate", {**SIM_PARAMS, "seed": 1000 + i}),
            warmup=3,
            repeat=repeat,
        )
        same = {**SIM_PARAMS, "seed": 7}
        cached = measure(lambda i: _post(client, "/api/v1/simulate", same), warmup=3, repeat=repeat)
    return _ratios(naive, uncached, cached)


def sweep_figures(url: str, *, repeat: int, naive_values: int, naive_repeat: int) -> dict[str, Any]:
    """Median ms of one POST /sweep of 201 values vs 201 naive runs (timed on naive_values)."""
    torch.set_num_threads(1)
    subset = SWEEP_VALUES[:: max(1, len(SWEEP_VALUES) // naive_values)][:naive_values]
    naive_part = measure(lambda i: naive_sweep(subset), warmup=0, repeat=naive_repeat)
    # Runs are independent, so the time of 201 is the subset's time scaled (exact when equal).
    scale = len(SWEEP_VALUES) / len(subset)
    naive = Timing(tuple(s * scale for s in naive_part.samples))
    with httpx.Client(base_url=url, timeout=120.0) as client:
        uncached = measure(
            lambda i: _post(
                client,
                "/api/v1/sweep",
                {**SWEEP_PARAMS, "seed": 2000 + i, "w_rec_values": SWEEP_VALUES},
            ),
            warmup=1,
            repeat=repeat,
        )
        same = {**SWEEP_PARAMS, "seed": 7, "w_rec_values": SWEEP_VALUES}
        cached = measure(lambda i: _post(client, "/api/v1/sweep", same), warmup=1, repeat=repeat)
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
