"""Target 5: a 101-value LSTM sweep (H = 1024, T = 1000) on cuda vs cpu, when a GPU exists."""

from __future__ import annotations

from typing import Any, Literal

import torch

import model
from bench.timing import Timing, measure
from model.config import Limits, SimConfig

GPU_VALUES = [round(0.03 * k, 2) for k in range(101)]  # W2 = 0 .. 3
# The server's total-work cap is for two-core hosts; this sweep is far over it on purpose.
GPU_LIMITS = Limits(max_work=10**9, max_sweep_work=10**12, max_hidden_size=4096)


def _sweep_on(device: Literal["cpu", "cuda"], hidden_size: int, seq_len: int) -> None:
    config = SimConfig(cell="lstm", hidden_size=hidden_size, seq_len=seq_len, device=device)
    model.sweep(config, GPU_VALUES, limits=GPU_LIMITS)
    if device == "cuda":
        torch.cuda.synchronize()


def gpu_figures(*, hidden_size: int = 1024, seq_len: int = 1000, repeat: int = 3) -> dict[str, Any]:
    """cuda and cpu medians and their ratio, or a skip note without a CUDA device."""
    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device"}
    cuda = measure(lambda i: _sweep_on("cuda", hidden_size, seq_len), warmup=1, repeat=repeat)
    cpu: Timing = measure(lambda i: _sweep_on("cpu", hidden_size, seq_len), warmup=0, repeat=1)
    return {
        "device": torch.cuda.get_device_name(0),
        "hidden_size": hidden_size,
        "seq_len": seq_len,
        "values": len(GPU_VALUES),
        "cuda": cuda.to_dict(),
        "cpu": cpu.to_dict(),
        "speedup": cpu.median / cuda.median,
    }
