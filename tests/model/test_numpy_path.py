"""The numpy path of the vanilla RNN gives the torch pass's numbers (to 1e-12) on every field."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch

import model.engine
from model import SimConfig, simulate
from model.engine import numpy_path, runs_numpy

CASES = list(
    itertools.product(
        ("tanh", "relu", "sigmoid", "linear"),
        ("last", "all"),
        (1, 5),
        ("orthogonal", "gaussian"),
        (False, True),
    )
)


def _both(monkeypatch: pytest.MonkeyPatch, **config: object) -> tuple[dict, dict]:
    fast = simulate(**config).to_dict()
    monkeypatch.setattr(model.engine, "NUMPY_MAX_HIDDEN", -1)
    slow = simulate(**config).to_dict()
    return fast, slow


def _assert_same(fast: dict, slow: dict) -> None:
    assert fast.keys() == slow.keys()
    for key in ("hidden", "grad_log10", "grad_norm", "input_grad_log10", "step_bound_log10"):
        a = np.array(fast[key], dtype=float)  # None -> NaN on both sides
        b = np.array(slow[key], dtype=float)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=key)
    for name, value in slow["weights"].items():
        np.testing.assert_array_equal(fast["weights"][name], value, err_msg=name)
    assert fast["inputs"] == slow["inputs"]
    for key in ("growth_per_step", "loss_value", "param_grad_log10", "clipped_param_grad_norm"):
        if slow[key] is None:  # null (e.g. no gradient reaches the parameters)
            assert fast[key] is None, key
        else:
            assert fast[key] == pytest.approx(slow[key], rel=1e-12, abs=1e-12), key
    assert fast["regime"] == slow["regime"]
    assert fast["device"] == slow["device"] == "cpu"


@pytest.mark.parametrize(("activation", "loss", "size", "init", "bidirectional"), CASES)
def test_numpy_and_torch_paths_agree(
    monkeypatch: pytest.MonkeyPatch,
    activation: str,
    loss: str,
    size: int,
    init: str,
    bidirectional: bool,
) -> None:
    fast, slow = _both(
        monkeypatch, activation=activation, loss=loss, hidden_size=size, recurrent_init=init,
        bidirectional=bidirectional, w_rec=1.3, w_in=0.7, bias=0.2, seq_len=17, seed=5,
        input_pattern="random", clip_norm=0.5,
    )  # fmt: skip
    _assert_same(fast, slow)


@pytest.mark.parametrize(
    "config",
    [
        {"activation": "tanh", "w_in": 50.0, "seq_len": 30},  # saturated: f' ~ 1e-43 per step
        {"activation": "relu", "bias": -5.0, "seq_len": 10},  # dead: exact zeros
        {"activation": "linear", "w_rec": 0.0, "seq_len": 6},  # the chain is cut
        {"activation": "linear", "w_rec": 10.0, "seq_len": 400},  # the forward overflows
        {"activation": "tanh", "w_rec": -2.0, "hidden_size": 8, "recurrent_init": "identity"},
        {"activation": "tanh", "w_rec": 900.0, "hidden_size": 3, "recurrent_init": "gaussian"},
        {"activation": "tanh", "seq_len": 1, "hidden_size": 4},
    ],
)
def test_paths_agree_at_the_extremes(monkeypatch: pytest.MonkeyPatch, config: dict) -> None:
    fast, slow = _both(monkeypatch, **config)
    _assert_same(fast, slow)


def test_the_cpu_float64_rnn_takes_numpy() -> None:
    cpu = torch.device("cpu")
    assert numpy_path(SimConfig(hidden_size=32), cpu, torch.float64)
    assert not numpy_path(SimConfig(hidden_size=32), cpu, torch.float32)
    assert not numpy_path(SimConfig(cell="lstm"), cpu, torch.float64)
    assert not numpy_path(SimConfig(), torch.device("cuda", 0), torch.float64)
    assert runs_numpy(SimConfig(hidden_size=32, device="cpu"))
    assert not runs_numpy(SimConfig(hidden_size=32, dtype="float32"))
    assert not runs_numpy(SimConfig(cell="gru"))
    # cuda: never numpy; without a GPU simulate() refuses it, and runs_numpy says no quietly
    assert not runs_numpy(SimConfig(device="cuda"))


def test_inputs_at_the_float64_edge_give_nulls_without_warnings() -> None:
    """x * w_in beyond float64 overflows by design: nulls in the result, no RuntimeWarning."""
    # pytest runs with warnings as errors, so a numpy overflow warning would fail here
    result = simulate(activation="linear", inputs=[1e308, 1e308, -1e308], w_in=1000.0).to_dict()
    assert result["hidden"][0] == [None]
    assert json.dumps(result, allow_nan=False)
