"""The vanilla RNN on the CPU in float64 with numpy: the torch path's maths, less overhead.

For one run the work per step is a few (H,) vectors: torch spends ~5 us of dispatch per op
there, numpy ~1 us, so the per-step loops run ~4x faster here. Each direction and each loss is
an independent chain of 1-D vectors (no batch axis to pay for). The renormalised backward pass
is the one documented in model.rnn and model.bptt: a unit vector plus its log10 scale, f' split
into 10**m_t (to the scale) times f'/10**m_t (at most 1), per-component logs on rough steps.
"""

from __future__ import annotations

import bisect
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
# A plain run is checked after at most this many unchecked steps. The first run tries the most,
# since most chains stay in the band throughout (fewer runs: ~25% off a T=100 backward pass);
# the bound drops back after a run that left the band and doubles after one that stayed, so a
# chain leaving the band every few steps (exploding) wastes a few products per exit, not the
# whole run. A run out of the band at once (a chain of exact zeros, dead ReLU units) backs off:
# 1, 2, 4, ... steps by the step-by-step path before the next try.
PLAIN_CHUNK_MIN, PLAIN_CHUNK_MAX = 4, 64


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
        # 2 / ln 10 < 1 multiplies last: 2 * (...) would overflow past |a| ~ 9e307
        return (math.log(2.0) - mag - np.log1p(np.exp(-2 * mag))) * (2 / LN10)
    if activation == "sigmoid":
        return (-mag - 2 * np.log1p(np.exp(-mag))) / LN10
    if activation == "relu":  # as model.rnn.log10_slope: a NaN pre-activation passes
        return np.where(a <= 0, -np.inf, 0.0)
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
        # zip hands out the rows of pre and hidden as views more cheaply than indexing does
        for t, pre_t, hidden_t, is_driven in zip(range(seq_len), pre, hidden, driven, strict=True):
            if stoppable:
                poll(t)
            a = h.dot(w2t, pre_t)  # ndarray.dot: ~2x less call overhead than @
            if is_driven:  # an impulse or a zero bias leaves most rows of x_proj zero
                a += x_proj[t]
            h = a if f is None else f(a, hidden_t)
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
    top: np.ndarray  # (T,) log10 max_i f'(a_t,i) (0 for relu and linear)
    rough: list[int]  # the steps t that take per-component logs (tanh/sigmoid), ascending
    pre: np.ndarray  # (T, H)


def slopes(activation: str, pre: np.ndarray) -> Slopes:
    """Split every step's f' as model.rnn.RnnStep does, vectorised over (T, H)."""
    flat = np.zeros(pre.shape[0])  # (T,)
    if activation == "linear":
        return Slopes(None, flat, [], pre)
    if activation == "relu":  # 1 at a NaN pre-activation, as PyTorch's relu backward
        return Slopes((~(pre <= 0)).astype(np.float64), flat, [], pre)
    # numpy reduces the short rows of a (T, H) array one by one; over the rows of (H, T), at once
    a_min = np.abs(pre.T, order="C").min(axis=0)[:, None]  # (T, 1) where f' peaks
    with np.errstate(over="ignore", invalid="ignore"):
        if activation == "tanh":
            ratio = np.cosh(pre)  # (T, H), then (cosh(a_min) / cosh(a))**2 in [0, 1] in place
            np.square(np.divide(np.cosh(a_min), ratio, out=ratio), out=ratio)
        else:
            s_min = _sigmoid(a_min, np.empty_like(a_min)) * _sigmoid(-a_min, np.empty_like(a_min))
            ratio = _sigmoid(pre, np.empty_like(pre)) * _sigmoid(-pre, np.empty_like(pre))
            ratio /= s_min
    floor = TINY**rnn.ROUGH_FRACTION  # read at call time: tests move it
    rough: list[int] = []
    if not ratio.min() >= floor:  # rare: then find the steps; NaN (inf / inf) counts as rough
        rough = np.flatnonzero(~(ratio.min(axis=1) >= floor)).tolist()
    return Slopes(ratio, log10_slope(activation, a_min[:, 0]), rough, pre)


