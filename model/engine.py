"""The public entry points: simulate() one configuration, sweep() many w_rec values at once."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .cancel import Poll
from .config import (
    ConfigError,
    Limits,
    SimConfig,
    check_seq_len_agrees,
    normalise_inputs,
    validate,
)
from .passes import (
    Pass,
    concat_directions,
    input_grad_log10,
    join_directions,
    param_grad_log10,
    run_pass,
)
from .result import SimResult, SweepResult, regime_of
from .weights import build_network

LOG10_MAX = math.log10(sys.float_info.max)
DEFAULT_LIMITS = Limits()  # frozen: safe as a shared default
DEFAULT_SWEEP = tuple(round(0.05 * k, 2) for k in range(61))  # w_rec = 0, 0.05, ..., 3
# A vanilla-RNN simulate() in float64 on the CPU runs its loops in numpy up to this hidden size
# (measured, one thread: H = 1..128 and T = 20..2000 ~3-5x faster than torch; H = 512, T = 500
# 49 ms vs 144 ms; the limit's H = 512 is therefore the bound, not a crossover).
NUMPY_MAX_HIDDEN = 512


def numpy_path(config: SimConfig, device: torch.device, dtype: torch.dtype) -> bool:
    """Whether simulate() takes model.rnn_numpy_run rather than the batched torch pass."""
    return (
        config.cell == "rnn"
        and device.type == "cpu"
        and dtype == torch.float64
        and config.hidden_size <= NUMPY_MAX_HIDDEN
    )


def runs_numpy(config: SimConfig) -> bool:
    """Whether simulate(config) takes the numpy path; False where its device is unavailable."""
    try:
        device = resolve_device(config.device)
    except ConfigError:
        return False
    return numpy_path(config, device, torch_dtype(config))


def torch_dtype(config: SimConfig) -> torch.dtype:
    return torch.float32 if config.dtype == "float32" else torch.float64


def resolve_device(name: str) -> torch.device:
    """auto -> cuda:0 when a GPU is there, else cpu; cuda without a GPU is a ConfigError."""
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ConfigError("device", "CUDA is not available on this server; use auto or cpu")
    return torch.device("cuda", torch.cuda.current_device())


SWEEP_RANGE_FIELDS = ("w_rec_min", "w_rec_max", "steps")  # the HTTP sweep's; Python takes values


def _prepare(
    config: SimConfig | Mapping[str, Any] | None, limits: Limits, overrides: dict[str, Any]
) -> tuple[SimConfig, torch.device, torch.dtype]:
    if isinstance(config, Mapping):  # simulate({"seq_len": 7}): the fields as a dict
        overrides = {**config, **overrides}
        config = None
    if config is not None and not isinstance(config, SimConfig):
        raise TypeError(f"config must be a SimConfig or a dict of its fields, not {config!r}")
    config = config or SimConfig()
    if overrides:
        unknown = sorted(set(overrides) - set(SimConfig.__dataclass_fields__))
        if unknown:
            if unknown[0] in SWEEP_RANGE_FIELDS:
                raise ConfigError(
                    unknown[0],
                    "is the HTTP sweep's; here give w_rec_values, e.g. numpy.linspace(0, 3, 61)",
                )
            raise ConfigError(unknown[0], "is not a simulation parameter")
        config = config.with_(**overrides)
        if "seq_len" in overrides and config.inputs is not None:
            # as the HTTP API (bad inputs are reported as such first)
            check_seq_len_agrees(overrides["seq_len"], len(normalise_inputs(config.inputs)))
    config = validate(config, limits)
    return config, resolve_device(config.device), torch_dtype(config)


def growth_from(grad_last: torch.Tensor) -> torch.Tensor:
    """Per-step growth 10**((g_1 - g_T)/(T-1)) from log10 ||d(sum h_T)/dh_t||, (T, ...) -> (...)."""
    seq_len = grad_last.shape[0]
    if seq_len == 1:
        return torch.ones_like(grad_last[0])
    growth = torch.pow(10.0, (grad_last[0] - grad_last[-1]) / (seq_len - 1))
    # g_1 = -inf (a dead ReLU, w_rec = 0): nothing reaches h_1, the growth is exactly 0.
    return torch.where(grad_last[0] == float("-inf"), torch.zeros_like(growth), growth)


def _weights(p: Pass, config: SimConfig, b_ih: torch.Tensor) -> dict[str, np.ndarray]:
    w_hh = (p.w[0] * p.q).double().cpu()  # (D, G*H, H) in the working dtype, as used
    out: dict[str, np.ndarray] = {}
    for d, suffix in enumerate(["", "_reverse"][: config.directions]):
        out[f"weight_ih_l0{suffix}"] = p.w_ih[d].double().cpu().numpy()
        out[f"weight_hh_l0{suffix}"] = w_hh[d].numpy()
        out[f"bias_ih_l0{suffix}"] = b_ih[d].double().cpu().numpy()
        out[f"bias_hh_l0{suffix}"] = np.zeros(b_ih.shape[1])
    return out


def _clipped(log_norm: float, clip_norm: float | None) -> float | None:
    """The norm after torch.nn.utils.clip_grad_norm_(max_norm=clip_norm), from its log10."""
    if clip_norm is None or math.isnan(log_norm):
        return None
    if log_norm > LOG10_MAX:
        return clip_norm  # norm beyond float64, so above clip_norm: scaled to clip_norm exactly
    try:
        norm = 10.0**log_norm  # 0.0 or subnormal when it underflows, as torch's would be
    except OverflowError:
        return clip_norm
    return norm * min(1.0, clip_norm / (norm + 1e-6))


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().double().cpu().numpy()


@torch.inference_mode()
def simulate(
    config: SimConfig | Mapping[str, Any] | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    should_stop: Callable[[], bool] | None = None,
    **overrides: Any,
) -> SimResult:
    """Run one configuration forward and back through time; see SimResult for every field.

    `overrides` are SimConfig fields: simulate(w_rec=0.1, activation="linear", seq_len=5); a dict
    of them may stand for `config`. numpy numbers and arrays are taken as Python's. Raises
    ConfigError for bad input (its `field` names it) and Cancelled when should_stop() is True.
    growth_per_step always uses loss "last" on the forward chain, whatever the request's loss:
    with loss "all" a second batch row runs that chain alongside.
    """
    start = time.perf_counter()
    config, device, dtype = _prepare(config, limits, overrides)
    poll = Poll(should_stop)
    net = build_network(config)
    if numpy_path(config, device, dtype):
        from .rnn_numpy_run import simulate_fields

        # Overflow to inf (reported as null) is a designed outcome here, not a fault to warn about.
        with np.errstate(all="ignore"):
            fields = simulate_fields(config, net, poll)
        return SimResult(
            params=config.to_params(),
            **fields,
            clipped_param_grad_norm=_clipped(fields["param_grad_log10"], config.clip_norm),
            elapsed_ms=(time.perf_counter() - start) * 1000.0,
        )
    losses = [config.loss] if config.loss == "last" else ["all", "last"]
    w = torch.full((len(losses),), config.w_rec, dtype=torch.float64)
    loss_all = torch.tensor([loss == "all" for loss in losses])
    p = run_pass(config, net, w, loss_all, device, dtype, poll)
    seq_len = config.seq_len
    grads = p.grad_log10_dirs()  # (T, D, N)
    hidden = p.trace.hidden[:, :, 0]  # (T, D, H)
    loss_value = hidden[-1].sum() if config.loss == "last" else hidden.sum()
    poll()
    step_bound = torch.full((seq_len,), float("nan"), dtype=torch.float64)
    if config.cell == "rnn":
        from .rnn import step_bound_log10

        step_bound = step_bound_log10(p.trace, p.q, p.w, config.activation)[:, 0, 0]
    log_norm = param_grad_log10(p, 0)
    extra: dict[str, Any] = {}
    if config.cell == "lstm":
        from .lstm import LstmStep, cell_grad_log10

        assert isinstance(p.rule, LstmStep) and p.backward.state is not None
        cell_grads = cell_grad_log10(p.rule, p.backward.state, p.backward.scale)
        extra["cell_state"] = _numpy(concat_directions(p.trace.cell[:, :, 0]))
        extra["cell_grad_log10"] = _numpy(join_directions(cell_grads[:, :, 0]))
    if config.cell != "rnn":
        extra["gates"] = {
            name: _numpy(concat_directions(value[:, :, 0]))
            for name, value in p.trace.gate_values().items()
        }
    growth = float(growth_from(grads[:, 0, -1]))
    b_ih = net.b_ih
    fields = dict(
        params=config.to_params(),
        hidden=_numpy(concat_directions(hidden)),
        grad_log10=_numpy(join_directions(grads[:, :, 0])),
        input_grad_log10=_numpy(input_grad_log10(p, 0)),
        step_bound_log10=_numpy(step_bound),
        growth_per_step=growth,
        regime=regime_of(growth),
        weights=_weights(p, config, b_ih.to(dtype)),
        inputs=_numpy(net.inputs.to(dtype)),
        device=str(device),
        param_grad_log10=log_norm,
        clipped_param_grad_norm=_clipped(log_norm, config.clip_norm),
        loss_value=float(loss_value),
        **extra,
    )
    return SimResult(**fields, elapsed_ms=(time.perf_counter() - start) * 1000.0)


@torch.inference_mode()
def sweep(
    config: SimConfig | Mapping[str, Any] | None = None,
    w_rec_values: Sequence[float] = DEFAULT_SWEEP,
    *,
    limits: Limits = DEFAULT_LIMITS,
    should_stop: Callable[[], bool] | None = None,
    **overrides: Any,
) -> SweepResult:
    """grad_log10 for many w_rec values in ONE batched pass (values are the batch dimension).

    Every row equals simulate() with that w_rec (to ~1e-12) wherever the forward pass is not
    chaotic (tanh at w_rec >~ 1.5 over hundreds of steps parts trajectories on the last bit of
    rounding, as between any two float64 implementations). The config's own w_rec is ignored;
    parameter gradients are skipped. The vanilla RNN on the CPU in float64 runs in numpy
    (model.rnn_numpy_sweep, 2-2.5x faster at H = 32, T = 200, 201 values), the rest in torch.
    """
    start = time.perf_counter()
    config, device, dtype = _prepare(config, limits, overrides)
    values = _check_values(w_rec_values, config, limits)
    poll = Poll(should_stop)
    net = build_network(config)
    if numpy_path(config, device, dtype):
        from .rnn_numpy_sweep import sweep_rows

        # Overflow to inf (reported as null) is a designed outcome here, not a fault to warn about.
        with np.errstate(all="ignore"):
            grad_np, growth_np = sweep_rows(config, net, values, poll)  # (V, T), (V,)
    else:
        count = len(values)
        w = torch.tensor(values, dtype=torch.float64)
        loss_all = torch.zeros(count, dtype=torch.bool)
        if config.loss == "all":
            w = torch.cat([w, w])
            loss_all = torch.cat([torch.ones(count, dtype=torch.bool), loss_all])
        p = run_pass(config, net, w, loss_all, device, dtype, poll)
        grads = p.grad_log10_dirs()  # (T, D, N)
        grad_np = _numpy(join_directions(grads[:, :, :count]).T)  # (V, T)
        growth_np = _numpy(growth_from(grads[:, 0, -count:]))  # (V,)
    params = config.to_params()
    params["w_rec_values"] = list(values)
    return SweepResult(
        params=params,
        w_rec_values=np.array(values, dtype=np.float64),
        grad_log10=grad_np,
        growth_per_step=growth_np,
        regime=[regime_of(float(g)) for g in growth_np],
        device=str(device),
        elapsed_ms=(time.perf_counter() - start) * 1000.0,
    )


def _check_values(values: Sequence[float], config: SimConfig, limits: Limits) -> list[float]:
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise ConfigError("w_rec_values", "must be a list of numbers") from exc
    if not out:
        raise ConfigError("w_rec_values", "give at least one value")
    if len(out) > limits.max_sweep_steps:
        raise ConfigError("w_rec_values", f"at most {limits.max_sweep_steps} values")
    if not all(math.isfinite(v) and abs(v) <= limits.max_abs_weight for v in out):
        raise ConfigError(
            "w_rec_values",
            f"every value must be a finite number with |w_rec| <= {limits.max_abs_weight:g}",
        )
    work = len(out) * config.seq_len * config.hidden_size * config.directions
    if work > limits.max_sweep_work:
        raise ConfigError(
            "w_rec_values",
            f"values x seq_len x hidden_size x directions = {work} exceeds {limits.max_sweep_work};"
            " use fewer values or a smaller network",
        )
    return out
