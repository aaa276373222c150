"""Results of simulate() and sweep(): numpy arrays inside, strict-JSON dicts and figures outside."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .logspace import normal_or_none

if TYPE_CHECKING:
    import plotly.graph_objects as go

TINY = np.finfo(np.float64).tiny  # the smallest normal float64
VANISHING_BELOW = 0.99
EXPLODING_ABOVE = 1.01


def regime_of(growth: float) -> str:
    """vanishing below 0.99, exploding above 1.01, else stable (the per-step growth factor)."""
    if growth < VANISHING_BELOW:
        return "vanishing"
    if growth > EXPLODING_ABOVE:
        return "exploding"
    return "stable"


def json_list(array: np.ndarray) -> list[Any]:
    """Nested lists of plain floats with every NaN and +-Infinity replaced by None."""
    with np.errstate(over="ignore"):
        return _json_list(array)


def all_finite(x: np.ndarray) -> bool:
    """np.isfinite(x).all(), in one call: the sum of squares is finite only if every value is.

    Past |x| ~ 1e154 the sum overflows and the full test decides; call it under
    np.errstate(over="ignore").
    """
    flat = x.ravel()
    return math.isfinite(flat.dot(flat)) or bool(np.isfinite(flat).all())


def _json_list(array: np.ndarray) -> list[Any]:
    """json_list under np.errstate(over="ignore"), which a whole to_dict() enters once."""
    array = np.asarray(array, dtype=np.float64)
    if all_finite(array):
        values: list[Any] = array.tolist()
        return values
    boxed = array.astype(object)
    boxed[~np.isfinite(array)] = None
    return list(boxed.tolist())


def json_float(value: float | None) -> float | None:
    """A plain float, or None for None, NaN and +-Infinity."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _c_array(array: np.ndarray) -> np.ndarray:
    """float64 in C order: what numpy-aware encoders read directly (a no-op when it is already)."""
    return np.ascontiguousarray(array, dtype=np.float64)


def _lists(fields: dict[str, Any]) -> dict[str, Any]:
    """json_fields() with its arrays, and those of its weights and gates, as json_list's lists."""
    out: dict[str, Any] = {}
    with np.errstate(over="ignore"):  # _json_list's finiteness test may overflow
        for key, value in fields.items():
            if isinstance(value, np.ndarray):
                out[key] = _json_list(value)
            elif key in ("weights", "gates"):
                out[key] = {name: _json_list(array) for name, array in value.items()}
            else:
                out[key] = value
    return out


def normal_powers(log10_values: np.ndarray) -> np.ndarray:
    """10**x where that is 0 or a normal finite float64; NaN elsewhere (null in JSON)."""
    log10_values = np.asarray(log10_values, dtype=np.float64)
    if log10_values.size and log10_values.min() >= -307.0 and log10_values.max() <= 308.0:
        return np.power(10.0, log10_values)  # all within the normal range (NaN fails the test)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        values = np.power(10.0, log10_values)
    ok = (np.isfinite(values) & (values >= TINY)) | (log10_values == -np.inf)
    return np.where(ok, values, np.nan)


