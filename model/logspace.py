"""Log10-space helpers: norms that never overflow, renormalisation, stable sums of norms."""

from __future__ import annotations

import math
import sys

import torch

LN10 = math.log(10.0)
NEG_INF = float("-inf")


def log10_norm(x: torch.Tensor) -> torch.Tensor:
    """log10 of the 2-norm over the last axis, in float64 (-inf for an exact zero).

    Unscaled: the squares must stay within float64 (|x| between ~1e-150 and ~1e150), so callers
    pass unit-scale vectors and carry the scale apart; model.rnn_numpy.log10_norm scales first.
    """
    return torch.log10(torch.linalg.vector_norm(x, dim=-1)).double()


def renorm(u: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split u * 10**scale into a unit vector and its log10 scale; zero stays zero with -inf."""
    n = torch.linalg.vector_norm(u, dim=-1, keepdim=True)  # (..., 1)
    v = torch.nan_to_num_(u / n, nan=0.0)  # (..., S); 0 / 0 only where u is exactly zero
    return v, scale + torch.log10(n.squeeze(-1)).double()


def absorb(
    v: torch.Tensor, scale: torch.Tensor, direct: torch.Tensor, has_direct: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit v * 10**scale plus the loss's direct term `direct` (S,) on rows where has_direct.

    Both are brought to the common exponent m = max(scale, 0) first, so 10**scale is never
    formed: a carried gradient of 1e-4000 or 1e+4000 adds to the direct term of norm ~1 exactly.
    """
    m = torch.where(has_direct, torch.clamp(scale, min=0.0), scale)  # (...,)
    keep = torch.where(has_direct, torch.pow(10.0, scale - m), torch.ones_like(scale))
    add = torch.where(has_direct, torch.pow(10.0, -m), torch.zeros_like(scale))
    u = v * keep.to(v.dtype).unsqueeze(-1) + add.to(v.dtype).unsqueeze(-1) * direct  # (..., S)
    return renorm(u, m)


def log10_hypot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """log10 sqrt(10**(2a) + 10**(2b)) without forming either power (-inf + -inf = -inf)."""
    hi = torch.maximum(a, b)
    lo = torch.minimum(a, b)
    finite_hi = torch.where(torch.isfinite(hi), hi, torch.zeros_like(hi))
    out = hi + 0.5 * torch.log1p(torch.pow(10.0, 2 * (lo - finite_hi))) / LN10
    return torch.where(hi == NEG_INF, hi, out)


def log10_norm_sum(log_norms: torch.Tensor) -> torch.Tensor:
    """log10 of the 2-norm of the concatenation of parts with the given log10 norms (last axis)."""
    hi = log_norms.amax(dim=-1, keepdim=True)  # (..., 1)
    finite_hi = torch.where(torch.isfinite(hi), hi, torch.zeros_like(hi))
    total = torch.pow(10.0, 2 * (log_norms - finite_hi)).sum(dim=-1)  # (...,)
    out = finite_hi.squeeze(-1) + 0.5 * torch.log10(total)
    return torch.where(hi.squeeze(-1) == NEG_INF, hi.squeeze(-1), out)


def combine_scaled(
    x: torch.Tensor, x_scale: torch.Tensor, y: torch.Tensor, y_scale: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """x * 10**x_scale + y * 10**y_scale as (vector, log10 scale), never forming either power."""
    m = torch.maximum(x_scale, y_scale)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    cx = torch.pow(10.0, x_scale - m).to(x.dtype).unsqueeze(-1)
    cy = torch.pow(10.0, y_scale - m).to(y.dtype).unsqueeze(-1)
    return x * cx + y * cy, m


def normal_or_none(log10_value: float) -> float | None:
    """10**log10_value when that is 0 or a normal finite float64, else None."""
    if log10_value == NEG_INF:
        return 0.0
    if not math.isfinite(log10_value) or log10_value > 308.3:
        return None
    try:
        value = 10.0**log10_value
    except OverflowError:
        return None
    return value if math.isfinite(value) and value >= sys.float_info.min else None
