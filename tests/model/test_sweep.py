"""sweep(): one batched pass whose rows equal single simulate() runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model import ConfigError, Limits, simulate, sweep
from model.engine import DEFAULT_SWEEP

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")

VALUES = [0.0, 0.25, 0.9, 1.0, 1.05, 1.7, -1.3, 3.0]


@pytest.mark.parametrize(
    "config",
    [
        {"cell": "rnn", "activation": "linear", "hidden_size": 1, "seq_len": 40},
        {"cell": "rnn", "activation": "tanh", "hidden_size": 6, "seq_len": 30, "loss": "all"},
        {"cell": "rnn", "activation": "relu", "hidden_size": 3, "seq_len": 25, "bias": 0.1},
        {"cell": "rnn", "activation": "sigmoid", "hidden_size": 4, "bidirectional": True},
        {"cell": "lstm", "hidden_size": 5, "seq_len": 30, "loss": "all", "bidirectional": True},
        {"cell": "gru", "hidden_size": 4, "seq_len": 30, "input_pattern": "random"},
    ],
)
def test_sweep_rows_equal_single_runs(config: dict) -> None:
    result = sweep(w_rec_values=VALUES, **config)
    assert result.grad_log10.shape == (len(VALUES), result.params["seq_len"])
    for row, w_rec in enumerate(VALUES):
        single = simulate(w_rec=w_rec, **config)
        np.testing.assert_allclose(result.grad_log10[row], single.grad_log10, rtol=0, atol=1e-12)
        assert result.growth_per_step[row] == pytest.approx(single.growth_per_step, rel=1e-12)
        assert result.regime[row] == single.regime


def test_linear_sweep_growth_is_w_rec_and_regimes_split_at_one_percent() -> None:
    values = [0.5, 0.985, 0.995, 1.0, 1.005, 1.015, 2.0]
    result = sweep(activation="linear", seq_len=10, w_rec_values=values)
    np.testing.assert_allclose(result.growth_per_step, values, rtol=1e-12)
    assert result.regime == [
        "vanishing", "vanishing", "stable", "stable", "stable", "exploding", "exploding",
    ]  # fmt: skip
    np.testing.assert_allclose(result.grad_log10[0], -np.log10(0.5) * np.arange(-9, 1), atol=1e-12)


def test_sweep_dict_is_strict_json() -> None:
    data = sweep(activation="relu", bias=-5.0, seq_len=8, w_rec_values=[0.5, 2.0]).to_dict()
    assert set(data) == {
        "params", "w_rec_values", "grad_log10", "growth_per_step", "regime", "device", "elapsed_ms",
    }  # fmt: skip
    assert data["w_rec_values"] == [0.5, 2.0]
    assert data["params"]["w_rec_values"] == [0.5, 2.0]
    assert data["grad_log10"][0][:7] == [None] * 7  # dead ReLU
    assert data["growth_per_step"] == [0.0, 0.0]
    json.dumps(data, allow_nan=False)


def test_default_values_span_the_slider() -> None:
    assert DEFAULT_SWEEP[0] == 0.0 and DEFAULT_SWEEP[-1] == 3.0 and len(DEFAULT_SWEEP) == 61
    assert sweep(seq_len=5).grad_log10.shape == (61, 5)


@pytest.mark.parametrize(
    "values",
    [[], [float("nan")], [float("inf")], [2000.0], ["a"], list(np.linspace(0, 1, 402))],
)
def test_bad_values_are_config_errors(values: list) -> None:
    with pytest.raises(ConfigError) as info:
        sweep(w_rec_values=values)
    assert info.value.field == "w_rec_values"


def test_sweep_work_limit() -> None:
    limits = Limits(max_sweep_work=1000)
    with pytest.raises(ConfigError, match="exceeds"):
        sweep(seq_len=100, hidden_size=4, w_rec_values=[1.0, 2.0, 3.0], limits=limits)
