"""The vanilla RNN on the CPU in float64 with numpy: the torch path's maths, less overhead.

For one run the work per step is a few (H,) vectors: torch spends ~5 us of dispatch per op
there, numpy ~1 us, so the per-step loops run ~4x faster here. Each direction and each loss is
an independent chain of 1-D vectors (no batch axis to pay for). The renormalised backward pass
is the one documented in model.rnn and model.bptt: a unit vector plus its log10 scale, f' split
into 10**m_t (to the scale) times f'/10**m_t (at most 1), per-component logs on rough steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from . import rnn
from .cancel import Poll

LOG10_2 = math.log10(2.0)
LN10 = math.log(10.0)
# Squared norms outside [TINY, HUGE] lose bits (or vanish) in u @ u: those steps scale first.
TINY = np.finfo(np.float64).tiny
HUGE = np.finfo(np.float64).max
LAZY_LOW, LAZY_HIGH = 1e-30, 1e30  # ||v||**2 band of the lazy renormalisation


@dataclass(frozen=True)
class Chain:
    """One direction's forward values, (T, H) each, in that direction's own time order."""

    x_dir: np.ndarray  # (T, I) inputs as this direction reads them
    pre: np.ndarray  # (T, H) a_t
    hidden: np.ndarray  # (T, H) h_t


@dataclass(frozen=True)
class BackChain:
    """One backward chain: log10 ||dL/dh_t|| and dL/da_t as a unit-scale vector and log scale."""

    scale: np.ndarray  # (T,) log10 ||dL/dh_t|| (-inf: exactly zero)
    da: np.ndarray  # (T, H) dL/da_t * 10**-da_scale
    da_scale: np.ndarray  # (T,)


def log10_slope(activation: str, a: np.ndarray) -> np.ndarray:
    """log10 f'(a) as model.rnn.log10_slope, exact where f'(a) underflows."""
    mag = np.abs(a)
    if activation == "tanh":
        return 2 * (math.log(2.0) - mag - np.log1p(np.exp(-2 * mag))) / LN10
    if activation == "sigmoid":
        return (-mag - 2 * np.log1p(np.exp(-mag))) / LN10
    if activation == "relu":
        return np.where(a > 0, 0.0, -np.inf)
    return np.zeros_like(a)


def forward(
    x_proj: np.ndarray, q: np.ndarray, w_rec: float, activation: str, poll: Poll
) -> tuple[np.ndarray, np.ndarray]:
    """Unroll T steps of a = x_proj[t] + W2 h, h = f(a); x_proj (T, H), q (H, H), W2 = w_rec Q.

    W2 is formed once (as the result's weight_hh_l0 is, and as autograd then uses it), so a
    step is one product, one add and f, each written into its (T, H) row in place.
    """
    seq_len, size = x_proj.shape
    w2t = np.ascontiguousarray(q.T) * w_rec  # (H, H)
    pre = np.empty((seq_len, size))  # (T, H)
    hidden = pre if activation == "linear" else np.empty((seq_len, size))  # (T, H)
    f: Callable[..., np.ndarray] | None = ACTIVATIONS.get(activation)
    stoppable = poll.should_stop is not None
    h = np.zeros(size)  # (H,)
    driven = cast(list[bool], x_proj.any(axis=1).tolist())  # T x: W1 x_t + b is nonzero
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is reported as null
        for t in range(seq_len):
            if stoppable:
                poll(t)
            a = h.dot(w2t, out=pre[t])  # ndarray.dot: ~2x less call overhead than @
            if driven[t]:  # an impulse or a zero bias leaves most rows of x_proj zero
                a += x_proj[t]
            h = a if f is None else f(a, out=hidden[t])
    return pre, hidden


def _sigmoid(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-a), as torch.sigmoid; e^-a = inf gives exactly 0
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _relu(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0, out=out)


ACTIVATIONS: dict[str, Callable[..., np.ndarray]] = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": _relu,
}  # f(a, out=h_t); the linear h_t is a_t itself


@dataclass(frozen=True)
class Slopes:
    """f'(a_t) per step as ratio[t] * 10**top[t] (ratio None: f' = 1), and the rough steps."""

    ratio: np.ndarray | None  # (T, H)
    top: list[float]  # T x log10 max_i f'(a_t,i) (0 for relu and linear)
    rough: list[bool]  # T x: take per-component logs (tanh/sigmoid)
    pre: np.ndarray  # (T, H)


def slopes(activation: str, pre: np.ndarray) -> Slopes:
    """Split every step's f' as model.rnn.RnnStep does, vectorised over (T, H)."""
    seq_len = pre.shape[0]
    flat = [0.0] * seq_len
    if activation == "linear":
        return Slopes(None, flat, [False] * seq_len, pre)
    if activation == "relu":
        return Slopes((pre > 0).astype(np.float64), flat, [False] * seq_len, pre)
    a_min = np.abs(pre).min(axis=1, keepdims=True)  # (T, 1) where f' peaks
    with np.errstate(over="ignore", invalid="ignore"):
        if activation == "tanh":
            ratio = np.square(np.cosh(a_min) / np.cosh(pre))  # (T, H) in [0, 1]
        else:
            s_min = _sigmoid(a_min, np.empty_like(a_min)) * _sigmoid(-a_min, np.empty_like(a_min))
            ratio = _sigmoid(pre, np.empty_like(pre)) * _sigmoid(-pre, np.empty_like(pre))
            ratio /= s_min
    floor = TINY**rnn.ROUGH_FRACTION  # read at call time: tests move it
    rough = ~(ratio.min(axis=1) >= floor)  # NaN (inf / inf) counts as rough too
    top = log10_slope(activation, a_min[:, 0])  # (T,)
    return Slopes(ratio, top.tolist(), rough.tolist(), pre)


def backward(
    sl: Slopes, q: np.ndarray, w_rec: float, activation: str, loss_all: bool, poll: Poll
) -> BackChain:
    """Renormalised BPTT from t = T to 1 for one direction and one loss.

    dL/dh_t = v * 10**c with log10 ||v|| = v_log kept within +-15 (LAZY_LOW/HIGH) rather than at 0:
    the norm is taken every step anyway (for the scale), the division only when v drifts out
    of the band, and no single step moves it the ~250 decades that could reach float64's edge.
    """
    seq_len, size = sl.pre.shape
    q_signed = q * math.copysign(1.0, w_rec) if w_rec != 0 else np.zeros_like(q)  # (H, H)
    log_w = math.log10(abs(w_rec)) if w_rec != 0 else -math.inf
    stoppable = poll.should_stop is not None
    ones = np.ones(size)  # (H,) dL/dh_t from the loss: a plain sum of the components
    v = ones / math.sqrt(size)  # (H,) unit
    c, v_log = math.log10(math.sqrt(size)), 0.0
    scale = [0.0] * seq_len
    extras = [0.0] * seq_len
    das: list[np.ndarray] = [ones] * seq_len
    ratio, top, rough, pre = sl.ratio, sl.top, sl.rough, sl.pre
    for t in range(seq_len - 1, -1, -1):
        if stoppable:
            poll(t)
        if loss_all and t < seq_len - 1:
            # v * 10**s + ones at the common exponent m = max(s, 0), 10**s never formed
            s = c + v_log
            m = max(s, 0.0)
            v, n_log = _unit(v * 10.0 ** (c - m) + 10.0**-m * ones)
            c, v_log = m + n_log, 0.0
        scale[t] = c + v_log
        if rough[t]:
            da, extra = _rough_preact(activation, v, pre[t])  # extra holds log10 |v| too
        else:
            da = v if ratio is None else v * ratio[t]  # (H,)
            extra = top[t]
        das[t] = da
        extras[t] = c + extra
        if t > 0:
            u = da.dot(q_signed)  # (H,) = W2^T dL/da_t / |w_rec|
            nn = float(u.dot(u))
            c = c + extra + log_w
            if LAZY_LOW < nn < LAZY_HIGH:
                v, v_log = u, 0.5 * math.log10(nn)
            else:
                v, n_log = _unit(u)
                c, v_log = c + n_log, 0.0
    return BackChain(scale=np.array(scale), da=np.array(das), da_scale=np.array(extras))


def _unit(u: np.ndarray) -> tuple[np.ndarray, float]:
    """u as a unit vector and log10 ||u||; zero stays zero with -inf."""
    nn = float(u @ u)
    if TINY < nn < HUGE:
        n = math.sqrt(nn)
        return u / n, math.log10(n)
    top = float(np.abs(u).max())
    if top == 0.0:
        return np.zeros_like(u), -math.inf
    if not math.isfinite(top):
        return u * math.nan, math.nan
    scaled = u / top  # (H,) largest component 1: the sum of squares is safe
    n = math.sqrt(float(scaled @ scaled))
    return scaled / n, math.log10(top) + math.log10(n)


def log10_norm_all(x: np.ndarray) -> float:
    """log10 of the 2-norm of the whole array; the plain sum of squares where it is safe."""
    flat = x.ravel()
    nn = float(flat.dot(flat))
    if 1e-290 < nn < 1e290:  # the largest squares are normal numbers: no bits lost
        return 0.5 * math.log10(nn)
    return float(log10_norm(flat))


def log10_norm(x: np.ndarray) -> np.ndarray:
    """log10 of the 2-norm over the last axis, scaled first so tiny or huge parts never flush."""
    top = np.abs(x).max(axis=-1, keepdims=True)  # (..., 1)
    safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
    return np.log10(np.linalg.norm(x / safe, axis=-1)) + np.log10(safe[..., 0])


def _rough_preact(activation: str, v: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, float]:
    """da = v * f'(a) per component in log space, split as (unit-ish vector, log10 scale)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.abs(v)) + log10_slope(activation, a)  # (H,)
    m = float(logs.max())
    if m == -math.inf:
        return np.zeros_like(v), m
    return np.copysign(np.power(10.0, logs - m), v), m


def log10_hypot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log10 sqrt(10**(2a) + 10**(2b)) without forming either power (-inf + -inf = -inf)."""
    hi = np.maximum(a, b)
    lo = np.minimum(a, b)
    finite_hi = np.where(np.isfinite(hi), hi, 0.0)
    with np.errstate(invalid="ignore"):
        out = hi + 0.5 * np.log1p(np.power(10.0, 2 * (lo - finite_hi))) / LN10
    return np.where(hi == -np.inf, hi, out)


def log10_norm_sum(log_norms: np.ndarray) -> float:
    """log10 of the 2-norm of a concatenation of parts with the given log10 norms."""
    hi = float(log_norms.max())
    if hi == -math.inf or math.isnan(hi):
        return hi
    return hi + 0.5 * math.log10(float(np.power(10.0, 2 * (log_norms - hi)).sum()))
