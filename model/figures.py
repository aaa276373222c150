"""Plotly figures of a result, for notebooks: the gradient over t, the hidden state, the sweep."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from .result import SimResult, SweepResult

MAX_HIDDEN_LINES = 16  # beyond this the hidden panel is a heatmap, one row per unit


def _finite_or_none(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]


def simulation_figure(result: SimResult) -> go.Figure:
    """grad_log10 (and the step bound's running sum for the RNN) over t, hidden over t below."""
    steps = list(range(1, len(result.grad_log10) + 1))
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("log10 ||dL/dh_t||", "hidden h_t"),
    )
    fig.add_trace(
        go.Scatter(x=steps, y=_finite_or_none(result.grad_log10), name="grad_log10", mode="lines"),
        row=1,
        col=1,
    )
    if result.cell_grad_log10 is not None:
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_finite_or_none(result.cell_grad_log10),
                name="cell_grad_log10",
                mode="lines",
                line={"dash": "dot"},
            ),
            row=1,
            col=1,
        )
    hidden = np.asarray(result.hidden, dtype=np.float64)  # (T, H*D)
    if hidden.shape[1] <= MAX_HIDDEN_LINES:
        for unit in range(hidden.shape[1]):
            fig.add_trace(
                go.Scatter(
                    x=steps, y=_finite_or_none(hidden[:, unit]), name=f"h[{unit}]", mode="lines"
                ),
                row=2,
                col=1,
            )
    else:
        fig.add_trace(
            go.Heatmap(
                x=steps,
                z=[_finite_or_none(row) for row in hidden.T],
                colorscale="RdBu",
                zmid=0.0,
                showscale=False,
                name="hidden",
            ),
            row=2,
            col=1,
        )
    params = result.params
    cell = f"rnn ({params['activation']})" if params["cell"] == "rnn" else params["cell"]
    fig.update_layout(
        title_text=(
            f"{cell}, H = {params['hidden_size']}, w_rec = {params['w_rec']:g}: "
            f"{result.regime} (x{result.growth_per_step:.3g} per step)"
        ),
        height=600,
    )
    fig.update_xaxes(title_text="step t", row=2, col=1)
    return fig


def sweep_figure(result: SweepResult) -> go.Figure:
    """Phase diagram: log10 ||dL/dh_t|| over (step t, w_rec), one row per swept value."""
    steps = list(range(1, result.grad_log10.shape[1] + 1))
    fig = go.Figure(
        go.Heatmap(
            x=steps,
            y=[float(v) for v in result.w_rec_values],
            z=[_finite_or_none(row) for row in result.grad_log10],
            colorscale="Viridis",
            colorbar={"title": {"text": "log10 ||dL/dh_t||"}},
        )
    )
    fig.update_layout(
        title_text="Gradient flow over w_rec", xaxis_title="step t", yaxis_title="w_rec (W2)"
    )
    return fig
