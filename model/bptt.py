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
from .logspace import NEG_INF, absorb


class StepRule(Protocol):
    """How one cell sends a backward vector through step t (0-based)."""

    state_size: int  # S: H, or 2H for the LSTM's (h, c)
    separate_hh: bool  # whether the recurrent weights see a different dL/da than the input ones
    needs_state: bool  # whether the unit state vectors are kept (the LSTM's carry c's gradient)

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

    state: torch.Tensor | None  # (T, D, N, S) dL/d(state_t), unit norm; None unless needs_state
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
    When no row does, the log scales are summed once at the end (a cumulative sum of the
    per-step log10 growths) instead of step by step: fewer tiny tensor ops per step.
    """
    seq_len, dirs, rows, _ = shape
    every_step = loss_all.view(1, rows).expand(dirs, rows)  # (D, N)
    running = bool(loss_all.any())
    v = direct.new_zeros((dirs, rows, rule.state_size))  # (D, N, S)
    s = torch.full((dirs, rows), NEG_INF, device=direct.device, dtype=torch.float64)  # (D, N)
    v, s = absorb(v, s, direct, torch.ones_like(every_step))  # t = T: the loss reads h_T
    top_scale = s
    states: list[torch.Tensor] = []
    das_ih: list[torch.Tensor] = []
    das_hh: list[torch.Tensor] = []
    extras: list[torch.Tensor | None] = []  # log10 scale split off dL/da_t, per step
    carry_extras: list[torch.Tensor | None] = []  # log10 scale split off the carry, per step
    norms: list[torch.Tensor] = []  # log10 norm of each carried vector before renormalising
    scales: list[torch.Tensor] = []
    for t in range(seq_len - 1, -1, -1):
        poll(t)
        if running:
            if t < seq_len - 1:
                v, s = absorb(v, s, direct, every_step)
            scales.append(s)
        if rule.needs_state:
            states.append(v)
        a_ih, a_hh, extra = rule.preact(t, v)
        das_ih.append(a_ih)
        if rule.separate_hh:
            das_hh.append(a_hh)
        extras.append(extra)
        if t > 0:
            u, carry_extra = rule.carry(t, v, a_hh)
            n = torch.linalg.vector_norm(u, dim=-1, keepdim=True)  # (D, N, 1)
            v = torch.nan_to_num_(u / n, nan=0.0)  # an exact zero stays zero
            if running:
                s = s + _sum_logs(torch.log10(n.squeeze(-1)).double(), extra, carry_extra)
            else:
                norms.append(torch.log10(n))
                carry_extras.append(carry_extra)
    zero = torch.zeros_like(top_scale)  # (D, N)
    extra_all = _stack_logs(extras, zero)  # (T, D, N) in loop order t = T..1
    if running:
        scale = torch.stack(scales[::-1])  # (T, D, N)
    else:
        # s_(t-1) = s_t + log10 |carry_t| + extras: one cumulative sum instead of a loop of adds
        steps = top_scale.new_zeros((0, dirs, rows))
        if norms:
            growth = torch.stack(norms).squeeze(-1).double()  # (T-1, D, N)
            steps = growth + extra_all[:-1] + _stack_logs(carry_extras, zero)
        from_top = torch.cat([top_scale.unsqueeze(0), top_scale + torch.cumsum(steps, dim=0)])
        scale = from_top.flip(0)  # (T, D, N)
    da_ih = torch.stack(das_ih[::-1])  # (T, D, N, G*H)
    return Backward(
        state=torch.stack(states[::-1]) if rule.needs_state else None,
        scale=scale,
        da_ih=da_ih,
        da_hh=torch.stack(das_hh[::-1]) if rule.separate_hh else da_ih,
        da_scale=scale + extra_all.flip(0),
    )


def _sum_logs(base: torch.Tensor, *logs: torch.Tensor | None) -> torch.Tensor:
    for extra in logs:
        if extra is not None:
            base = base + extra
    return base


def _stack_logs(logs: list[torch.Tensor | None], zero: torch.Tensor) -> torch.Tensor:
    """Per-step log10 scales (None = 0) as one float64 (steps, D, N) tensor."""
    if all(x is None for x in logs):
        return zero.expand(len(logs), *zero.shape)
    return torch.stack([zero if x is None else x.double().expand_as(zero) for x in logs])
