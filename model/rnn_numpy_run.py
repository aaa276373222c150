"""simulate() for the vanilla RNN through model.rnn_numpy: every SimResult field but timing/params.

Same quantities as engine.simulate's torch path (model.passes), one direction at a time: the
forward chain per direction, the request's backward chain per direction, and for loss "all"
one more "last" chain on the forward direction for growth_per_step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import rnn_numpy as rn
from .cancel import Poll
from .config import SimConfig
from .result import all_finite, regime_of
from .weights import Network, base_log10_norms


def simulate_fields(config: SimConfig, net: Network, poll: Poll) -> dict[str, Any]:
    """The computed SimResult fields of one vanilla-RNN run (float64, CPU)."""
    act, w_rec = config.activation, config.w_rec
    loss_all = config.loss == "all"
    x = net.inputs.numpy()  # (T, I)
    q = net.q.numpy()  # (D, H, H)
    w_ih = net.w_ih.numpy()  # (D, H, I)
    b_ih = net.b_ih.numpy()  # (D, H)
    chains, backs, slopes = [], [], []
    for d in range(config.directions):
        x_dir = x if d == 0 else x[::-1]  # (T, I)
        w_in = w_ih[d].T  # (I, H)
        # one input: broadcasting forms the same products as matmul at less overhead
        x_proj = x_dir * w_in if x_dir.shape[1] == 1 else x_dir @ w_in  # (T, H)
        x_proj += b_ih[d]
        pre, hidden = rn.forward(x_proj, q[d], w_rec, act, poll)
        chains.append(rn.Chain(x_dir, pre, hidden))
        sl = rn.slopes(act, pre)
        slopes.append(sl)
        backs.append(rn.backward(sl, q[d], w_rec, act, loss_all, poll))
    last = backs[0] if not loss_all else rn.backward(slopes[0], q[0], w_rec, act, False, poll)
    growth = _growth(last.scale)
    hiddens = [c.hidden for c in chains]
    # log10(0) = -inf is an exact zero, and an overflowed forward (inf - inf) is reported null
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        grad_log10 = _join([b.scale for b in backs])
        input_grads = _input_grad_log10(backs, w_ih)
        log_norm = _param_grad_log10(chains, backs)
        step_bound = _step_bound(config, slopes[0])
        if loss_all:
            loss_value = float(sum(h.sum() for h in hiddens))
        else:
            loss_value = float(sum(h[-1].sum() for h in hiddens))
    weights: dict[str, np.ndarray] = {}
    for d, suffix in enumerate(["", "_reverse"][: config.directions]):
        weights[f"weight_ih_l0{suffix}"] = w_ih[d].copy()
        weights[f"weight_hh_l0{suffix}"] = w_rec * q[d]
        weights[f"bias_ih_l0{suffix}"] = b_ih[d].copy()
        weights[f"bias_hh_l0{suffix}"] = np.zeros(b_ih.shape[1])
    hidden = hiddens[0] if len(hiddens) == 1 else np.hstack([hiddens[0], hiddens[1][::-1]])
    return dict(
        hidden=hidden,  # (T, D*H)
        grad_log10=grad_log10,
        input_grad_log10=input_grads,
        step_bound_log10=step_bound,
        growth_per_step=growth,
        regime=regime_of(growth),
        weights=weights,
        inputs=x.copy(),
        device="cpu",
        param_grad_log10=log_norm,
        loss_value=loss_value,
    )


def _growth(grad_last: np.ndarray) -> float:
    """10**((g_1 - g_T)/(T-1)) as engine.growth_from; 0 when g_1 = -inf (nothing reaches h_1)."""
    seq_len = grad_last.shape[0]
    if seq_len == 1:
        return 1.0
    first = float(grad_last[0])
    if first == -math.inf:
        return 0.0
    try:
        return float(10.0 ** ((first - float(grad_last[-1])) / (seq_len - 1)))
    except OverflowError:
        return math.inf


def _join(per_dir: list[np.ndarray]) -> np.ndarray:
    """(T,) log10 norms of [forward, backward] at the same t."""
    if len(per_dir) == 1:
        return per_dir[0]
    return rn.log10_hypot(per_dir[0], per_dir[1][::-1])


def _input_grad_log10(backs: list[rn.BackChain], w_ih: np.ndarray) -> np.ndarray:
    """log10 ||dL/dx_t|| (T,): W_ih^T dL/da_t, both directions summed as vectors."""
    ys = [b.da @ w_ih[d] for d, b in enumerate(backs)]  # D x (T, I)
    if len(ys) == 1:
        return rn.log10_norm(ys[0]) + backs[0].da_scale
    s0, s1 = backs[0].da_scale, backs[1].da_scale[::-1]
    m = np.maximum(s0, s1)
    m = np.where(np.isfinite(m), m, 0.0)
    vec = ys[0] * np.power(10.0, s0 - m)[:, None] + ys[1][::-1] * np.power(10.0, s1 - m)[:, None]
    return rn.log10_norm(vec) + m


def _log10_norm_outer(da: np.ndarray, z: np.ndarray) -> float:
    """log10 ||sum_t da_t z_t^T||: da (T, H), z (T, K)."""
    flat = (da.T @ z).ravel()  # (H*K,)
    nn = float(flat.dot(flat))
    if 1e-290 < nn < 1e290:  # nothing overflowed, and whatever flushed to zero is negligible
        return 0.5 * math.log10(nn)
    zmax = float(np.abs(z).max()) if len(z) else 0.0
    zmax = zmax if zmax > 0 else 1.0
    outer = da.T @ (z / zmax)  # (H, K)
    return rn.log10_norm_all(outer) + math.log10(zmax)


def _param_grad_log10(chains: list[rn.Chain], backs: list[rn.BackChain]) -> float:
    """As passes.param_grad_log10: every dL/da_t brought to the largest scale, then the norms."""
    if not all(all_finite(c.hidden) for c in chains):
        return math.nan
    parts: list[float] = []
    for chain, back in zip(chains, backs, strict=True):
        top = float(back.da_scale.max())
        top = top if math.isfinite(top) else 0.0
        da = back.da * np.power(10.0, back.da_scale - top)[:, None]  # (T, H)
        bias = rn.log10_norm_all(da.sum(axis=0))
        parts += [
            _log10_norm_outer(da, chain.x_dir) + top,
            _log10_norm_outer(da[1:], chain.hidden[:-1]) + top,  # h_0 = 0 adds nothing
            bias + top,
            bias + top,  # bias_hh sees the same dL/da_t as bias_ih in the vanilla RNN
        ]
    return _norm_sum(parts)


def _norm_sum(log_norms: list[float]) -> float:
    """log10 of the 2-norm of parts with these log10 norms (as logspace.log10_norm_sum).

    A handful of numbers: plain floats cost less than numpy's per-call overhead here.
    """
    if any(math.isnan(x) for x in log_norms):
        return math.nan
    hi = max(log_norms)
    if math.isinf(hi):  # -inf: every part is exactly zero; inf: so is the total
        return hi
    return hi + 0.5 * math.log10(sum(10.0 ** (2 * (x - hi)) for x in log_norms))


def _step_bound(config: SimConfig, sl: rn.Slopes) -> np.ndarray:
    """log10 (||W2||_2 max_i |f'(a_t,i)|) of the forward direction, (T,); NaN at t = 1."""
    norm_q = base_log10_norms(
        config.recurrent_init, config.hidden_size, config.seed, 1, config.directions
    )[0]
    log_w = math.log10(abs(config.w_rec)) if config.w_rec != 0 else -math.inf
    if config.activation in ("tanh", "sigmoid"):
        top = sl.top  # (T,) f' at the smallest |a|
    else:
        top = rn.log10_slope(config.activation, sl.pre).max(axis=1)
    bound = top + norm_q + log_w
    bound[0] = math.nan
    return bound