@dataclass(frozen=True)
class SimResult:
    """One simulation: per-step arrays (index 0 is step t = 1) and summary numbers.

    Arrays hold NaN/inf where the JSON has null. `cell_state`, `gates` and `cell_grad_log10`
    are None for the vanilla RNN, and `to_dict()` then leaves those keys out; `gates` holds
    input/forget/candidate/output for the LSTM and reset/update for the GRU.
    """

    params: dict[str, Any]  # config.to_params(): the request as understood
    hidden: np.ndarray  # (T, H*D) [forward h_t, backward h_t]
    grad_log10: np.ndarray  # (T,) log10 ||dL/dh_t||, -inf where exactly zero
    input_grad_log10: np.ndarray  # (T,) log10 ||dL/dx_t||
    step_bound_log10: np.ndarray  # (T,) NaN at t = 1 and for LSTM/GRU
    growth_per_step: float
    regime: str
    weights: dict[str, np.ndarray]  # PyTorch names: weight_ih_l0, ..., *_reverse
    inputs: np.ndarray  # (T, I)
    device: str
    elapsed_ms: float
    param_grad_log10: float  # log10 of the total parameter-gradient norm; NaN if h overflowed
    clipped_param_grad_norm: float | None  # None unless clip_norm was given
    loss_value: float
    cell_state: np.ndarray | None = None  # (T, H*D), LSTM only
    gates: dict[str, np.ndarray] | None = None  # name -> (T, H*D), LSTM and GRU
    cell_grad_log10: np.ndarray | None = None  # (T,) log10 ||dL/dc_t||, LSTM only

    @property
    def grad_norm(self) -> np.ndarray:
        """||dL/dh_t|| where float64 holds it as a normal number (or exact 0), else NaN."""
        return normal_powers(self.grad_log10)

    @property
    def param_grad_norm(self) -> float | None:
        """Total parameter-gradient norm where float64 holds it, else None."""
        if math.isnan(self.param_grad_log10):
            return None
        return normal_or_none(self.param_grad_log10)

    def json_fields(self) -> dict[str, Any]:
        """The contract's keys with C-contiguous float64 arrays in place of lists (NaN and
        +-Infinity stand for null): what a numpy-aware JSON encoder writes without lists.
        """
        out: dict[str, Any] = {
            "params": self.params,
            "hidden": _c_array(self.hidden),
            "grad_log10": _c_array(self.grad_log10),
            "grad_norm": self.grad_norm,
            "input_grad_log10": _c_array(self.input_grad_log10),
            "step_bound_log10": _c_array(self.step_bound_log10),
            "growth_per_step": json_float(self.growth_per_step),
            "regime": self.regime,
            "weights": {name: _c_array(value) for name, value in self.weights.items()},
            "inputs": _c_array(self.inputs),
            "device": self.device,
            "elapsed_ms": json_float(self.elapsed_ms),
            "param_grad_norm": json_float(self.param_grad_norm),
            "param_grad_log10": json_float(self.param_grad_log10),
            "clipped_param_grad_norm": json_float(self.clipped_param_grad_norm),
            "loss_value": json_float(self.loss_value),
        }
        if self.cell_state is not None:
            out["cell_state"] = _c_array(self.cell_state)
        if self.gates is not None:
            out["gates"] = {name: _c_array(value) for name, value in self.gates.items()}
        if self.cell_grad_log10 is not None:
            out["cell_grad_log10"] = _c_array(self.cell_grad_log10)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-ready dict with the contract's keys (json.dumps(allow_nan=False) works)."""
        return _lists(self.json_fields())

    def figure(self) -> go.Figure:
        """Plotly figure: grad_log10 against t (top) and the hidden state against t (bottom)."""
        from .figures import simulation_figure

        return simulation_figure(self)


@dataclass(frozen=True)
class SweepResult:
    """Many w_rec values in one batched pass: grad_log10 as [values][T] and a regime per value."""

    params: dict[str, Any]
    w_rec_values: np.ndarray  # (V,)
    grad_log10: np.ndarray  # (V, T)
    growth_per_step: np.ndarray  # (V,)
    regime: list[str]
    device: str
    elapsed_ms: float

    def json_fields(self) -> dict[str, Any]:
        """As SimResult.json_fields: arrays (NaN for null) where to_dict() has lists."""
        return {
            "params": self.params,
            "w_rec_values": _c_array(self.w_rec_values),
            "grad_log10": _c_array(self.grad_log10),
            "growth_per_step": _c_array(self.growth_per_step),
            "regime": list(self.regime),
            "device": self.device,
            "elapsed_ms": json_float(self.elapsed_ms),
        }

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-ready dict: params, w_rec_values, grad_log10, growth_per_step, regime, ..."""
        return _lists(self.json_fields())

    def figure(self) -> go.Figure:
        """Plotly heatmap of grad_log10 over (step t, w_rec): the phase diagram."""
        from .figures import sweep_figure

        return sweep_figure(self)
