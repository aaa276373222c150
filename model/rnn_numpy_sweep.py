"""sweep() for the vanilla RNN in numpy (CPU, float64): every w_rec value is a row of one batch.

The maths of model.passes.run_pass with model.rnn and model.bptt, batched over the values V
and the directions D as there: at these sizes numpy's ops cost 2-3x less than torch's. The
backward vector is renormalised every step (a unit vector plus its log10 scale); |w_rec| goes
to the log scale and sign(w_rec) to the vector, so rows of either sign share one Q per direction.
Loss "all" runs one more block of rows, a loss "last" copy of the forward direction, for
growth_per_step (engine.sweep's torch path appends the same rows with torch.cat).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from . import rnn
from .cancel import Poll
from .config import SimConfig
from .rnn_numpy import ACTIVATIONS, TINY, log10_hypot, log10_slope
from .weights import Network

# A squared norm below this takes the scaled route: its square root keeps every bit down to here
NN_LOW = 1e-290


def sweep_rows(
    config: SimConfig, net: Network, values: Sequence[float], poll: Poll
) -> tuple[np.ndarray, np.ndarray]:
    """grad_log10 (V, T), directions joined, and growth_per_step (V,) for every w_rec value."""
    act, dirs = config.activation, config.directions
    w = np.array(values, dtype=np.float64)  # (V,)
    x = net.inputs.numpy()  # (T, I)
    x_dir = np.stack([x, x[::-1]][:dirs], axis=1)  # (T, D, I)
    w_ih = net.w_ih.numpy()  # (D, H, I)
    x_proj = np.einsum("tdi,dhi->tdh", x_dir, w_ih) + net.b_ih.numpy()  # (T, D, H)
    q = net.q.numpy()  # (D, H, H)
    tr = forward(x_proj, q, w, act, poll)
    pre, ratio, top = tr.pre, tr.ratio, tr.top
    if config.loss == "all":  # block D: the forward direction again, under loss "last"
        chains = [*range(dirs), 0]
        pre, q, top = pre[:, chains], q[chains], top[:, chains]
        ratio = None if ratio is None else ratio[:, chains]
    read_all = dirs if config.loss == "all" else 0
    scale = backward(pre, ratio, top, tr.rough, q, w, act, read_all, poll)  # (T, B, V)
    grads = scale[:, 0] if dirs == 1 else log10_hypot(scale[:, 0], scale[::-1, 1])  # (T, V)
    last = dirs if config.loss == "all" else 0  # the block under loss "last", forward direction
    return np.ascontiguousarray(grads.T), growth(scale[:, last])


@dataclass(frozen=True)
class SweepTrace:
    """Forward values of every step as columns: hidden unit i of value n at [..., i, n]."""

    pre: np.ndarray  # (T, D, H, V) a_t
    ratio: np.ndarray | None  # (T, D, H, V) f'(a_t) / 10**top (None: f' = 1, linear)
    top: np.ndarray  # (T, D, V) log10 max_i f'(a_t,i) (0 for relu and linear)
    rough: list[int]  # the steps that take per-component logs (tanh, sigmoid), ascending


def forward(
    x_proj: np.ndarray, q: np.ndarray, w: np.ndarray, activation: str, poll: Poll
) -> SweepTrace:
    """Unroll T steps for every value: a_t = x_proj[t] + w_rec (Q h_(t-1)), h_t = f(a_t).

    x_proj (T, D, H) = W1 x_t + b, q (D, H, H), w (V,). The values are the last axis, so the
    reductions over the hidden units (f' split as model.rnn.RnnStep splits it) run across
    values at once, each step while its a_t is still in cache. The sums are model.rnn.forward's
    (x + w * (h Q^T)).
    """
    seq_len, dirs, size = x_proj.shape
    rows = w.shape[0]
    pre = np.empty((seq_len, dirs, size, rows))  # (T, D, H, V)
    ratio = None if activation == "linear" else np.empty_like(pre)  # (T, D, H, V)
    a_min = np.zeros((seq_len, dirs, rows))  # (T, D, V) the smallest |a_t,i|, where f' peaks
    f = ACTIVATIONS.get(activation)
    w_rows = np.ascontiguousarray(np.broadcast_to(w, (size, rows)))  # (H, V): no broadcast
    x_cols = x_proj[..., None]  # (T, D, H, 1)
    driven = cast(list[bool], x_proj.any(axis=(1, 2)).tolist())  # impulse: most steps undriven
    pre_c, ratio_c, q_c, a_min_c = pre, ratio, q, a_min
    if dirs == 1:  # one direction: plain 2-D products cost less than a stack of one
        pre_c, q_c, x_cols, a_min_c = pre[:, 0], q[0], x_cols[:, 0], a_min[:, 0]
        ratio_c = None if ratio is None else ratio[:, 0]
    split = activation in ("tanh", "sigmoid")
    floor = TINY**rnn.ROUGH_FRACTION  # read at call time: tests move it
    rough: list[int] = []
    stoppable = poll.should_stop is not None
    h_buf = np.zeros(pre_c.shape[1:])  # (D, H, V) or (H, V): h_t, once the product has read it
    h = h_buf
    for t in range(seq_len):
        if stoppable:
            poll(t)
        a = pre_c[t]
        np.matmul(q_c, h, out=a)
        a *= w_rows
        if driven[t]:
            a += x_cols[t]
        h = a if f is None else f(a, h_buf)
        if ratio_c is None:
            continue
        r = ratio_c[t]
        if not split:
            # relu: f' itself, 1 - [a <= 0], so 1 at a NaN pre-activation as in PyTorch
            np.subtract(1.0, np.less_equal(a, 0.0, out=r), out=r)
            continue
        np.minimum.reduce(np.abs(a, out=r), axis=-2, out=a_min_c[t])
        if activation == "tanh":  # (cosh(a_min) / cosh(a))**2 in [0, 1]
            np.divide(np.cosh(a_min_c[t])[..., None, :], np.cosh(a, out=r), out=r)
            np.square(r, out=r)
        else:
            np.divide(_sigmoid_slope(a), _sigmoid_slope(a_min_c[t])[..., None, :], out=r)
        if not r.min() >= floor:  # NaN (inf / inf past cosh's range) counts as rough too
            rough.append(t)
    top = log10_slope(activation, a_min) if split else np.zeros_like(a_min)
    return SweepTrace(pre=pre, ratio=ratio, top=top, rough=rough)


def _sigmoid_slope(a: np.ndarray) -> np.ndarray:
    """sigma(a) sigma(-a), as model.rnn.slope_ratio forms it."""
    return 1.0 / (1.0 + np.exp(-a)) * (1.0 / (1.0 + np.exp(a)))


def backward(
    pre: np.ndarray,
    ratio: np.ndarray | None,
    top: np.ndarray,
    rough: list[int],
    q: np.ndarray,
    w: np.ndarray,
    activation: str,
    read_all: int,
    poll: Poll,
) -> np.ndarray:
    """log10 ||dL/dh_t|| (T, B, V) for every block b of chains and every value.

    pre and ratio (T, B, H, V), top (T, B, V), q (B, H, H). The first read_all blocks are under
    loss "all" (the loss reads every h_t); the rest under loss "last", whose log scales are
    summed once at the end (a cumulative sum, as model.bptt does) when no block reads every step.
    """
    seq_len, blocks, size, _ = pre.shape
    log_w = np.log10(np.abs(w))  # (V,): -inf for w_rec = 0, whose rows then carry -inf
    # sign(w_rec) is left out of the products: a "last" chain's norms never see it, and an "all"
    # block takes it where the loss's term is added, the one place it changes a norm
    sign = np.where(w < 0, -1.0, 1.0) if read_all and bool((w < 0).any()) else None  # (V,)
    qt = np.ascontiguousarray(q.transpose(0, 2, 1))  # (B, H, H): dL/dh_(t-1) = Q^T dL/da_t
    if blocks == 1:  # one block: 2-D columns (H, V)
        pre, top, qt = pre[:, 0], top[:, 0], qt[0]
        ratio = None if ratio is None else ratio[:, 0]
    rough_steps = set(rough)
    stoppable = poll.should_stop is not None
    v = np.full(pre.shape[1:], 1.0 / math.sqrt(size))  # (B, H, V) unit: the loss reads h_T
    u = np.empty_like(v)  # the carried product, then v of the next step (the two swap)
    da_buf = np.empty_like(v)
    s0 = math.log10(math.sqrt(size))
    nn_rows = np.empty((seq_len, *top.shape[1:]))  # (T, B, V) squared norms; row 0 unused
    scaled: dict[int, np.ndarray] = {}  # step -> log10 norms of the steps that took scaled norms
    extras = top.copy() if rough_steps else top  # (T, B, V) log10 scale split off dL/da_t
    scales = np.empty(nn_rows.shape) if read_all else None  # (T, B, V)
    s = np.full(top.shape[1:], s0)  # (B, V) the running scale, loss "all" only
    for t in range(seq_len - 1, -1, -1):
        if stoppable:
            poll(t)
        if scales is not None:
            if t < seq_len - 1:
                s[:read_all] = _absorb(v[:read_all], s[:read_all], sign)
            scales[t] = s
        if t in rough_steps:
            da, extra = _rough_preact(activation, v, pre[t])
            extras[t] = extra
        elif ratio is not None:
            da = np.multiply(v, ratio[t], out=da_buf)  # (B, H, V)
        else:
            da = v
        if t == 0:
            break
        np.matmul(qt, da, out=u)  # (B, H, V) = W2^T dL/da_t / w_rec
        nn = np.einsum("...hv,...hv->...v", u, u, out=nn_rows[t])  # (B, V)
        logs = _renorm(u, nn)
        v, u = u, v
        if scales is not None:
            n_log = 0.5 * np.log10(nn) if logs is None else logs
            s = s + ((n_log + extras[t]) + log_w)  # model.bptt's order
        elif logs is not None:
            scaled[t] = logs
    if scales is not None:
        return scales if blocks > 1 else scales[:, None]
    n_logs = 0.5 * np.log10(nn_rows[1:])  # (T-1, B, V)
    for t, logs in scaled.items():
        n_logs[t - 1] = logs
    # s_(t-1) = s_t + log10 ||carry_t|| + extras: one cumulative sum, in model.bptt's order
    steps = (n_logs + extras[1:]) + log_w  # (T-1, B, V), t = 1..T-1
    scale = np.empty(nn_rows.shape)  # (T, B, V)
    scale[-1] = s0
    scale[:-1] = s0 + np.cumsum(steps[::-1], axis=0)[::-1]
    return scale if blocks > 1 else scale[:, None]


def _renorm(u: np.ndarray, nn: np.ndarray) -> np.ndarray | None:
    """u / ||u|| per column in place, from its squared norms nn; the log10 norms where columns
    needed scaling first (None: 0.5 log10 nn is exact). A column of exact zeros becomes a unit
    vector with log10 norm -inf: its scale stays -inf, and it takes this slow route no more."""
    if not nn.min() < NN_LOW:  # the usual case (NaN columns, from an overflowed forward, too)
        u /= np.sqrt(nn)[..., None, :]
        return None
    top = np.abs(u).max(axis=-2)  # (B, V)
    zero = top == 0
    safe = np.where(zero, 1.0, top)
    u /= safe[..., None, :]
    n = np.sqrt(np.einsum("...hv,...hv->...v", u, u))  # (B, V)
    u /= np.where(zero, 1.0, n)[..., None, :]
    u += np.where(zero, 1.0 / math.sqrt(u.shape[-2]), 0.0)[..., None, :]
    return np.log10(safe) + np.log10(n)


def _absorb(v: np.ndarray, s: np.ndarray, sign: np.ndarray | None) -> np.ndarray:
    """v * 10**s + ones (the loss's term at h_t) at the exponent max(s, 0), made a unit vector
    in place; returns its log10 scale. sign multiplies v: the carry left it out."""
    m = np.maximum(s, 0.0)  # (B, V)
    keep = np.power(10.0, s - m)
    if sign is not None:
        keep *= sign
    v *= keep[..., None, :]
    v += np.power(10.0, -m)[..., None, :]
    nn = np.einsum("...hv,...hv->...v", v, v)  # (B, V)
    logs = _renorm(v, nn)
    return m + (0.5 * np.log10(nn) if logs is None else logs)


def _rough_preact(activation: str, v: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dL/da = v * f'(a) per component in log space: (vector, log10 scale) as RnnStep.preact."""
    logs = np.log10(np.abs(v)) + log10_slope(activation, a)  # (B, H, V)
    m = logs.max(axis=-2)  # (B, V)
    m_safe = np.maximum(m, np.finfo(np.float64).min)  # all-zero v: -inf - min = -inf -> 0
    return np.copysign(np.power(10.0, logs - m_safe[..., None, :]), v), m


def growth(grad_last: np.ndarray) -> np.ndarray:
    """Per-step growth from log10 ||d(sum h_T)/dh_t|| (T, V) -> (V,), as engine.growth_from."""
    seq_len = grad_last.shape[0]
    if seq_len == 1:
        return np.ones(grad_last.shape[1])
    out = np.power(10.0, (grad_last[0] - grad_last[-1]) / (seq_len - 1))
    # g_1 = -inf (a dead ReLU, w_rec = 0): nothing reaches h_1, the growth is exactly 0.
    return np.where(grad_last[0] == -np.inf, 0.0, out)
