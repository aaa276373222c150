"""sweep()'s numpy path (vanilla RNN, CPU, float64) against its batched torch pass.

Tolerance: 1e-12 absolute in grad_log10 and 1e-12 relative in growth_per_step, with the same
exact zeros, infinities and NaNs (nulls in to_dict) on both paths. The configurations avoid
chaotic forward dynamics (tanh driven by random inputs at w_rec ~ 3 over hundreds of steps),
where rounding differences between any two implementations grow until the trajectories part:
simulate()'s own two paths differ there too.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import model.engine
import model.rnn
from model import Cancelled, simulate, sweep
from model.cancel import POLL_EVERY, Poll
from model.config import SimConfig
from model.engine import numpy_path, resolve_device, torch_dtype
from model.result import SweepResult
from model.rnn_numpy_sweep import forward
from model.weights import build_network

MIXED = [0.0, 1e-300, 0.25, 0.9, 1.0, 1.05, -1.3, -0.5, 3.0, -3.0]
CONTRACTING = [0.9, -0.7, 0.1, 1e-300, 0.0]
BENCH = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "seq_len": 200}


def _no_torch_pass(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the torch pass ran")


def both(monkeypatch: pytest.MonkeyPatch, **config: Any) -> tuple[SweepResult, SweepResult]:
    """sweep() on the numpy path (checked: the torch pass must not run), then on the torch pass."""
    with monkeypatch.context() as patch:
        patch.setattr(model.engine, "run_pass", _no_torch_pass)
        on_numpy = sweep(**config)
    with monkeypatch.context() as patch:
        patch.setattr(model.engine, "NUMPY_MAX_HIDDEN", -1)
        on_torch = sweep(**config)
    return on_numpy, on_torch


def assert_same(on_numpy: SweepResult, on_torch: SweepResult) -> None:
    assert on_numpy.grad_log10.shape == on_torch.grad_log10.shape
    # assert_allclose needs equal infinities and NaNs in the same places
    np.testing.assert_allclose(on_numpy.grad_log10, on_torch.grad_log10, rtol=0, atol=1e-12)
    np.testing.assert_allclose(on_numpy.growth_per_step, on_torch.growth_per_step, rtol=1e-12)
    assert list(on_numpy.growth_per_step == 0) == list(on_torch.growth_per_step == 0)
    assert on_numpy.regime == on_torch.regime
    assert_same_json(on_numpy.to_dict()["grad_log10"], on_torch.to_dict()["grad_log10"])


def assert_same_json(got: list, want: list) -> None:
    """Nulls (NaN, +-inf) in the same places, the numbers within 1e-12."""
    got_array = np.array(got, dtype=np.float64)  # None -> NaN
    want_array = np.array(want, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(got_array), np.isnan(want_array))
    np.testing.assert_allclose(got_array, want_array, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("activation", "bidirectional", "loss", "drive"),
    list(
        itertools.product(
            ["tanh", "sigmoid", "relu", "linear"],
            [False, True],
            ["last", "all"],
            [{"input_pattern": "impulse"}, {"input_pattern": "random", "bias": 0.3, "w_in": 0.5}],
        )
    ),
)
def test_numpy_sweep_equals_torch_sweep(
    monkeypatch: pytest.MonkeyPatch, activation: str, bidirectional: bool, loss: str, drive: dict
) -> None:
    on_numpy, on_torch = both(
        monkeypatch, activation=activation, bidirectional=bidirectional, loss=loss,
        hidden_size=5, seq_len=40, w_rec_values=MIXED, **drive,
    )  # fmt: skip
    assert_same(on_numpy, on_torch)
    assert on_numpy.growth_per_step[0] == 0.0  # w_rec = 0: nothing reaches h_1


@pytest.mark.parametrize(
    ("activation", "loss", "bidirectional"),
    [("linear", "last", False), ("linear", "all", True), ("relu", "last", True),
     ("relu", "all", False), ("sigmoid", "last", True), ("tanh", "last", False)],
)  # fmt: skip
def test_gradients_beyond_float64(
    monkeypatch: pytest.MonkeyPatch, activation: str, loss: str, bidirectional: bool
) -> None:
    # tanh and sigmoid at |w_rec| < 1 contract, so the paths' rounding does not grow over T
    values = [3.0, -3.0, 0.1, 1e-300, 0.0] if activation in ("linear", "relu") else CONTRACTING
    on_numpy, on_torch = both(
        monkeypatch, activation=activation, loss=loss, bidirectional=bidirectional,
        hidden_size=8, seq_len=800, bias=0.1, w_rec_values=values,
    )  # fmt: skip
    assert_same(on_numpy, on_torch)
    finite = on_numpy.grad_log10[np.isfinite(on_numpy.grad_log10)]
    # past float64's range: 1e-300 gives 1e-240000 over 800 steps, 3**800 is 1e+381
    assert finite.min() < -300 or finite.max() > 300


def test_linear_rows_are_the_closed_form() -> None:
    values = [3.0, -3.0, 0.5, 1e-300]
    result = sweep(activation="linear", seq_len=700, w_rec_values=values)
    steps = np.arange(-699, 1)  # t - T
    expected = np.log10(np.abs(values))[:, None] * -steps  # ||d h_T / d h_t|| = |w_rec|**(T-t)
    # the engine sums 699 logs where this multiplies: relative, not 1e-12 absolute, at |x| ~ 1e5
    np.testing.assert_allclose(result.grad_log10, expected, rtol=1e-13, atol=0)
    np.testing.assert_allclose(result.growth_per_step, np.abs(values), rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear", "sigmoid"])
def test_forward_overflow_gives_the_same_nulls(
    monkeypatch: pytest.MonkeyPatch, activation: str
) -> None:
    # two inputs of opposite sign past float64 once multiplied: inf - inf = NaN at t = 1, and
    # 1e300 inputs that the recurrence at w_rec = 3 or 1000 overflows later
    inputs = [[1e308, -1e308]] + [[1e300, 1e300]] * 5 + [[0.0, 0.0]] * 10
    on_numpy, on_torch = both(
        monkeypatch, activation=activation, inputs=inputs, w_in=1000.0, hidden_size=4,
        w_rec_values=[0.0, 0.5, 3.0, -3.0, 1000.0],
    )  # fmt: skip
    got, want = on_numpy.to_dict(), on_torch.to_dict()
    assert_same_json(got["grad_log10"], want["grad_log10"])
    assert_same_json(got["growth_per_step"], want["growth_per_step"])
    if activation != "linear":  # the linear backward never reads the forward values
        assert any(x is None for row in got["grad_log10"] for x in row)


def _rough_steps(config: SimConfig, values: list[float]) -> list[int]:
    net = build_network(config)
    x_proj = (net.inputs.numpy() @ net.w_ih.numpy()[0].T + net.b_ih.numpy()[0])[:, None]
    with np.errstate(all="ignore"):
        return forward(x_proj, net.q.numpy(), np.array(values), config.activation, Poll(None)).rough


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["last", "all"])
def test_rough_steps_match_torch(
    monkeypatch: pytest.MonkeyPatch, activation: str, loss: str
) -> None:
    # w_rec in the hundreds spreads the units' |a| over hundreds: f' ratios below 1e-246
    values = [300.0, -300.0, 1000.0, 0.9, 0.0]
    config = dict(
        activation=activation, loss=loss, hidden_size=6, seq_len=60, input_pattern="random"
    )
    rough = _rough_steps(SimConfig(**config), values)  # type: ignore[arg-type]
    assert 0 < len(rough) < 60
    assert_same(*both(monkeypatch, w_rec_values=values, **config))


@pytest.mark.parametrize("loss", ["last", "all"])
def test_saturation_past_cosh_range_takes_the_log_path(
    monkeypatch: pytest.MonkeyPatch, loss: str
) -> None:
    # |a| ~ 800: cosh overflows, so every f' ratio is inf / inf; only per-component logs work
    on_numpy, on_torch = both(
        monkeypatch, activation="tanh", loss=loss, bias=800.0, hidden_size=4, seq_len=20,
        w_rec_values=[0.5, -1.0, 2.0],
    )  # fmt: skip
    assert_same(on_numpy, on_torch)
    if loss == "last":  # log10 sech^2(800 +- 2) ~ -694 per step, 19 steps
        assert np.all(on_numpy.grad_log10[:, 0] < -690 * 19)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_step_rough_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, activation: str, bidirectional: bool
) -> None:
    config = dict(
        activation=activation, bidirectional=bidirectional, loss="all", hidden_size=5,
        seq_len=30, bias=40.0, w_rec_values=MIXED,
    )  # fmt: skip
    plain = sweep(**config)  # type: ignore[arg-type]
    monkeypatch.setattr(model.rnn, "ROUGH_FRACTION", -1.0)  # every step counts as rough
    assert _rough_steps(SimConfig(activation=activation, seq_len=30), [0.5]) == list(range(30))
    on_numpy, on_torch = both(monkeypatch, **config)
    assert_same(on_numpy, on_torch)
    assert_same(on_numpy, plain)
    # per step |w_rec| f' with f' below sech^2(37)**(tanh) or sigma'(37) (~1e-16): saturated
    assert 0 < plain.growth_per_step[4] < 1e-15


@pytest.mark.parametrize("stop_after", [2, 12, 20])
def test_should_stop_cancels_the_numpy_sweep(
    monkeypatch: pytest.MonkeyPatch, stop_after: int
) -> None:
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > stop_after

    monkeypatch.setattr(model.engine, "run_pass", _no_torch_pass)
    with pytest.raises(Cancelled):
        sweep(seq_len=200, hidden_size=4, w_rec_values=MIXED, should_stop=should_stop)
    assert len(calls) == stop_after + 1  # stopped at the first poll that said so
    # polls once every POLL_EVERY steps of each pass: 13 forward, 13 backward for T = 200
    calls.clear()
    sweep(seq_len=200, hidden_size=4, w_rec_values=MIXED, should_stop=lambda: bool(calls.append(1)))
    assert len(calls) == 2 * len(range(0, 200, POLL_EVERY))


def test_benchmark_config_takes_the_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    config = SimConfig(**BENCH)  # type: ignore[arg-type]
    assert numpy_path(config, resolve_device(config.device), torch_dtype(config))
    monkeypatch.setattr(model.engine, "run_pass", _no_torch_pass)
    values = [round(0.015 * k, 3) for k in range(201)]
    result = sweep(config, values)
    assert result.grad_log10.shape == (201, 200)
    # above w_rec ~ 1.5 this network is chaotic: simulate()'s own numpy and torch paths differ
    for row in (0, 30, 60, 66):  # w_rec = 0, 0.45, 0.9, 0.99
        single = simulate(config, w_rec=values[row])
        np.testing.assert_allclose(result.grad_log10[row], single.grad_log10, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "config", [{"cell": "lstm"}, {"cell": "gru"}, {"dtype": "float32"}, {"hidden_size": 3}]
)
def test_other_configs_keep_the_torch_pass(monkeypatch: pytest.MonkeyPatch, config: dict) -> None:
    monkeypatch.setattr(model.engine, "NUMPY_MAX_HIDDEN", 2)  # hidden_size 3 is over the bound
    monkeypatch.setattr(model.engine, "run_pass", _no_torch_pass)
    with pytest.raises(AssertionError, match="the torch pass ran"):
        sweep(seq_len=5, w_rec_values=[0.5], **config)


@pytest.mark.parametrize("loss", ["last", "all"])
def test_one_step(monkeypatch: pytest.MonkeyPatch, loss: str) -> None:
    on_numpy, on_torch = both(
        monkeypatch, activation="tanh", seq_len=1, hidden_size=4, loss=loss, w_rec_values=MIXED
    )
    assert_same(on_numpy, on_torch)
    np.testing.assert_array_equal(on_numpy.growth_per_step, np.ones(len(MIXED)))
    np.testing.assert_allclose(on_numpy.grad_log10, np.log10(2.0), rtol=0, atol=1e-15)
