"""Saturated units far beyond float64 (f' = 1e-400 and below), against 60-digit mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from test_rnn_autograd import CASES, assert_matches_autograd
from torch_reference import rnn_matrix_closed_form

import model.rnn
from model import simulate
from model.rnn import RnnStep, RnnTrace

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")


@pytest.mark.parametrize(
    "config",
    [
        # w_rec = 1000 mixes +-1 states into pre-activations from ~0 to ~1000: some units'
        # f' underflow float64 by hundreds of decades while others are ~1.
        {"activation": "tanh", "hidden_size": 3, "w_rec": 1000.0, "seq_len": 12, "seed": 1},
        {"activation": "tanh", "hidden_size": 4, "w_rec": 700.0, "seq_len": 15, "loss": "all"},
        {"activation": "sigmoid", "hidden_size": 3, "w_rec": 900.0, "seq_len": 10, "bias": -2.0},
        {"activation": "tanh", "hidden_size": 2, "w_in": 400.0, "w_rec": 0.5, "seq_len": 8},
        {"activation": "tanh", "hidden_size": 5, "w_rec": 30.0, "seq_len": 40, "w_in": 5.0},
    ],
)
def test_saturated_units_match_mpmath(config: dict) -> None:
    data = simulate(recurrent_init="gaussian", input_pattern="random", **config).to_dict()
    grads, input_grads = rnn_matrix_closed_form(data)
    assert all(isinstance(g, float) for g in data["grad_log10"])  # finite, however small
    np.testing.assert_allclose(data["grad_log10"], grads, atol=1e-9, rtol=1e-12)
    np.testing.assert_allclose(data["input_grad_log10"], input_grads, atol=1e-9, rtol=1e-12)


def test_a_flushed_unit_carrying_the_whole_gradient_keeps_its_exponent() -> None:
    # v sits entirely on a unit with f'(400) = 10**-347.1 while the other unit has f' = 1:
    # scaling by the step's largest f' would flush it to an exact zero; the per-component path
    # keeps 10**-347.1 as a unit vector and its log scale.
    pre = torch.tensor([400.0, 0.0], dtype=torch.float64).view(1, 1, 1, 2)  # (T, D, N, H)
    trace = RnnTrace(pre=pre, hidden=torch.tanh(pre))
    step = RnnStep(trace, torch.eye(2, dtype=torch.float64).view(1, 2, 2), torch.ones(1), "tanh")
    assert step.rough == [True]
    v = torch.tensor([1.0, 0.0], dtype=torch.float64).view(1, 1, 2)
    da, _, extra = step.preact(0, v)
    assert extra is not None
    exact = float(mpmath.log10(mpmath.sech(400) ** 2))
    assert float(torch.log10(torch.linalg.vector_norm(da)) + extra) == pytest.approx(
        exact, abs=1e-12
    )


@pytest.mark.parametrize(
    ("activation", "loss", "size", "inputs", "init", "bidirectional"),
    [case for case in CASES if case[0] in ("tanh", "sigmoid") and case[3] == 1],
)
def test_per_component_path_everywhere_matches_autograd(
    monkeypatch: pytest.MonkeyPatch,
    activation: str,
    loss: str,
    size: int,
    inputs: int,
    init: str,
    bidirectional: bool,
) -> None:
    monkeypatch.setattr(model.rnn, "ROUGH_FRACTION", -1.0)  # every step counts as rough
    data = simulate(
        activation=activation, loss=loss, hidden_size=size, recurrent_init=init,
        bidirectional=bidirectional, w_rec=1.1, w_in=0.8, bias=0.1, seq_len=12, seed=3,
        input_pattern="random",
    ).to_dict()  # fmt: skip
    assert_matches_autograd(data)


@pytest.mark.parametrize("a", [8e307, 9e307, 1.7e308])
def test_slopes_near_the_largest_float_keep_finite_exponents(a: float) -> None:
    # x_1 = a saturates h_1 = 1, then a_2 = w_rec h_1 = 1: dL/dx_1 = sech^2(a) sech^2(1), and
    # log10 sech^2(a) = log10 4 - 2a log10 e is finite (a few e307), never null.
    result = simulate(activation="tanh", inputs=[a, 0.0])
    mpmath.mp.dps = 60
    big = mpmath.mpf(a)
    want = mpmath.log10(4) - 2 * big * mpmath.log10(mpmath.e) + mpmath.log10(mpmath.sech(1) ** 2)
    assert result.input_grad_log10[0] == pytest.approx(float(want), rel=1e-14)
    assert result.grad_log10[0] == pytest.approx(
        float(mpmath.log10(mpmath.sech(1) ** 2)), abs=1e-14
    )
