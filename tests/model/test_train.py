"""Training side by side: initialisation, one step per cell, gradient profiles, divergence."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest
import torch

from model.config import ConfigError
from model.tasks import AgreementTask, Batch
from model.train import (
    HELD_OUT_MIN,
    HELD_OUT_WORK,
    PROBE_SIZE,
    CellTrainer,
    Progress,
    RecurrentModel,
    TrainConfig,
    describe,
    first_to_last_log10,
    held_out_size,
    power_of_ten,
    state_grad_log10,
    train,
    validate,
)

SMALL = TrainConfig(gap=6, steps=4, batch_size=8, hidden_size=6, report_every=2, eval_size=64)


def model(cell: str, seed: int = 0, **kwargs: Any) -> RecurrentModel:
    generator = torch.Generator().manual_seed(seed)
    return RecurrentModel(cell, 25, 6, 2, generator=generator, **kwargs)


def batch(gap: int = 6, size: int = 8, seed: int = 0) -> Batch:
    return AgreementTask(gap=gap).batch(size, torch.Generator().manual_seed(seed))


def test_irnn_starts_from_identity_and_zero_biases() -> None:
    rec = model("irnn").recurrent
    assert rec.nonlinearity == "relu"
    assert torch.equal(rec.weight_hh_l0.detach(), torch.eye(6))
    assert torch.equal(rec.bias_ih_l0.detach(), torch.zeros(6))
    assert torch.equal(rec.bias_hh_l0.detach(), torch.zeros(6))
    assert torch.equal(model("irnn", w_rec=1.5).recurrent.weight_hh_l0.detach(), 1.5 * torch.eye(6))


def test_lstm_forget_bias_is_added_to_the_forget_gate_only() -> None:
    plain = model("lstm", forget_bias=0.0).recurrent.bias_ih_l0.detach()
    biased = model("lstm", forget_bias=1.0).recurrent.bias_ih_l0.detach()
    expected = torch.zeros(24)
    expected[6:12] = 1.0  # gate order i, f, g, o
    assert torch.allclose(biased - plain, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_w_rec_scales_an_orthogonal_block_per_gate(cell: str) -> None:
    weight = model(cell, w_rec=2.5).recurrent.weight_hh_l0.detach().double()
    for block in weight.split(6):
        singular = torch.linalg.svdvals(block)
        assert torch.allclose(singular, torch.full((6,), 2.5, dtype=torch.float64), atol=1e-5)


def test_initial_weights_follow_the_seed_not_the_global_rng() -> None:
    torch.manual_seed(1)
    a = model("gru", seed=3).state_dict()
    torch.manual_seed(2)
    b = model("gru", seed=3).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    bound = 1 / math.sqrt(6)  # PyTorch's own U(-1/sqrt(H), 1/sqrt(H))
    assert all(float(v.abs().max()) <= bound for v in a.values())


@pytest.mark.parametrize("cell", ["rnn", "irnn", "lstm", "gru"])
def test_fused_and_unrolled_forwards_agree(cell: str) -> None:
    net = model(cell)
    data = batch(gap=9, size=5)
    fused = net(data.inputs)
    unrolled, states = net.forward_unrolled(data.inputs)
    assert len(states) == 11 and states[0].shape == (5, 12 if cell == "lstm" else 6)
    assert torch.allclose(fused, unrolled, atol=1e-6, rtol=0)


def manual_rnn_profile(net: RecurrentModel, data: Batch) -> list[float]:
    """log10 mean_b ‖∂ℓ_b/∂h_t‖ by the textbook recursion g_(t-1) = W2ᵀ ((1 - h_t²) ⊙ g_t)."""
    rec = net.recurrent
    w_ih, w_hh = rec.weight_ih_l0.detach().double(), rec.weight_hh_l0.detach().double()
    bias = rec.bias_ih_l0.detach().double() + rec.bias_hh_l0.detach().double()
    w_out = net.readout.weight.detach().double()
    x = data.inputs.double()  # (B, T, V)
    h = torch.zeros(x.shape[0], w_hh.shape[0], dtype=torch.float64)
    hs = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_ih.T + h @ w_hh.T + bias)  # (B, H)
        hs.append(h)
    logits = h @ w_out.T + net.readout.bias.detach().double()  # (B, 2)
    dlogits = torch.softmax(logits, dim=1) - torch.nn.functional.one_hot(data.targets, 2)
    g = dlogits @ w_out  # (B, H): per-sequence ∂ℓ_b/∂h_T
    rows = [0.0] * len(hs)
    for t in range(len(hs) - 1, -1, -1):
        rows[t] = math.log10(float(g.norm(dim=1).mean()))
        g = ((1 - hs[t] ** 2) * g) @ w_hh
    return rows


def test_rnn_gradient_profile_matches_the_textbook_recursion() -> None:
    config = replace(SMALL, cells=("rnn",), gap=12)
    trainer = CellTrainer("rnn", config, config.task_())
    data = batch(gap=12, size=16, seed=4)
    probe = trainer.probe(data, profile_size=16)
    expected = manual_rnn_profile(trainer.model, data)
    assert probe.grad_log10 is not None and len(probe.grad_log10) == 14
    for got, want in zip(probe.grad_log10, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-9)
    assert first_to_last_log10(probe.grad_log10) == pytest.approx(expected[0] - expected[-1])


def lstm_by_hand(net: RecurrentModel, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """PyTorch's LSTM equations written out in float64; each state s_t = [h_t, c_t], the pair
    the next step receives, is kept with retain_grad."""
    rec = net.recurrent
    w_ih = rec.weight_ih_l0.detach().double()
    w_hh = rec.weight_hh_l0.detach().double().requires_grad_()  # so that s_t joins the graph
    bias = rec.bias_ih_l0.detach().double() + rec.bias_hh_l0.detach().double()
    state = torch.zeros(x.shape[0], 12, dtype=torch.float64)  # (B, 2H): h_0 = c_0 = 0
    states = []
    for t in range(x.shape[1]):
        h, c = state[:, :6], state[:, 6:]
        i, f, g, o = (x[:, t] @ w_ih.T + h @ w_hh.T + bias).chunk(4, dim=1)  # (B, H) each
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        state = torch.cat([h, c], dim=1)  # (B, 2H)
        state.retain_grad()
        states.append(state)
    w_out, b_out = net.readout.weight.detach().double(), net.readout.bias.detach().double()
    return state[:, :6] @ w_out.T + b_out, states


def test_lstm_gradient_profile_is_the_gradient_of_h_and_c_together() -> None:
    config = replace(SMALL, cells=("lstm",), gap=10)
    trainer = CellTrainer("lstm", config, config.task_())
    data = batch(gap=10, size=8, seed=5)
    probe = trainer.probe(data, profile_size=8)
    out, states = lstm_by_hand(trainer.model, data.inputs.double())
    torch.nn.functional.cross_entropy(out, data.targets, reduction="sum").backward()
    grads = [s.grad for s in states if s.grad is not None]
    assert len(grads) == 12
    expected = [math.log10(float(g.norm(dim=1).mean())) for g in grads]
    assert probe.grad_log10 == pytest.approx(expected, abs=1e-9)
    # The cell state carries most of it: h_1 alone would understate what reaches step 1.
    h_only = math.log10(float(grads[0][:, :6].norm(dim=1).mean()))
    assert expected[0] > h_only + 0.1


@pytest.mark.parametrize("cell", ["rnn", "irnn", "lstm", "gru"])
def test_one_training_step_per_cell(cell: str) -> None:
    config = replace(SMALL, cells=(cell,), clip_norm=None)
    trainer = CellTrainer(cell, config, config.task_())
    data = batch(seed=6)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    reference = model(cell, seed=0)  # nothing shared with the trainer's copy
    reference.load_state_dict(before)
    expected_loss = torch.nn.functional.cross_entropy(reference(data.inputs), data.targets)
    expected_loss.backward()
    expected_norm = math.sqrt(sum(float((p.grad**2).sum()) for p in reference.parameters()))
    record = trainer.step(data, step=1)
    assert record is not None
    assert record.loss == pytest.approx(expected_loss.item(), rel=1e-6)
    assert record.grad_norm == pytest.approx(expected_norm, rel=1e-5)
    assert record.clipped_grad_norm == record.grad_norm  # no clipping asked for
    assert 0 <= record.accuracy <= 1
    after = trainer.model.state_dict()
    assert all(not torch.equal(before[k], after[k]) for k in before)


def test_clipping_scales_the_gradient_to_the_threshold() -> None:
    config = replace(SMALL, cells=("rnn",), clip_norm=1e-3)
    record = CellTrainer("rnn", config, config.task_()).step(batch(seed=7), step=1)
    assert record is not None and record.grad_norm > 1e-2
    assert record.clipped_grad_norm == pytest.approx(1e-3, rel=1e-4)


def test_a_non_finite_loss_marks_the_cell_diverged() -> None:
    config = replace(SMALL, cells=("gru",))
    trainer = CellTrainer("gru", config, config.task_())
    with torch.no_grad():
        trainer.model.readout.weight.fill_(math.inf)
    assert trainer.step(batch(), step=3) is None
    assert trainer.diverged and trainer.diverged_at == 3
    assert trainer.step(batch(), step=4) is None and trainer.diverged_at == 3
    assert trainer.probe(batch()).accuracy is None


EXPLOSION = TrainConfig(
    cells=("irnn",), gap=20, steps=60, optimizer="sgd", lr=0.1, w_rec=3.0, report_every=10
)


def test_large_w2_without_clipping_diverges_and_stays_strict_json() -> None:
    frames: list[Progress] = []
    result = train(replace(EXPLOSION, clip_norm=None), on_progress=frames.append)
    summary = result.cells["irnn"]
    assert summary["diverged"] is True and 1 <= summary["diverged_at"] <= 5
    assert summary["accuracy"] is None and summary["loss"] is None
    assert "IRNN diverged at step" in result.text
    last = frames[-1].cells["irnn"]
    assert last["diverged"] is True and last["loss"] is None and last["grad_norm"] is None
    json.dumps([f.cells for f in frames] + [result.to_dict()], allow_nan=False)


def test_large_w2_with_clipping_trains() -> None:
    frames: list[Progress] = []
    result = train(replace(EXPLOSION, clip_norm=1.0), on_progress=frames.append)
    assert result.cells["irnn"]["diverged"] is False
    assert frames[0].step == 0 and frames[1].step == 10
    assert frames[1].cells["irnn"]["grad_norm"] > 1e3  # the explosion is there; clipping tames it
    assert all(f.cells["irnn"]["clipped_grad_norm"] <= 1.0 + 1e-5 for f in frames[1:])


def test_every_cell_sees_the_same_batches() -> None:
    together = train(replace(SMALL, cells=("rnn", "gru")))
    alone = train(replace(SMALL, cells=("gru",)))
    assert together.cells["gru"]["loss"] == alone.cells["gru"]["loss"]


def test_progress_frames_carry_every_field_at_every_kth_step() -> None:
    frames: list[Progress] = []
    result = train(replace(SMALL, steps=5), on_progress=frames.append)
    assert [f.step for f in frames] == [0, 2, 4, 5]
    untrained = frames[0].cells["rnn"]
    assert untrained["train_loss"] is None and untrained["grad_norm"] is None
    assert untrained["loss"] == pytest.approx(math.log(2), abs=0.05)  # chance, before training
    for frame in frames:
        assert list(frame.cells) == ["rnn", "irnn", "lstm", "gru"]
        for record in frame.cells.values():
            assert set(record) == {
                "loss",
                "accuracy",
                "grad_log10",
                "train_loss",
                "train_accuracy",
                "grad_norm",
                "clipped_grad_norm",
                "diverged",
                "diverged_at",
            }
            assert len(record["grad_log10"]) == 8  # T = gap + 2 at the full gap
    assert result.steps_done == 5 and result.stopped is None
    json.dumps(result.to_dict(), allow_nan=False)


def test_stop_request_and_time_cap_end_the_run() -> None:
    calls = iter(range(100))
    stopped = train(replace(SMALL, steps=50), should_stop=lambda: next(calls) >= 3)
    assert stopped.stopped == "stop" and stopped.steps_done == 3
    assert "Stopped on request after 3 steps." in stopped.text
    timed = train(replace(SMALL, steps=50), max_seconds=0.0)
    assert timed.stopped == "time" and timed.steps_done == 0
    calls = iter(range(100))
    one = train(replace(SMALL, steps=50), should_stop=lambda: next(calls) >= 1)
    assert "Stopped on request after 1 step." in one.text


def test_a_short_gap_is_learned() -> None:
    config = TrainConfig(gap=2, cells=("lstm",), steps=150, lr=0.01, report_every=150)
    assert train(config).cells["lstm"]["accuracy"] >= 0.95


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"task": "copy"}, "task"),
        ({"cells": ("rnn", "rnn")}, "cells"),
        ({"cells": ("tcn",)}, "cells"),
        ({"cells": ()}, "cells"),
        ({"steps": 0}, "steps"),
        ({"steps": 3001}, "steps"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": 0.0}, "lr"),
        ({"clip_norm": 0.0}, "clip_norm"),
        ({"w_rec": float("inf")}, "w_rec"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"steps": 3000, "report_every": 5}, "report_every"),
        ({"task": "adding", "gap": 1}, "gap"),
        ({"gap": 1000, "hidden_size": 256, "batch_size": 512}, "batch_size"),
    ],
)
def test_validate_names_the_field_to_change(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate(replace(TrainConfig(), **change), max_steps=3000)
    assert info.value.field == field


def test_plain_words_summary() -> None:
    assert power_of_ten(-12.3) == "10⁻¹²"
    assert power_of_ten(3.0) == "10³"
    config = TrainConfig(gap=60)
    result = train(replace(config, steps=1, cells=("rnn",), eval_size=8))
    result.cells = {
        "lstm": {"accuracy": 1.0, "diverged": False, "first_to_last_log10": -0.4},
        "rnn": {
            "accuracy": 0.51,
            "diverged": False,
            "first_to_last_log10_start": -20.6,
            "first_to_last_log10": -12.2,
        },
        "gru": {"accuracy": 0.7, "diverged": False, "first_to_last_log10": None},
    }
    result.stopped = None
    assert describe(result, chance=0.5) == (
        "LSTM reached 100% at gap 60; its gradient at the first word was 10⁰ of the last's. "
        "RNN stayed at chance (51%) at gap 60; its gradient at the first word was 10⁻²¹ of "
        "the last's at step 0 and 10⁻¹² at the end. GRU got 70% at gap 60."
    )
    result.config = replace(config, task="adding", gap=40)
    result.cells = {"lstm": {"accuracy": 0.95, "diverged": False, "first_to_last_log10": -1.2}}
    assert describe(result, chance=0.2) == (
        "LSTM reached 95% at length 40; its gradient at the first number was 10⁻¹ of the last's."
    )


def test_a_short_run_with_the_default_report_every_reports_its_last_step() -> None:
    config = validate(TrainConfig(gap=4, steps=5, batch_size=4, hidden_size=4, cells=("rnn",)))
    steps: list[int] = []
    train(replace(config, eval_size=8), on_progress=lambda p: steps.append(p.step))
    assert config.report_every == 20 and steps == [0, 5]


def test_gradients_whose_squares_underflow_keep_their_exponent() -> None:
    # 64 entries of 1e-200 per row: ‖g_b‖ = 8e-200, while a plain norm squares them to 0.
    tiny = torch.full((3, 64), 1e-200, dtype=torch.float64)
    assert float(torch.linalg.vector_norm(tiny[0])) == 0.0
    (got,) = state_grad_log10([tiny], 3)
    assert got == pytest.approx(math.log10(3 * 8e-200), abs=1e-12)
    assert state_grad_log10([torch.zeros(2, 4), None], 2) == [None, None]
    mixed = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=torch.float64)  # norms 5 and 0
    assert state_grad_log10([mixed], 2) == [pytest.approx(math.log10(5.0), abs=1e-12)]


def test_long_wide_runs_score_fewer_held_out_sequences() -> None:
    assert held_out_size(PROBE_SIZE, 82, 32) == PROBE_SIZE  # the lab's default run: unchanged
    assert held_out_size(1000, 82, 32) == 1000
    assert held_out_size(PROBE_SIZE, 1002, 256) == HELD_OUT_WORK // (1002 * 256)
    assert held_out_size(1000, 1002, 256) * 1002 * 256 <= HELD_OUT_WORK
    assert held_out_size(PROBE_SIZE, 100_000, 256) == HELD_OUT_MIN
