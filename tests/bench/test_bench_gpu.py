"""Target 5's code path (bench/gpu.py) run on the CPU, so it has not rotted when a GPU comes."""

from __future__ import annotations

import pytest
import torch

from bench import gpu
from model.config import SimConfig, validate

CUDA = torch.cuda.is_available()


def test_the_lstm_sweep_it_times_runs_on_the_cpu() -> None:
    gpu._sweep_on("cpu", hidden_size=4, seq_len=6)  # the same call as H = 1024, T = 1000


def test_its_limits_admit_the_full_size_sweep() -> None:
    config = SimConfig(cell="lstm", hidden_size=1024, seq_len=1000, device="cpu")
    validate(config, gpu.GPU_LIMITS)  # raises ConfigError otherwise
    work = len(gpu.GPU_VALUES) * 1000 * 1024  # values x T x H, one direction, as sweep() counts
    assert len(gpu.GPU_VALUES) == 101
    assert work <= gpu.GPU_LIMITS.max_sweep_work


@pytest.mark.skipif(CUDA, reason="only meaningful without a GPU")
def test_without_a_gpu_it_says_skipped() -> None:
    assert gpu.gpu_figures() == {"skipped": "no CUDA device"}


@pytest.mark.cuda
@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
def test_with_a_gpu_it_reports_both_devices() -> None:
    figures = gpu.gpu_figures(hidden_size=8, seq_len=10, repeat=1)
    assert figures["cuda"]["repetitions"] == 1 and figures["cpu"]["repetitions"] == 1
    assert figures["speedup"] > 0