def backward(
    sl: Slopes, q: np.ndarray, w_rec: float, activation: str, loss_all: bool, poll: Poll
) -> BackChain:
    """Renormalised BPTT from t = T to 1 for one direction and one loss.

    dL/dh_t = v_t * 10**c_t with ||v_t||**2 kept within LAZY_LOW..LAZY_HIGH rather than at 1:
    v_t is divided by its norm only when it drifts out of that band, and no single step moves
    it the ~250 decades that could reach float64's edge. Under loss "last" the steps between
    rough ones run as a bare chain of products (_plain_run); every other step, and the first
    plain one found outside the band, takes the step-by-step path below.
    """
    seq_len, size = sl.pre.shape
    sign = math.copysign(1.0, w_rec) if w_rec != 0 else 0.0
    q_signed = q if sign > 0 else -q if sign < 0 else np.zeros_like(q)  # (H, H) sign(w) Q
    log_w = math.log10(abs(w_rec)) if w_rec != 0 else -math.inf
    stoppable = poll.should_stop is not None
    ratio = sl.ratio if sl.ratio is not None else np.ones_like(sl.pre)  # (T, H)
    rough = set(sl.rough)
    ones = np.ones(size)  # (H,) dL/dh_t from the loss: a plain sum of the components
    v_rows = np.empty((seq_len, size))  # (T, H) v_t; row t-1 first holds W2^T dL/da_t unscaled
    v_rows[-1] = ones / math.sqrt(size)  # unit
    c_rows = np.empty(seq_len)  # (T,) c_t
    nn_rows = np.ones(seq_len)  # (T,) ||v_t||**2 (1 where v_t was just made a unit vector)
    # rough t -> (dL/da_t * 10**-(c_t + extra), extra): its own log10 scale beyond c_t
    rough_da: dict[int, tuple[np.ndarray, float]] = {}
    t, c = seq_len - 1, math.log10(math.sqrt(size))
    chunk, skip, backoff = PLAIN_CHUNK_MAX, 0, 1
    while True:
        if skip:
            skip -= 1
        elif not loss_all:
            i = bisect.bisect_right(sl.rough, t)
            stop = sl.rough[i - 1] if i else 0  # the latest rough step at or before t
            stop = max(stop, t - chunk)
            if stop < t:
                run_poll = poll if stoppable else None
                start = t
                t, c = _plain_run(
                    v_rows, c_rows, nn_rows, ratio, q_signed, sl.top, log_w, t, c, stop, run_poll
                )
                if t == start:  # out of the band at once
                    skip, backoff = backoff, min(2 * backoff, PLAIN_CHUNK_MAX)
                else:
                    backoff = 1
                chunk = min(2 * chunk, PLAIN_CHUNK_MAX) if t == stop else PLAIN_CHUNK_MIN
        # step t from its unchecked v_rows[t]: the band, loss "all", rough f', then W2^T dL/da_t
        if stoppable:
            poll(t)
        v = row = v_rows[t]
        nn = float(v.dot(v))
        if not LAZY_LOW < nn < LAZY_HIGH:
            v, n_log = _unit(v)
            c, nn = c + n_log, 1.0
        if loss_all and t < seq_len - 1:
            # v * 10**s + ones at the common exponent m = max(s, 0), 10**s never formed
            s = c + 0.5 * math.log10(nn)
            m = max(s, 0.0)
            v, n_log = _unit(v * 10.0 ** (c - m) + 10.0**-m * ones)
            c, nn = m + n_log, 1.0
        if v is not row:  # renormalised or mixed with the loss
            v_rows[t] = v
        c_rows[t] = c
        nn_rows[t] = nn
        if t in rough:
            da, extra = _rough_preact(activation, v, sl.pre[t])  # extra holds log10 |v| too
            rough_da[t] = da, extra
        else:
            da, extra = v * ratio[t], float(sl.top[t])  # (H,)
        if t == 0:
            break
        da.dot(q_signed, out=v_rows[t - 1])  # (H,) = W2^T dL/da_t / |w_rec|
        c = c + extra + log_w
        t -= 1
    nn_rows[-1] = 1.0  # v_T = ones / sqrt(H) is a unit vector by construction
    das = v_rows * ratio  # (T, H)
    extras = sl.top.copy()  # (T,) log10 of dL/da_t's scale beyond c_t
    for t, (da, extra) in rough_da.items():
        das[t], extras[t] = da, extra
    v_log = 0.5 * np.log10(nn_rows)  # (T,) every entry in the band or 1: finite
    return BackChain(scale=c_rows + v_log, da=das, da_scale=c_rows + extras)


def _plain_run(
    v_rows: np.ndarray,
    c_rows: np.ndarray,
    nn_rows: np.ndarray,
    ratio: np.ndarray,
    q_signed: np.ndarray,
    top: np.ndarray,
    log_w: float,
    start: int,
    c: float,
    stop: int,
    poll: Poll | None,
) -> tuple[int, float]:
    """Steps start..stop+1 (none rough) as v_{t-1} = (v_t * ratio_t) W2 / |w_rec|, unchecked.

    Their norms are checked together afterwards. Every value up to the first step found out
    of the band (the latest t) is the one the step-by-step path would have computed; that
    step is returned with its c before the renormalisation, and what the products left below
    it (an overflow at worst) is overwritten by the steps that follow.
    """
    u = v_rows[start]  # (H,)
    outs = v_rows[stop:start][::-1]  # (n, H) rows start-1 .. stop
    n = start - stop
    # c_t as the step-by-step c = c + top[t] + log_w: the same sums in the same order
    terms = np.empty(2 * n + 1)  # c, top[start], log_w, top[start - 1], log_w, ...
    terms[0] = c
    terms[1::2] = top[start:stop:-1]
    terms[2::2] = log_w
    c_run = np.add.accumulate(terms)[::2]  # (n + 1,) c_start .. c_stop
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if poll is None:
            for ratio_t, u_next in zip(ratio[start:stop:-1], outs, strict=True):
                u = (u * ratio_t).dot(q_signed, u_next)  # (H,) = W2^T dL/da_t / |w_rec|
        else:
            steps = range(start, stop, -1)
            for t, ratio_t, u_next in zip(steps, ratio[start:stop:-1], outs, strict=True):
                poll(t)
                u = (u * ratio_t).dot(q_signed, u_next)
        taken = v_rows[stop + 1 : start + 1][::-1]  # (n, H) v_start .. v_{stop+1}
        nn_run = np.einsum("ij,ij->i", taken, taken)  # (n,)
        inside = (nn_run > LAZY_LOW) & (nn_run < LAZY_HIGH)
    first_out = int(inside.argmin())
    n_ok = first_out if not inside[first_out] else n  # steps found in the band
    t = start - n_ok
    c_rows[t : start + 1] = c_run[n_ok::-1]
    nn_rows[t + 1 : start + 1] = nn_run[:n_ok][::-1]
    return t, float(c_run[n_ok])


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
    if x.shape[-1] == 1:  # one input: the norm is |x| itself (the scaled route gives 0 + log10|x|)
        return np.log10(np.abs(x[..., 0]))
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
