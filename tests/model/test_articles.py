"""The articles' worked numbers and the extremes, against closed forms (mpmath, 60 digits)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from torch_reference import rnn_closed_form

from model import simulate

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")

LINEAR_5 = {"activation": "linear", "hidden_size": 1, "seq_len": 5, "w_in": 1.0, "loss": "last"}


def test_w_rec_point_one_reaches_y5_times_ten_to_minus_four() -> None:
    result = simulate(w_rec=0.1, **LINEAR_5)
    assert result.grad_log10[0] == pytest.approx(-4.0, abs=1e-9)
    np.testing.assert_allclose(result.grad_log10, [-4, -3, -2, -1, 0], atol=1e-9)
    np.testing.assert_allclose(result.grad_norm, [1e-4, 1e-3, 1e-2, 1e-1, 1], rtol=1e-9)
    # x_1 reaches y_5 through W1 = 1 and four factors W2: 0.1**4
    assert result.input_grad_log10[0] == pytest.approx(-4.0, abs=1e-9)
    assert result.growth_per_step == pytest.approx(0.1, rel=1e-9)
    assert result.regime == "vanishing"


def test_w_rec_two_gives_sixteen() -> None:
    result = simulate(w_rec=2.0, **LINEAR_5)
    assert result.grad_log10[0] == pytest.approx(math.log10(16), abs=1e-9)
    assert result.growth_per_step == pytest.approx(2.0, rel=1e-9)
    assert result.regime == "exploding"
    np.testing.assert_allclose(result.hidden[:, 0], [1, 2, 4, 8, 16], rtol=1e-12)


def test_w_rec_one_is_stable() -> None:
    result = simulate(w_rec=1.0, **LINEAR_5)
    np.testing.assert_allclose(result.grad_log10, 0.0, atol=1e-12)
    assert result.regime == "stable"


@pytest.mark.parametrize(("w_rec", "span"), [(10.0, 1999.0), (0.01, -3998.0)])
def test_t2000_linear_keeps_exact_exponents(w_rec: float, span: float) -> None:
    result = simulate(activation="linear", w_rec=w_rec, seq_len=2000)
    assert np.isfinite(result.grad_log10).all()
    assert result.grad_log10[0] - result.grad_log10[-1] == pytest.approx(span, abs=1e-9)
    np.testing.assert_allclose(np.diff(result.grad_log10), -math.log10(w_rec), atol=1e-9)
    json.dumps(result.to_dict(), allow_nan=False)


def test_t2000_linear_explodes_the_forward_to_null() -> None:
    data = simulate(activation="linear", w_rec=10.0, seq_len=2000).to_dict()
    assert data["hidden"][300][0] == pytest.approx(1e300, rel=1e-12)
    assert data["hidden"][400] == [None]  # 1e400 is beyond float64
    assert data["grad_norm"][1000] is None and data["grad_norm"][1999] == 1.0
    assert data["param_grad_norm"] is None and data["param_grad_log10"] is None
    assert data["loss_value"] is None


def test_t2000_tanh_small_signal_vanishes_like_the_linear_net() -> None:
    # w_in = 1e-4 keeps a_t tiny, so f'(a_t) = 1 - O(1e-12): the same -3998 as the linear net.
    result = simulate(activation="tanh", w_rec=0.01, w_in=1e-4, seq_len=2000)
    assert result.grad_log10[0] - result.grad_log10[-1] == pytest.approx(-3998.0, abs=1e-9)


@pytest.mark.parametrize(
    ("activation", "w_rec", "w_in", "bias", "pattern", "loss", "seq_len"),
    [
        ("tanh", 10.0, 1.0, 0.0, "impulse", "last", 2000),  # saturates: f' ~ 1e-8 each step
        ("tanh", 1.0, 50.0, 0.0, "constant", "last", 40),  # |a| ~ 51: f' ~ 1e-44 each step
        ("tanh", 1.0, 50.0, 0.0, "constant", "all", 40),
        ("sigmoid", 3.0, 40.0, 0.0, "constant", "last", 300),
        ("relu", 1.5, 1.0, 0.1, "sine", "all", 200),
        ("linear", -1.7, 0.5, 0.0, "random", "all", 1500),
        ("tanh", 0.9, 1.0, 0.3, "sine", "all", 500),
    ],
)
def test_one_neuron_matches_the_closed_form(
    activation: str, w_rec: float, w_in: float, bias: float, pattern: str, loss: str, seq_len: int
) -> None:
    result = simulate(
        activation=activation,
        w_rec=w_rec,
        w_in=w_in,
        bias=bias,
        input_pattern=pattern,
        loss=loss,
        seq_len=seq_len,
    )
    xs = result.inputs[:, 0].tolist()
    hidden, grads, input_grads = rnn_closed_form(activation, w_rec, w_in, bias, xs, loss)
    assert np.isfinite(result.grad_log10).all()
    finite = np.isfinite(hidden)
    np.testing.assert_allclose(result.hidden[finite, 0], np.array(hidden)[finite], rtol=1e-12)
    # log10 values within 1e-9 = relative error ~2e-9 on numbers as small as 1e-4000
    np.testing.assert_allclose(result.grad_log10, grads, atol=1e-9, rtol=1e-12)
    np.testing.assert_allclose(result.input_grad_log10, input_grads, atol=1e-9, rtol=1e-12)


def test_saturated_tanh_is_far_below_float64_yet_finite() -> None:
    result = simulate(activation="tanh", w_rec=1.0, w_in=50.0, input_pattern="constant", seq_len=40)
    assert result.grad_log10[0] < -1500  # 39 steps of sech^2(51) ~ 1e-44
    data = result.to_dict()
    assert all(isinstance(g, float) for g in data["grad_log10"])
    assert data["grad_norm"][0] is None  # 1e-1700 underflows float64
    assert data["regime"] == "vanishing"


def test_dead_relu_gives_exact_zeros_as_null() -> None:
    result = simulate(activation="relu", bias=-5.0, hidden_size=3, seq_len=10)
    data = result.to_dict()
    assert data["hidden"] == [[0.0, 0.0, 0.0]] * 10
    assert data["grad_log10"][:-1] == [None] * 9
    assert data["grad_log10"][-1] == pytest.approx(0.5 * math.log10(3), abs=1e-12)
    assert data["grad_norm"][:-1] == [0.0] * 9  # exactly zero, which float64 holds
    assert data["input_grad_log10"] == [None] * 10
    assert data["growth_per_step"] == 0.0 and data["regime"] == "vanishing"
    assert data["param_grad_norm"] == 0.0 and data["param_grad_log10"] is None
    json.dumps(data, allow_nan=False)


def test_zero_w_rec_cuts_the_chain() -> None:
    data = simulate(w_rec=0.0, seq_len=4).to_dict()
    assert data["grad_log10"][:3] == [None, None, None]
    assert data["step_bound_log10"] == [None, None, None, None]
    assert data["growth_per_step"] == 0.0
