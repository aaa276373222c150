"""Renormalised backpropagation through time: a unit backward vector plus its log10 scale.

As in Lyapunov-exponent computations, the backward vector is rescaled to norm 1 every step and
its log10 scale is carried separately, so gradients of 1e-4000 or 1e+4000 keep exact exponents.
Each cell supplies a StepRule; the loop here is shared by RNN, LSTM and GRU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from .cancel import Poll
from .logspace import absorb, renorm


class StepRule(Protocol):
    """How one cell sends a backward vector through step t (0-based)."""

    state_size: int  # S: H, or 2H for the LSTM's (h, c)
    separate_hh: bool  # whether the recurrent weights see a different dL/da than the input ones

    def preact(
        self, t: int, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """dL/da_t for the input and the recurrent weights (D, N, G*H), and an extra log10 scale."""
        ...

    def carry(
        self, t: int, v: torch.Tensor, da_hh: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Gradient w.r.t. state t-1 through step t (D, N, S), and an extra log10 scale."""
        ...


@dataclass(frozen=True)
class Backward:
    """Every gradient of the backward pass as a unit-scale tensor and its log10 scale."""

    state: torch.Tensor  # (T, D, N, S) dL/d(state_t), unit norm per (t, d, n)
    scale: torch.Tensor  # (T, D, N) float64 log10 of its norm (-inf: exactly zero)
    da_ih: torch.Tensor  # (T, D, N, G*H) dL/da_t as the input weights see it, times 10**-da_scale
    da_hh: torch.Tensor  # (T, D, N, G*H) same for the recurrent weights (differs for the GRU)
    da_scale: torch.Tensor  # (T, D, N) float64


def backpropagate(
    rule: StepRule,
    shape: tuple[int, int, int, int],
    direct: torch.Tensor,
    loss_all: torch.Tensor,
    poll: Poll,
) -> Backward:
    """Run the backward pass from t = T to 1 for every row (direction d, batch row n).

    shape = (T, D, N, G*H); direct (S,) is dL/d(state_t) from the loss at a step where the loss
    reads h_t (ones on h, zeros on c); loss_all (N,) says which rows read every step.
    """
    seq_len, dirs, rows, gh = shape
    device, dtype = direct.device, direct.dtype
    size = rule.state_size
    state = torch.empty(seq_len, dirs, rows, size, device=device, dtype=dtype)
    scale = torch.empty(seq_len, dirs, rows, device=device, dtype=torch.float64)
    da_ih = torch.empty(seq_len, dirs, rows, gh, device=device, dtype=dtype)
    da_hh = torch.empty_like(da_ih) if rule.separate_hh else da_ih
    da_scale = torch.empty_like(scale)
    every_step = loss_all.view(1, rows).expand(dirs, rows)  # (D, N)
    any_every_step = bool(loss_all.any())
    last_step = torch.ones_like(every_step)
    v = torch.zeros(dirs, rows, size, device=device, dtype=dtype)  # (D, N, S)
    s = torch.full((dirs, rows), float("-inf"), device=device, dtype=torch.float64)  # (D, N)
    for t in range(seq_len - 1, -1, -1):
        poll(t)
        if t == seq_len - 1:
            v, s = absorb(v, s, direct, last_step)
        elif any_every_step:
            v, s = absorb(v, s, direct, every_step)
        state[t] = v
        scale[t] = s
        a_ih, a_hh, extra = rule.preact(t, v)
        ds = s if extra is None else s + extra
        da_ih[t] = a_ih
        if rule.separate_hh:
            da_hh[t] = a_hh
        da_scale[t] = ds
        if t > 0:
            u, extra = rule.carry(t, v, a_hh)
            v, s = renorm(u, ds if extra is None else ds + extra)
    return Backward(state=state, scale=scale, da_ih=da_ih, da_hh=da_hh, da_scale=da_scale)
