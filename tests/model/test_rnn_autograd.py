"""Vanilla RNN against PyTorch autograd in float64, with weights copied from to_dict()."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch_reference import torch_module_hidden, unrolled

from model import simulate, sweep

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")

RANDOM_INPUTS_3 = [[0.3, -0.5, 0.8], [1.0, 0.2, -0.4], [-0.7, 0.6, 0.1], [0.5, -0.9, 0.3]] * 3

CASES = [
    (activation, loss, size, inputs, init, bidirectional)
    for activation, loss, size, inputs, init, bidirectional in itertools.product(
        ("tanh", "relu", "sigmoid", "linear"),
        ("last", "all"),
        (1, 3, 8),
        (1, 3),
        ("orthogonal", "identity", "gaussian"),
        (False, True),
    )
    if size > 1 or init == "orthogonal"  # every Q is [[1]] for one neuron
]


def logs(values: list) -> np.ndarray:
    """JSON log10 values back to floats: null is an exact zero, -inf."""
    return np.array([-np.inf if v is None else v for v in values])


def assert_matches_autograd(data: dict, rel: float = 1e-9) -> None:
    ref = unrolled(data)
    np.testing.assert_allclose(np.array(data["hidden"]), ref.hidden.numpy(), rtol=1e-12, atol=1e-14)
    # log10 values within rel/ln(10): the norms agree to ~rel relative
    np.testing.assert_allclose(logs(data["grad_log10"]), ref.grad_log10.numpy(), rtol=0, atol=rel)
    np.testing.assert_allclose(
        logs(data["input_grad_log10"]), ref.input_grad_log10.numpy(), rtol=0, atol=rel
    )
    assert data["param_grad_norm"] == pytest.approx(ref.param_grad_norm, rel=rel)
    assert data["loss_value"] == pytest.approx(ref.loss.item(), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("activation", "loss", "size", "inputs", "init", "bidirectional"), CASES)
def test_rnn_matches_autograd(
    activation: str, loss: str, size: int, inputs: int, init: str, bidirectional: bool
) -> None:
    extra = {"inputs": RANDOM_INPUTS_3} if inputs == 3 else {"input_pattern": "random"}
    result = simulate(
        activation=activation,
        loss=loss,
        hidden_size=size,
        recurrent_init=init,
        bidirectional=bidirectional,
        w_rec=1.1,
        w_in=0.8,
        bias=0.1,
        seq_len=12,
        seed=3,
        **extra,
    )
    assert_matches_autograd(result.to_dict())


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_weights_reproduce_torch_nn_rnn(activation: str, bidirectional: bool) -> None:
    data = simulate(
        activation=activation, hidden_size=5, bidirectional=bidirectional, input_pattern="sine"
    ).to_dict()
    np.testing.assert_allclose(
        np.array(data["hidden"]), torch_module_hidden(data).numpy(), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize(("w_rec", "seq_len"), [(0.3, 60), (2.5, 60), (1.0, 200)])
def test_far_gradients_match_autograd(w_rec: float, seq_len: int) -> None:
    # 0.3**59 ~ 1e-31 and 2.5**59 ~ 1e23 are still in float64: autograd can check the exponents.
    data = simulate(
        activation="linear", hidden_size=4, w_rec=w_rec, seq_len=seq_len, recurrent_init="gaussian"
    ).to_dict()
    assert_matches_autograd(data)


def test_step_bound_is_w2_norm_times_max_slope() -> None:
    data = simulate(
        activation="tanh", hidden_size=6, recurrent_init="gaussian", w_rec=1.4
    ).to_dict()
    w_hh = torch.tensor(data["weights"]["weight_hh_l0"], dtype=torch.float64)
    h = torch.tensor(data["hidden"], dtype=torch.float64)  # (T, H)
    x = torch.tensor(data["inputs"], dtype=torch.float64)  # (T, 1)
    w_ih = torch.tensor(data["weights"]["weight_ih_l0"], dtype=torch.float64)
    pre = x @ w_ih.T + torch.tensor(data["weights"]["bias_ih_l0"], dtype=torch.float64)
    pre[1:] += h[:-1] @ w_hh.T
    slope = (1 - torch.tanh(pre) ** 2).amax(dim=1)  # (T,)
    expected = torch.log10(torch.linalg.matrix_norm(w_hh, ord=2) * slope)
    assert data["step_bound_log10"][0] is None
    np.testing.assert_allclose(data["step_bound_log10"][1:], expected[1:].numpy(), atol=1e-12)
    # the bound's running sum bounds the true exponent (Pascanu et al. 2013)
    bound = np.cumsum(data["step_bound_log10"][:0:-1])[::-1]  # sum over steps t+1..T
    gaps = np.array(data["grad_log10"][:-1]) - data["grad_log10"][-1]
    assert (gaps <= bound + 1e-9).all()


@pytest.mark.parametrize("index", [0, 4, 9])
def test_input_gradient_matches_finite_differences(index: int) -> None:
    base = [0.4, -0.2, 0.9, 0.1, -0.6, 0.3, 0.7, -0.8, 0.2, 0.5]
    config = {"activation": "tanh", "hidden_size": 3, "w_rec": 1.2, "loss": "all", "seed": 5}
    eps = 1e-6

    def loss_at(delta: float) -> float:
        xs = list(base)
        xs[index] += delta
        return simulate(inputs=xs, **config).loss_value

    numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    exact = 10 ** simulate(inputs=base, **config).input_grad_log10[index]
    assert exact == pytest.approx(abs(numeric), rel=1e-7)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_relu_unit_whose_pre_activation_is_nan_passes_the_gradient_as_pytorch_does(
    bidirectional: bool,
) -> None:
    # inf - inf in the forward pass: PyTorch's relu backward masks only a <= 0, so a NaN
    # pre-activation passes the gradient on (f' = 1); it used to be read as a dead unit, which
    # made exact zeros (null) and a growth of 0 out of finite gradients.
    config = dict(activation="relu", inputs=[1e308, -1e308] * 5, w_in=1000.0, w_rec=-1.0)
    result = simulate(**config, hidden_size=2, bidirectional=bidirectional, loss="all")
    assert np.isnan(result.hidden).any()
    data = result.to_dict()
    ref = unrolled(data)
    got = logs(data["grad_log10"])
    assert np.isfinite(ref.grad_log10.numpy()).all()
    np.testing.assert_allclose(got, ref.grad_log10.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        logs(data["input_grad_log10"]), ref.input_grad_log10.numpy(), rtol=0, atol=1e-9
    )
    # the sweep's rows agree with simulate() (numpy sweep and torch pass alike)
    row = sweep(**config, hidden_size=2, bidirectional=bidirectional, w_rec_values=[-1.0])
    last = simulate(**config, hidden_size=2, bidirectional=bidirectional)
    np.testing.assert_allclose(row.grad_log10[0], last.grad_log10, rtol=0, atol=1e-12)
    assert row.growth_per_step[0] == pytest.approx(last.growth_per_step, rel=1e-12)
