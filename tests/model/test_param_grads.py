"""Parameter-gradient norms and clipping: torch.nn.utils.clip_grad_norm_ and a closed form."""

from __future__ import annotations

import math

import mpmath
import pytest
import torch
from torch_reference import unrolled

from model import simulate
from model.engine import _clipped

# Each test runs on the numpy path (the CPU float64 default) and on the torch pass.
pytestmark = pytest.mark.usefixtures("engine_path")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("clip_norm", [0.05, 1e6])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_clipping_matches_clip_grad_norm(cell: str, clip_norm: float, bidirectional: bool) -> None:
    data = simulate(
        cell=cell,
        hidden_size=4,
        seq_len=15,
        w_rec=1.2,
        loss="all",
        input_pattern="random",
        clip_norm=clip_norm,
        bidirectional=bidirectional,
    ).to_dict()
    ref = unrolled(data)
    total = torch.nn.utils.clip_grad_norm_(ref.params, max_norm=clip_norm)
    clipped = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in ref.params]))
    assert data["param_grad_norm"] == pytest.approx(total.item(), rel=1e-9)
    assert data["param_grad_log10"] == pytest.approx(math.log10(total.item()), abs=1e-9)
    assert data["clipped_param_grad_norm"] == pytest.approx(clipped.item(), rel=1e-9)
    if clip_norm < 1:
        assert data["clipped_param_grad_norm"] == pytest.approx(clip_norm, rel=1e-6)


def test_param_gradient_beyond_float64_keeps_its_exponent() -> None:
    # linear, one neuron, impulse: h_t = w^(t-1) stays finite up to 1e307, but
    # dW_hh = (T-1) w^(T-2) ~ 1e310 overflows. Closed form, with the biases' geometric sums.
    seq_len = 2000
    w = 10 ** (307 / (seq_len - 1))
    result = simulate(activation="linear", w_rec=w, seq_len=seq_len, clip_norm=1.0)
    mpmath.mp.dps = 50
    wm = mpmath.mpf(w)
    bias_sum = sum(wm**k for k in range(seq_len))
    norm = mpmath.sqrt(
        wm ** (2 * (seq_len - 1)) + (seq_len - 1) ** 2 * wm ** (2 * (seq_len - 2)) + 2 * bias_sum**2
    )
    assert result.param_grad_log10 == pytest.approx(float(mpmath.log10(norm)), abs=1e-9)
    data = result.to_dict()
    assert data["param_grad_norm"] is None  # beyond float64
    assert data["param_grad_log10"] > 309
    assert data["clipped_param_grad_norm"] == 1.0  # clipping still brings it to clip_norm
    assert data["loss_value"] == pytest.approx(w ** (seq_len - 1), rel=1e-9)


def test_no_clip_norm_means_null_clipped_norm() -> None:
    assert simulate(cell="gru").to_dict()["clipped_param_grad_norm"] is None


@pytest.mark.parametrize("log_norm", [-320.0, -7.0, -6.0, 0.0, 0.5, 5.0, 308.2])
@pytest.mark.parametrize("clip_norm", [1e-7, 1.0, 3.0, 1e300])
def test_clipped_norm_follows_torch_formula(log_norm: float, clip_norm: float) -> None:
    norm = 10.0**log_norm
    grad = torch.tensor([norm], dtype=torch.float64, requires_grad=True)
    grad.grad = torch.tensor([norm], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([grad], max_norm=clip_norm)
    assert _clipped(math.log10(norm) if norm else log_norm, clip_norm) == pytest.approx(
        grad.grad.item(), rel=1e-12, abs=0
    )


def test_clipped_norm_beyond_float64_is_clip_norm() -> None:
    assert _clipped(400.0, 2.5) == 2.5
    assert _clipped(float("nan"), 2.5) is None
    assert _clipped(1.0, None) is None
