"""LSTM and GRU against PyTorch autograd (float64) and torch.nn.LSTM/GRU, and over long spans."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from test_rnn_autograd import RANDOM_INPUTS_3, logs
from torch_reference import torch_module_hidden, unrolled

from model import simulate

CASES = [
    case
    for case in itertools.product(
        ("lstm", "gru"),
        ("last", "all"),
        (1, 3, 8),
        (1, 3),
        ("orthogonal", "identity", "gaussian"),
        (False, True),
    )
    if case[2] > 1 or case[4] == "orthogonal"
]


@pytest.mark.parametrize(("cell", "loss", "size", "inputs", "init", "bidirectional"), CASES)
def test_gated_cells_match_autograd(
    cell: str, loss: str, size: int, inputs: int, init: str, bidirectional: bool
) -> None:
    extra = {"inputs": RANDOM_INPUTS_3} if inputs == 3 else {"input_pattern": "random"}
    data = simulate(
        cell=cell,
        loss=loss,
        hidden_size=size,
        recurrent_init=init,
        bidirectional=bidirectional,
        w_rec=1.3,
        w_in=0.9,
        bias=0.2,
        forget_bias=0.5,
        seq_len=12,
        seed=11,
        **extra,
    ).to_dict()
    ref = unrolled(data)
    np.testing.assert_allclose(np.array(data["hidden"]), ref.hidden.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(logs(data["grad_log10"]), ref.grad_log10.numpy(), atol=1e-9)
    np.testing.assert_allclose(
        logs(data["input_grad_log10"]), ref.input_grad_log10.numpy(), atol=1e-9
    )
    assert data["param_grad_norm"] == pytest.approx(ref.param_grad_norm, rel=1e-9)
    assert data["loss_value"] == pytest.approx(ref.loss.item(), rel=1e-12)
    assert ref.gates is not None
    assert set(data["gates"]) == set(ref.gates)
    for name, values in ref.gates.items():
        np.testing.assert_allclose(np.array(data["gates"][name]), values.numpy(), rtol=1e-12)
    if cell == "lstm":
        assert ref.cell_state is not None and ref.cell_grad_log10 is not None
        np.testing.assert_allclose(np.array(data["cell_state"]), ref.cell_state.numpy(), rtol=1e-12)
        np.testing.assert_allclose(
            logs(data["cell_grad_log10"]), ref.cell_grad_log10.numpy(), atol=1e-9
        )
    else:
        assert "cell_state" not in data and "cell_grad_log10" not in data
    assert data["step_bound_log10"] == [None] * 12


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_weights_reproduce_torch_nn_modules(cell: str, bidirectional: bool) -> None:
    data = simulate(
        cell=cell, hidden_size=4, bidirectional=bidirectional, input_pattern="sine", bias=0.3
    ).to_dict()
    np.testing.assert_allclose(
        np.array(data["hidden"]), torch_module_hidden(data).numpy(), rtol=1e-12, atol=1e-14
    )


def test_forget_bias_goes_to_the_forget_block_only() -> None:
    data = simulate(cell="lstm", hidden_size=2, bias=0.1, forget_bias=1.5).to_dict()
    assert data["weights"]["bias_ih_l0"] == [0.1, 0.1, 1.6, 1.6, 0.1, 0.1, 0.1, 0.1]
    assert data["weights"]["bias_hh_l0"] == [0.0] * 8


def test_forget_bias_keeps_the_cell_highway_open() -> None:
    def span(forget_bias: float) -> float:
        grads = simulate(cell="lstm", seq_len=100, forget_bias=forget_bias).cell_grad_log10
        assert grads is not None
        return float(grads[0] - grads[-1])

    assert span(0.0) < -10  # f ~ 0.5: the cell gradient halves each step
    assert span(5.0) > -1  # f ~ 0.993: it barely decays over 100 steps


def _fixed_point_radius(cell: str, data: dict) -> float:
    """Spectral radius of the step Jacobian at the fixed point reached under constant input."""
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in data["weights"].items()}
    x = torch.tensor(data["inputs"][0], dtype=torch.float64)
    size = w["weight_hh_l0"].shape[1]

    def step(state: torch.Tensor) -> torch.Tensor:
        h, c = state[:size], state[size:]
        gates = x @ w["weight_ih_l0"].T + w["bias_ih_l0"] + h @ w["weight_hh_l0"].T
        if cell == "lstm":
            i, f, g, o = gates.chunk(4)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.cat([torch.sigmoid(o) * torch.tanh(c), c])
        gi = (x @ w["weight_ih_l0"].T + w["bias_ih_l0"]).chunk(3)
        gh = (h @ w["weight_hh_l0"].T).chunk(3)
        r, z = torch.sigmoid(gi[0] + gh[0]), torch.sigmoid(gi[1] + gh[1])
        n = torch.tanh(gi[2] + r * gh[2])
        return torch.cat([(1 - z) * n + z * h, c])

    h = torch.tensor(data["hidden"][-1], dtype=torch.float64)
    c = torch.tensor(data["cell_state"][-1] if cell == "lstm" else [0.0] * size)
    state = torch.cat([h, c.double()])
    assert torch.allclose(step(state), state, atol=1e-13)  # converged
    jac = torch.autograd.functional.jacobian(step, state)
    if cell == "gru":
        jac = jac[:size, :size]
    return float(torch.linalg.eigvals(jac).abs().max())


@pytest.mark.parametrize(
    ("cell", "forget_bias", "below"), [("lstm", -3.0, -320), ("lstm", 2.0, -20), ("gru", 0.0, -150)]
)
def test_long_chains_decay_at_the_fixed_point_jacobian_rate(
    cell: str, forget_bias: float, below: float
) -> None:
    # T = 2000 takes the gradient far below float64; its slope must be log10 of the
    # spectral radius of the step Jacobian at the fixed point (a Lyapunov exponent).
    data = simulate(
        cell=cell,
        hidden_size=3,
        seq_len=2000,
        input_pattern="constant",
        w_rec=0.8,
        forget_bias=forget_bias,
        seed=2,
    ).to_dict()
    grads = np.array(data["grad_log10"], dtype=float)
    assert np.isfinite(grads).all()
    assert grads[0] < below  # -320: below the smallest float64
    slope = (grads[1000] - grads[600]) / 400  # converged, and far from the end at T
    assert slope == pytest.approx(-np.log10(_fixed_point_radius(cell, data)), abs=1e-9)
    if cell == "lstm":
        assert all(isinstance(g, float) for g in data["cell_grad_log10"])
