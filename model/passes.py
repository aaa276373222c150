"""One batched forward + backward pass over directions D and batch rows N (w_rec values, losses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from . import gru, lstm, rnn
from .bptt import Backward, StepRule, backpropagate
from .cancel import Poll
from .config import SimConfig
from .logspace import combine_scaled, log10_hypot, log10_norm, log10_norm_sum
from .weights import Network


@dataclass(frozen=True)
class Pass:
    """Forward trace and backward trace of one batched pass, with what produced them."""

    config: SimConfig
    x_dir: torch.Tensor  # (T, D, I) inputs as each direction reads them (reverse: flipped)
    w_ih: torch.Tensor  # (D, G*H, I)
    q: torch.Tensor  # (D, G*H, H)
    w: torch.Tensor  # (N,) w_rec per row
    trace: Any  # RnnTrace | LstmTrace | GruTrace; all have .hidden (T, D, N, H)
    rule: StepRule
    backward: Backward

    @property
    def hidden_size(self) -> int:
        return int(self.q.shape[-1])

    def grad_log10_dirs(self) -> torch.Tensor:
        """log10 ||dL/dh_t|| per direction, (T, D, N), in each direction's own time order."""
        if self.backward.state is None:
            return self.backward.scale  # the state is h itself, of unit norm
        h_part = self.backward.state[..., : self.hidden_size]  # (T, D, N, H)
        return self.backward.scale + log10_norm(h_part)


def run_pass(
    config: SimConfig,
    net: Network,
    w: torch.Tensor,
    loss_all: torch.Tensor,
    device: torch.device,
    dtype: torch.dtype,
    poll: Poll,
) -> Pass:
    """Forward and renormalised backward pass for every direction and every row of w."""
    dirs = config.directions
    x = net.inputs.to(device=device, dtype=dtype)  # (T, I)
    x_dir = torch.stack([x, x.flip(0)][:dirs], dim=1)  # (T, D, I)
    w_ih = net.w_ih.to(device=device, dtype=dtype)  # (D, G*H, I)
    b_ih = net.b_ih.to(device=device, dtype=dtype)  # (D, G*H)
    q = net.q.to(device=device, dtype=dtype)  # (D, G*H, H)
    w = w.to(device=device, dtype=dtype)  # (N,)
    x_proj = (torch.einsum("tdi,dgi->tdg", x_dir, w_ih) + b_ih).unsqueeze(2)  # (T, D, 1, G*H)
    rule: StepRule
    if config.cell == "rnn":
        trace: Any = rnn.forward(x_proj, q, w, config.activation, poll)
        rule = rnn.RnnStep(trace, q, w, config.activation)
    elif config.cell == "lstm":
        trace = lstm.forward(x_proj, q, w, poll)
        rule = lstm.LstmStep(trace, q, w)
    else:
        trace = gru.forward(x_proj, q, w, poll)
        rule = gru.GruStep(trace, q, w)
    seq_len, size = x.shape[0], q.shape[-1]
    direct = torch.zeros(rule.state_size, device=device, dtype=dtype)  # (S,)
    direct[:size] = 1.0  # the loss is a plain sum of the components of h_t
    shape = (seq_len, dirs, w.shape[0], q.shape[1])
    backward = backpropagate(rule, shape, direct, loss_all.to(device), poll)
    return Pass(config, x_dir, w_ih, q, w, trace, rule, backward)


def join_directions(per_dir: torch.Tensor) -> torch.Tensor:
    """(T, D, ...) -> (T, ...) norms of [forward, backward] at the same t, from log10 norms."""
    if per_dir.shape[1] == 1:
        return per_dir[:, 0]
    return log10_hypot(per_dir[:, 0], per_dir[:, 1].flip(0))


def concat_directions(per_dir: torch.Tensor) -> torch.Tensor:
    """(T, D, H) -> (T, D*H): [forward h_t, backward h_t] as PyTorch's bidirectional output."""
    if per_dir.shape[1] == 1:
        return per_dir[:, 0]
    return torch.cat([per_dir[:, 0], per_dir[:, 1].flip(0)], dim=-1)


def input_grad_log10(p: Pass, row: int) -> torch.Tensor:
    """log10 ||dL/dx_t|| (T,): W_ih^T dL/da_t, both directions summed as vectors."""
    da = p.backward.da_ih[:, :, row]  # (T, D, G*H)
    y = torch.einsum("tdg,dgi->tdi", da, p.w_ih)  # (T, D, I)
    scale = p.backward.da_scale[:, :, row]  # (T, D)
    if y.shape[1] == 1:
        return log10_norm(y[:, 0]) + scale[:, 0]
    vec, m = combine_scaled(y[:, 0], scale[:, 0], y[:, 1].flip(0), scale[:, 1].flip(0))
    return log10_norm(vec) + m


def _log10_norm_outer(da: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log10 ||sum_t da_t z_t^T|| per direction: da (T, D, G*H), z (T, D, K) -> (D,)."""
    zmax = z.abs().amax(dim=(0, 2))  # (D,)
    zmax = torch.where(zmax > 0, zmax, torch.ones_like(zmax))
    outer = torch.matmul(da.permute(1, 2, 0), (z / zmax.view(1, -1, 1)).transpose(0, 1))
    return log10_norm(outer.flatten(1)) + torch.log10(zmax).double()  # (D,)


def param_grad_log10(p: Pass, row: int) -> float:
    """log10 of the total norm of dL/d(weight_ih, weight_hh, bias_ih, bias_hh), every direction.

    dW = sum_t dL/da_t z_t^T with each dL/da_t at its own log scale: the terms are brought to
    the largest scale per direction first, so the norm is finite even when it overflows float64.
    NaN when the forward pass overflowed (the gradient is then undefined).
    """
    hidden = p.trace.hidden[:, :, row]  # (T, D, H)
    if not bool(torch.isfinite(hidden).all()):
        return float("nan")
    scale = p.backward.da_scale[:, :, row]  # (T, D)
    top = scale.amax(dim=0)  # (D,)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    coef = torch.pow(10.0, scale - top).to(hidden.dtype).unsqueeze(-1)  # (T, D, 1)
    da_ih = p.backward.da_ih[:, :, row] * coef  # (T, D, G*H)
    da_hh = p.backward.da_hh[:, :, row] * coef  # (T, D, G*H)
    h_prev = torch.cat([torch.zeros_like(hidden[:1]), hidden[:-1]])  # (T, D, H)
    parts = torch.stack(
        [
            _log10_norm_outer(da_ih, p.x_dir),
            _log10_norm_outer(da_hh, h_prev),
            log10_norm(da_ih.sum(dim=0)),
            log10_norm(da_hh.sum(dim=0)),
        ],
        dim=-1,
    ) + top.unsqueeze(-1)  # (D, 4)
    return float(log10_norm_sum(parts.flatten()))
