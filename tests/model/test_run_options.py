"""Devices, float32, cancellation and figures."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from model import Cancelled, ConfigError, SimConfig, simulate, sweep

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")

CUDA = torch.cuda.is_available()
cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_float32_agrees_with_float64_to_single_precision(cell: str) -> None:
    config = {"cell": cell, "hidden_size": 8, "seq_len": 60, "w_rec": 1.2, "loss": "all"}
    r32 = simulate(dtype="float32", **config)
    r64 = simulate(**config)
    np.testing.assert_allclose(r32.hidden, r64.hidden, atol=1e-5)
    np.testing.assert_allclose(r32.grad_log10, r64.grad_log10, atol=1e-4)
    assert r32.params["dtype"] == "float32"
    # the weights reported are the float32 ones actually used
    w = np.array(r32.weights["weight_hh_l0"])
    assert np.array_equal(w, w.astype(np.float32).astype(np.float64))


def test_float32_keeps_exponents_beyond_its_range() -> None:
    result = simulate(activation="linear", w_rec=0.01, seq_len=2000, dtype="float32")
    assert result.grad_log10[0] - result.grad_log10[-1] == pytest.approx(-3998.0, rel=1e-6)


def test_cpu_device_name() -> None:
    assert simulate(device="cpu").device == "cpu"
    assert simulate(device="auto").device == ("cuda:0" if CUDA else "cpu")


@pytest.mark.skipif(CUDA, reason="only meaningful without a GPU")
def test_cuda_without_a_gpu_says_what_to_do() -> None:
    with pytest.raises(ConfigError) as info:
        simulate(device="cuda")
    assert info.value.field == "device" and "use auto or cpu" in info.value.message


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cuda_gives_the_cpu_numbers(cell: str) -> None:
    config = {"cell": cell, "hidden_size": 16, "seq_len": 200, "loss": "all", "bidirectional": True}
    gpu = simulate(device="cuda", **config)
    cpu = simulate(device="cpu", **config)
    assert gpu.device.startswith("cuda")
    assert gpu.weights["weight_hh_l0"].tolist() == cpu.weights["weight_hh_l0"].tolist()
    np.testing.assert_allclose(gpu.hidden, cpu.hidden, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gpu.grad_log10, cpu.grad_log10, atol=1e-9)
    np.testing.assert_allclose(gpu.input_grad_log10, cpu.input_grad_log10, atol=1e-9)
    assert gpu.param_grad_log10 == pytest.approx(cpu.param_grad_log10, abs=1e-9)


@pytest.mark.cuda
@cuda
def test_cuda_sweep_gives_the_cpu_numbers() -> None:
    config = {"cell": "lstm", "hidden_size": 32, "seq_len": 300, "w_rec_values": [0.5, 1.0, 2.0]}
    gpu = sweep(device="cuda", **config)
    cpu = sweep(device="cpu", **config)
    np.testing.assert_allclose(gpu.grad_log10, cpu.grad_log10, atol=1e-9)


def test_should_stop_cancels_simulate_and_sweep() -> None:
    calls: list[int] = []

    def stop_after_three() -> bool:
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        simulate(seq_len=500, should_stop=stop_after_three)
    assert len(calls) == 3
    with pytest.raises(Cancelled):
        sweep(seq_len=100, should_stop=lambda: True)
    # polled, never stopping: the same result as without
    result = simulate(seq_len=100, should_stop=lambda: False)
    assert result.grad_log10.tolist() == simulate(seq_len=100).grad_log10.tolist()


def test_config_object_and_overrides_combine() -> None:
    config = SimConfig(cell="gru", hidden_size=2)
    result = simulate(config, seq_len=7)
    assert result.params["cell"] == "gru" and result.params["seq_len"] == 7
    assert config.seq_len == 20  # the caller's config is untouched


def test_figures_are_plotly_figures_without_nan() -> None:
    fig = simulate(cell="lstm", hidden_size=3).figure()
    assert isinstance(fig, go.Figure)
    names = [trace.name for trace in fig.data]
    assert names[:2] == ["grad_log10", "cell_grad_log10"] and len(names) == 5
    wide = simulate(hidden_size=40, seq_len=5).figure()
    assert wide.data[-1].type == "heatmap"
    dead = simulate(activation="relu", bias=-5.0, seq_len=5).figure()
    assert list(dead.data[0].y[:4]) == [None] * 4
    heat = sweep(seq_len=6, w_rec_values=[0.5, 1.5]).figure()
    assert heat.data[0].type == "heatmap" and list(heat.data[0].y) == [0.5, 1.5]
    json.loads(heat.to_json())
