"""rnn_numpy.backward's batched plain runs against the step-by-step loop they replace."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from model import rnn_numpy as rn
from model.cancel import Cancelled, Poll


def step_by_step(
    sl: rn.Slopes, q: np.ndarray, w_rec: float, activation: str, loss_all: bool
) -> rn.BackChain:
    """The oracle: every step checks its own norm and takes log10 of it as it goes."""
    seq_len, size = sl.pre.shape
    q_signed = q * math.copysign(1.0, w_rec) if w_rec != 0 else np.zeros_like(q)  # (H, H)
    log_w = math.log10(abs(w_rec)) if w_rec != 0 else -math.inf
    ones = np.ones(size)  # (H,)
    v = ones / math.sqrt(size)  # (H,)
    c, v_log = math.log10(math.sqrt(size)), 0.0
    scale, extras, das = [0.0] * seq_len, [0.0] * seq_len, [ones] * seq_len
    for t in range(seq_len - 1, -1, -1):
        if loss_all and t < seq_len - 1:
            s = c + v_log
            m = max(s, 0.0)
            v, n_log = rn._unit(v * 10.0 ** (c - m) + 10.0**-m * ones)
            c, v_log = m + n_log, 0.0
        scale[t] = c + v_log
        if t in sl.rough:
            da, extra = rn._rough_preact(activation, v, sl.pre[t])
        else:
            da = v if sl.ratio is None else v * sl.ratio[t]  # (H,)
            extra = float(sl.top[t])
        das[t], extras[t] = da, c + extra
        if t > 0:
            u = da.dot(q_signed)  # (H,)
            nn = float(u.dot(u))
            c = c + extra + log_w
            if rn.LAZY_LOW < nn < rn.LAZY_HIGH:
                v, v_log = u, 0.5 * math.log10(nn)
            else:
                v, n_log = rn._unit(u)
                c, v_log = c + n_log, 0.0
    return rn.BackChain(scale=np.array(scale), da=np.array(das), da_scale=np.array(extras))


def _chain(
    activation: str, w_rec: float, size: int, seq_len: int, seed: int
) -> tuple[rn.Slopes, np.ndarray]:
    """Slopes of an impulse run through an orthogonal Q, and Q."""
    rng = np.random.default_rng(seed)
    q = np.linalg.qr(rng.standard_normal((size, size)))[0]  # (H, H) orthogonal
    x_proj = np.zeros((seq_len, size))  # (T, H)
    x_proj[0] = 3.0 * rng.standard_normal(size)  # an impulse at t = 1
    pre, _ = rn.forward(x_proj, q, w_rec, activation, Poll(None))
    return rn.slopes(activation, pre), q


CASES = list(
    itertools.product(
        ("tanh", "sigmoid", "relu", "linear"),
        (0.05, 0.5, 1.0, 500.0, 1000.0, -3.0, 0.0),  # fast/slow vanishing, flat, saturated, ...
        (False, True),
    )
)


@pytest.mark.parametrize(("activation", "w_rec", "loss_all"), CASES)
def test_batched_backward_matches_step_by_step(
    activation: str, w_rec: float, loss_all: bool
) -> None:
    sl, q = _chain(activation, w_rec, size=8, seq_len=300, seed=3)
    with np.errstate(all="ignore"):  # as engine.simulate runs it: overflow is reported as null
        fast = rn.backward(sl, q, w_rec, activation, loss_all, Poll(None))
        slow = step_by_step(sl, q, w_rec, activation, loss_all)
    # The same products in the same order: only log10 of the norms is taken another way.
    np.testing.assert_allclose(fast.scale, slow.scale, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(fast.da, slow.da)
    np.testing.assert_array_equal(fast.da_scale, slow.da_scale)


def test_runs_resume_at_every_step_out_of_the_band() -> None:
    # w_rec = 0.05 over 300 steps sinks ~400 decades: the lazy band is left again and again.
    sl, q = _chain("tanh", 0.05, size=8, seq_len=300, seed=3)
    chain = step_by_step(sl, q, 0.05, "tanh", False)
    assert chain.scale[0] < chain.scale[-1] - 300
    assert not sl.rough  # every step plain: the resumptions come from the band alone


def test_rough_steps_split_the_runs() -> None:
    # sigmoid at w_rec = 500: rough steps interleaved with plain runs of several steps
    sl, q = _chain("sigmoid", 500.0, size=8, seq_len=300, seed=3)
    gaps = np.diff(sl.rough)
    assert 50 < len(sl.rough) < 250 and (gaps > 2).sum() > 20
    with np.errstate(all="ignore"):
        fast = rn.backward(sl, q, 500.0, "sigmoid", False, Poll(None))
    np.testing.assert_array_equal(fast.da, step_by_step(sl, q, 500.0, "sigmoid", False).da)


def test_a_plain_run_still_polls() -> None:
    sl, q = _chain("tanh", 0.5, size=8, seq_len=100, seed=3)
    calls: list[int] = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) == 3

    with pytest.raises(Cancelled):
        rn.backward(sl, q, 0.5, "tanh", False, Poll(should_stop))
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("activation", "w_rec", "q_scale"),
    [
        ("relu", 3.0, 1.0),  # the gradient dies: a chain of exact zeros, out of the band at once
        ("linear", 1.0, 3.0),  # ||v|| grows 3x a step (|w_rec| is carried in the log scale)
        ("linear", 1.0, 1 / 3),  # and shrinks: out of the band every ~30 steps either way
        ("tanh", 0.9, 1.0),  # stays in the band throughout
    ],
)
def test_plain_runs_waste_a_bounded_number_of_products(
    monkeypatch, activation: str, w_rec: float, q_scale: float
) -> None:
    """Unchecked products attempted stay within a small multiple of T (not T**2 / 2)."""
    seq_len, size = 2000, 8
    attempted = [0]
    real = rn._plain_run

    def counted(*args: object) -> tuple[int, float]:
        start, stop = args[7], args[9]
        assert isinstance(start, int) and isinstance(stop, int)
        attempted[0] += start - stop
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(rn, "_plain_run", counted)
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((size, size)))  # (H, H)
    q *= q_scale
    x_proj = np.zeros((seq_len, size))  # (T, H)
    x_proj[0] = rng.standard_normal(size)
    pre, _ = rn.forward(x_proj, q, w_rec, activation, Poll(None))
    sl = rn.slopes(activation, pre)
    got = rn.backward(sl, q, w_rec, activation, False, Poll(None))
    want = step_by_step(sl, q, w_rec, activation, False)
    np.testing.assert_array_equal(got.da_scale, want.da_scale)
    np.testing.assert_allclose(got.scale, want.scale, rtol=1e-13)
    assert attempted[0] <= 2 * seq_len
