"""Vanilla RNN, h_t = f(W1 x_t + W2 h_(t-1) + b): forward trace and renormalised backward step."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .cancel import Poll
from .logspace import LN10

# A step where some f'(a_i) / max_i f'(a_i) is below tiny**ROUGH_FRACTION (1e-246 in float64,
# 1e-30 in float32) takes the per-component log path: the product could flush to zero.
ROUGH_FRACTION = 0.8


@dataclass(frozen=True)
class RnnTrace:
    """Forward values of every step, for every direction d and batch row n."""

    pre: torch.Tensor  # (T, D, N, H) pre-activations a_t
    hidden: torch.Tensor  # (T, D, N, H) h_t


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor] | None] = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "linear": None,  # h_t is a_t itself
}


def log10_slope(activation: str, a: torch.Tensor) -> torch.Tensor:
    """log10 f'(a), exact even where f'(a) underflows (tanh at |a| = 50 gives -43.1...)."""
    if activation == "tanh":
        # sech^2 a = 4 e^(-2|a|) / (1 + e^(-2|a|))^2
        mag = a.abs()
        # 2 / ln 10 < 1 multiplies last: 2 * (...) would overflow past |a| ~ 9e307
        return (math.log(2.0) - mag - torch.log1p(torch.exp(-2 * mag))) * (2 / LN10)
    if activation == "sigmoid":
        # sigma(a) sigma(-a) = e^(-|a|) / (1 + e^(-|a|))^2
        mag = a.abs()
        return (-mag - 2 * torch.log1p(torch.exp(-mag))) / LN10
    if activation == "relu":
        # As PyTorch's relu backward: 0 where a <= 0 (a = 0 is a dead unit too), 1 elsewhere,
        # a NaN pre-activation (inf - inf) included, which passes the gradient on.
        return torch.where(a <= 0, float("-inf"), 0.0).to(a.dtype)
    return torch.zeros_like(a)


def slope_ratio(activation: str, a: torch.Tensor, a_min: torch.Tensor) -> torch.Tensor:
    """f'(a) / f'(a_min) for tanh and sigmoid (f' peaks at 0, so the ratio is at most 1)."""
    if activation == "tanh":
        # sech^2 a / sech^2 a_min, in place on one fresh (T, D, N, H) tensor
        return torch.cosh(a).reciprocal_().mul_(torch.cosh(a_min)).square_()
    slope = torch.sigmoid(a).mul_(torch.sigmoid(-a))
    return slope.div_(torch.sigmoid(a_min) * torch.sigmoid(-a_min))


def forward(
    x_proj: torch.Tensor, q: torch.Tensor, w: torch.Tensor, activation: str, poll: Poll
) -> RnnTrace:
    """Unroll T steps. x_proj (T, D, 1, H) = W1 x_t + b; q (D, H, H); w (N,) the w_rec per row."""
    _, dirs, _, size = x_proj.shape
    rows = w.shape[0]
    qt = q.transpose(1, 2)  # (D, H, H)
    wv = w.view(1, rows, 1)
    h = x_proj.new_zeros((dirs, rows, size))  # (D, N, H)
    f = ACTIVATIONS[activation]
    pres, hiddens = [], []
    for t, x_t in enumerate(x_proj.unbind(0)):
        poll(t)
        a = torch.addcmul(x_t, wv, torch.matmul(h, qt))  # (D, N, H)
        h = a if f is None else f(a)
        pres.append(a)
        hiddens.append(h)
    pre = torch.stack(pres)  # (T, D, N, H)
    return RnnTrace(pre=pre, hidden=pre if f is None else torch.stack(hiddens))


class RnnStep:
    """Backward step of the vanilla RNN: dL/da_t = f'(a_t) * dL/dh_t, dL/dh_(t-1) = W2^T dL/da_t.

    For tanh and sigmoid, the per-step maximum m_t = log10 max_i f'(a_t,i) (exact, from the
    log formula) goes to the log scale and f' / 10**m_t (at most 1) multiplies the unit
    vector, so a saturated unit (f' = 1e-40 each step) never underflows. Where some unit's f'
    is over ~1e-246 below the step's largest, that product could flush to zero, so such steps
    instead take log10 |v_i| + log10 f'(a_i) per component and split off its maximum: the
    exponent stays exact either way.
    """

    separate_hh = False
    needs_state = False

    def __init__(self, trace: RnnTrace, q: torch.Tensor, w: torch.Tensor, activation: str):
        self.state_size = trace.hidden.shape[-1]
        self.activation = activation
        signs = torch.sign(w).to(q.dtype)  # (N,)
        self.sign: torch.Tensor | None = signs.view(1, -1, 1)  # (1, N, 1)
        self.q = q  # (D, H, H)
        if bool((signs == signs[0]).all()):  # one sign for every row: fold it into Q
            self.q, self.sign = q * signs[0], None
        self.log_w = torch.log10(w.abs()).double().view(1, -1)  # (1, N)
        self.rough: list[bool] = []
        if activation in ("tanh", "sigmoid"):
            self.pre = trace.pre.unbind(0)  # T x (D, N, H)
            a_min = trace.pre.abs().amin(dim=-1, keepdim=True)  # (T, D, N, 1) where f' peaks
            ratio = slope_ratio(activation, trace.pre, a_min)  # (T, D, N, H) in [0, 1]
            self.slope = ratio.unbind(0)
            self.top = log10_slope(activation, a_min.squeeze(-1)).unbind(0)  # T x (D, N)
            floor = torch.finfo(ratio.dtype).tiny ** ROUGH_FRACTION
            # NaN (inf / inf past cosh's range) fails >= and so counts as rough too
            self.rough = (~(ratio.amin(dim=(1, 2, 3)) >= floor)).tolist()
        elif activation == "relu":
            # f' itself, 1 at a NaN pre-activation as in PyTorch (see log10_slope)
            self.slope = (~(trace.pre <= 0)).to(trace.pre.dtype).unbind(0)  # T x (D, N, H)

    def preact(
        self, t: int, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        if self.activation == "linear":
            return v, v, None
        if self.activation == "relu":
            da = v * self.slope[t]  # (D, N, H)
            return da, da, None
        if not self.rough[t]:
            da = v * self.slope[t]  # (D, N, H)
            return da, da, self.top[t]
        logs = torch.log10(v.abs()) + log10_slope(self.activation, self.pre[t])  # (D, N, H)
        m = logs.amax(dim=-1)  # (D, N)
        m_safe = m.clamp(min=torch.finfo(m.dtype).min)  # all-zero v: -inf - min = -inf -> 0
        da = torch.copysign(torch.pow(10.0, logs - m_safe.unsqueeze(-1)), v)  # (D, N, H)
        return da, da, m

    def carry(
        self, t: int, v: torch.Tensor, da_hh: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        # |w_rec| goes to the log scale, so even a subnormal w_rec loses no precision.
        u = torch.matmul(da_hh, self.q)  # (D, N, H)
        return (u if self.sign is None else self.sign * u), self.log_w


def step_bound_log10(
    trace: RnnTrace, q: torch.Tensor, w: torch.Tensor, activation: str
) -> torch.Tensor:
    """log10 (||W2||_2 max_i |f'(a_t,i)|) per step, (T, D, N); NaN at t = 1 (no step Jacobian)."""
    norm_q = torch.log10(torch.linalg.matrix_norm(q.double(), ord=2))  # (D,)
    log_w = torch.log10(w.abs().double())  # (N,)
    if activation in ("tanh", "sigmoid"):  # f' peaks where |a| is smallest
        top = log10_slope(activation, trace.pre.abs().amin(dim=-1)).double()  # (T, D, N)
    else:
        top = log10_slope(activation, trace.pre).amax(dim=-1).double()
    bound = top + norm_q.view(1, -1, 1) + log_w.view(1, 1, -1)
    bound[0] = float("nan")
    return bound
