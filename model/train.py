"""Train rnn, irnn, lstm and gru side by side on the same batches of a long-range task.

Every cell gets the same data, optimiser, learning rate, steps, hidden size and clipping; only the
recurrent layer differs. Each reported step also measures log10 ‖∂ℓ/∂s_t‖ over the sequence, s_t
the recurrent state (h_t; [h_t, c_t] for the LSTM): the gradient reaching each position through
all later steps, so a learner sees whether the first token still receives any signal. A loss or
gradient that stops being finite marks the cell as diverged; it then stops training and every
later number of it is `None`, never NaN.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from model.config import SEED_MAX, ConfigError
from model.rnn_numpy import LN10, log10_norm
from model.tasks import ADDING_TOLERANCE, TASKS, Batch, Task, make_task

TRAIN_CELLS: tuple[str, ...] = ("rnn", "irnn", "lstm", "gru")
OPTIMIZERS: tuple[str, ...] = ("adam", "rmsprop", "sgd")
CELL_LABELS = {"rnn": "RNN", "irnn": "IRNN", "lstm": "LSTM", "gru": "GRU"}

EVAL_SEED_OFFSET = 1_000_003  # the held-out batch never coincides with a training batch
INIT_SEED_OFFSET = 2_000_003  # initial weights come from their own stream
MAX_REPORTS = 500  # progress records per run: steps / report_every
PROBE_SIZE = 256  # held-out sequences scored at every report, at the full gap
PROFILE_SIZE = 32  # of them, the ones whose gradient profile is measured (float64, unrolled)
MAX_WORK = 4_000_000  # seq_len * hidden_size * batch_size: keeps one step within ~0.1 s
# seq_len * hidden_size * held-out sequences scored at once: a long, wide run scores fewer, so a
# report or the final score costs about a training step and a stop is not held up for a minute.
HELD_OUT_WORK = 2 * MAX_WORK
HELD_OUT_MIN = 16


def held_out_size(wanted: int, seq_len: int, hidden_size: int) -> int:
    """`wanted` held-out sequences, or fewer (at least HELD_OUT_MIN) where HELD_OUT_WORK binds."""
    return min(wanted, max(HELD_OUT_MIN, HELD_OUT_WORK // (seq_len * hidden_size)))


@dataclass(frozen=True)
class TrainConfig:
    """One training run; every cell in `cells` is trained with exactly these settings."""

    task: str = "agreement"  # agreement | adding
    gap: int = 80  # agreement: distractors between subject and verb; adding: sequence length
    cells: tuple[str, ...] = TRAIN_CELLS  # trained side by side, in this order
    steps: int = 1000  # optimiser steps, each on a fresh batch
    batch_size: int = 32
    hidden_size: int = 32  # H
    lr: float = 0.003  # the benchmark's choice: see bench/training.py
    optimizer: str = "adam"  # adam | rmsprop | sgd
    clip_norm: float | None = 1.0  # clip_grad_norm_ threshold; None trains unclipped
    forget_bias: float = 1.0  # LSTM only: added to the forget gate's bias (1 is standard)
    w_rec: float | None = None  # None: PyTorch's init (IRNN: identity); else W2 = w_rec * Q
    attractor_rate: float = 0.25  # agreement only: share of distractors that are nouns
    noise: float = 0.0  # agreement only: std of Gaussian noise on every input vector
    vary_gap: bool = True  # agreement only: train on gaps drawn from 0 … gap; score at gap
    seed: int = 0  # seeds the data, the held-out batch and the initial weights
    report_every: int = 20  # a progress record (and a gradient profile) every k steps
    eval_size: int = 1000  # held-out sequences scored at the end

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", tuple(self.cells))

    def task_(self) -> Task:
        return make_task(self.task, self.gap, self.attractor_rate, self.noise)

    def to_params(self) -> dict[str, Any]:
        params = asdict(self)
        params["cells"] = list(self.cells)
        return params


def validate(config: TrainConfig, max_steps: int = 3000) -> TrainConfig:
    """Check `config` against the lab's limits; raise ConfigError naming the field to change."""
    if config.task not in TASKS:
        raise ConfigError("task", f"{config.task!r} is not one of {', '.join(TASKS)}")
    low_gap = 2 if config.task == "adding" else 0
    if not low_gap <= config.gap <= 1000:
        raise ConfigError("gap", f"must be between {low_gap} and 1000")
    if not config.cells or len(set(config.cells)) != len(config.cells):
        raise ConfigError("cells", "give one or more distinct cells")
    for cell in config.cells:
        if cell not in TRAIN_CELLS:
            raise ConfigError("cells", f"{cell!r} is not one of {', '.join(TRAIN_CELLS)}")
    if config.optimizer not in OPTIMIZERS:
        raise ConfigError(
            "optimizer", f"{config.optimizer!r} is not one of {', '.join(OPTIMIZERS)}"
        )
    ranges = {
        "steps": (1, max_steps),
        "batch_size": (1, 512),
        "hidden_size": (1, 256),
        # more than steps is fine: the last step is always reported (steps 5 with the default 20)
        "report_every": (1, max_steps),
        "eval_size": (1, 4096),
        "seed": (0, SEED_MAX),
    }
    for name, (low, high) in ranges.items():
        value = getattr(config, name)
        if not low <= value <= high:
            raise ConfigError(name, f"must be between {low} and {high}")
    for name, bound in (("lr", 10.0), ("forget_bias", 100.0), ("attractor_rate", 1.0)):
        value = getattr(config, name)
        if not math.isfinite(value) or abs(value) > bound:
            raise ConfigError(name, f"must be a finite number with |{name}| <= {bound:g}")
    if config.steps > MAX_REPORTS * config.report_every:
        least = -(-config.steps // MAX_REPORTS)
        raise ConfigError("report_every", f"must be at least {least}: {MAX_REPORTS} reports a run")
    if config.lr <= 0:
        raise ConfigError("lr", "must be greater than 0")
    if config.attractor_rate < 0:
        raise ConfigError("attractor_rate", "must be between 0 and 1")
    if config.clip_norm is not None and not (
        math.isfinite(config.clip_norm) and 0 < config.clip_norm <= 1e6
    ):
        raise ConfigError("clip_norm", "must be a number in (0, 1e6], or null for no clipping")
    if config.w_rec is not None and not (math.isfinite(config.w_rec) and abs(config.w_rec) <= 10):
        raise ConfigError("w_rec", "must be a number with |w_rec| <= 10, or null for the default")
    work = config.task_().seq_len * config.hidden_size * config.batch_size
    if work > MAX_WORK:
        raise ConfigError(
            "batch_size", f"seq_len x hidden_size x batch_size = {work} exceeds {MAX_WORK}"
        )
    return config


def _orthogonal(size: int, generator: torch.Generator) -> torch.Tensor:
    gaussian = torch.randn((size, size), generator=generator)  # (H, H)
    q, r = torch.linalg.qr(gaussian)
    return q * torch.sign(torch.diagonal(r))  # signs fixed so Q is Haar-distributed


class RecurrentModel(nn.Module):
    """One recurrent layer (rnn, irnn, lstm or gru) and a linear readout of its last h_t."""

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        n_outputs: int,
        *,
        generator: torch.Generator,
        forget_bias: float = 1.0,
        w_rec: float | None = None,
    ) -> None:
        super().__init__()
        self.cell = cell
        self.recurrent: nn.RNN | nn.LSTM | nn.GRU
        if cell in ("rnn", "irnn"):
            nonlinearity = "relu" if cell == "irnn" else "tanh"
            self.recurrent = nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity)
        elif cell == "lstm":
            self.recurrent = nn.LSTM(input_size, hidden_size)
        elif cell == "gru":
            self.recurrent = nn.GRU(input_size, hidden_size)
        else:
            raise ValueError(f"unknown cell {cell!r}")
        self.readout = nn.Linear(hidden_size, n_outputs)
        self._init(generator, forget_bias, w_rec)

    @torch.no_grad()
    def _init(self, generator: torch.Generator, forget_bias: float, w_rec: float | None) -> None:
        # PyTorch's own scheme, U(-1/sqrt(H), 1/sqrt(H)), drawn from a local generator so that
        # concurrent jobs stay reproducible (the global RNG is shared between threads).
        hidden = self.recurrent.hidden_size
        bound = 1.0 / math.sqrt(hidden)
        for param in self.parameters():
            param.uniform_(-bound, bound, generator=generator)
        weight_hh = self.recurrent.get_parameter("weight_hh_l0")  # (gates * H, H)
        bias_ih = self.recurrent.get_parameter("bias_ih_l0")  # (gates * H,)
        bias_hh = self.recurrent.get_parameter("bias_hh_l0")  # (gates * H,)
        if self.cell == "irnn":  # Le et al. 2015: identity recurrence, zero biases
            weight_hh.copy_(torch.eye(hidden) * (1.0 if w_rec is None else w_rec))
            bias_ih.zero_()
            bias_hh.zero_()
        elif w_rec is not None:
            gates = weight_hh.shape[0] // hidden
            blocks = [w_rec * _orthogonal(hidden, generator) for _ in range(gates)]
            weight_hh.copy_(torch.cat(blocks, dim=0))  # (gates * H, H)
        if self.cell == "lstm":  # gate order i, f, g, o: the forget gate is the second block
            bias_ih[hidden : 2 * hidden] += forget_bias

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs read from the last hidden state h_T: (B, n_outputs)."""
        output, _ = self.recurrent(inputs.transpose(0, 1))  # (T, B, H)
        return self.readout(output[-1])  # (B, n_outputs)

    def forward_unrolled(self, inputs: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The same outputs, one step at a time, keeping every state s_t to take ∂ℓ/∂s_t later.

        s_t is h_t, and for the LSTM [h_t, c_t]: its memory lives in c_t, so a gradient that
        reaches c_1 but not h_1 still reaches the first token.
        """
        # The fused layer hides s_t inside its kernel: the gradient w.r.t. its output tensor
        # holds only the readout's direct share. Feeding each s_t back by hand puts it on every
        # later path, so the gradient w.r.t. it is the total derivative.
        x = inputs.transpose(0, 1)  # (T, B, V)
        size = self.recurrent.hidden_size
        states: list[torch.Tensor] = []
        s_t: torch.Tensor | None = None
        for t in range(x.shape[0]):
            if self.cell == "lstm":
                hc = None if s_t is None else (s_t[None, :, :size], s_t[None, :, size:])
                output, (_, c_t) = self.recurrent(x[t : t + 1], hc)  # (1, B, H) each
                s_t = torch.cat([output[0], c_t[0]], dim=1)  # (B, 2H)
            else:
                output, _ = self.recurrent(x[t : t + 1], None if s_t is None else s_t[None])
                s_t = output[0]  # (B, H)
            states.append(s_t)
        return self.readout(states[-1][:, :size]), states  # (B, n_outputs), T x (B, H or 2H)


def loss_and_accuracy(
    task: Task, outputs: torch.Tensor, batch: Batch
) -> tuple[torch.Tensor, float]:
    """Mean loss of the batch (cross-entropy or squared error) and the share answered right."""
    if task.kind == "classification":
        loss = nn.functional.cross_entropy(outputs, batch.targets)
        correct = outputs.argmax(dim=1) == batch.targets  # (B,)
    else:
        prediction = outputs[:, 0]  # (B,)
        targets = batch.targets.to(prediction.dtype)  # (B,)
        loss = nn.functional.mse_loss(prediction, targets)
        correct = (prediction - targets).abs() < ADDING_TOLERANCE  # (B,)
    return loss, float(correct.float().mean())


@dataclass
class CellStep:
    """What one optimiser step of one cell measured on its training batch."""

    loss: float
    accuracy: float
    grad_norm: float  # total norm of the parameter gradient, before clipping
    clipped_grad_norm: float  # the same after clipping (equal when not clipped)


@dataclass
class Probe:
    """A cell measured on the held-out probe batch at the full gap, without updating it."""

    loss: float | None
    accuracy: float | None
    grad_log10: list[float | None] | None  # log10 mean_b ‖∂ℓ_b/∂s_t‖, t = 1 … T


class CellTrainer:
    """One cell's model and optimiser, stepping on batches it is handed."""

    def __init__(self, cell: str, config: TrainConfig, task: Task) -> None:
        self.cell = cell
        self.config = config
        self.task = task
        generator = torch.Generator().manual_seed((config.seed + INIT_SEED_OFFSET) % SEED_MAX)
        self.model = RecurrentModel(
            cell,
            task.input_size,
            config.hidden_size,
            task.n_outputs,
            generator=generator,
            forget_bias=config.forget_bias,
            w_rec=config.w_rec,
        )
        params = list(self.model.parameters())
        self.optimizer: torch.optim.Optimizer
        if config.optimizer == "adam":
            self.optimizer = torch.optim.Adam(params, lr=config.lr)
        elif config.optimizer == "rmsprop":
            self.optimizer = torch.optim.RMSprop(params, lr=config.lr)
        else:
            self.optimizer = torch.optim.SGD(params, lr=config.lr)
        self.diverged_at: int | None = None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def step(self, batch: Batch, step: int) -> CellStep | None:
        """One optimiser step on `batch`; None (and diverged from now on) if it is not finite."""
        if self.diverged:
            return None
        self.optimizer.zero_grad(set_to_none=True)
        loss, accuracy = loss_and_accuracy(self.task, self.model(batch.inputs), batch)
        if not torch.isfinite(loss):
            self.diverged_at = step
            return None
        loss.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        grads = [p.grad for p in params if p.grad is not None]
        grad_norm = float(nn.utils.get_total_norm(grads))
        if not math.isfinite(grad_norm):  # an overflowed gradient would poison the weights
            self.diverged_at = step
            return None
        clipped = grad_norm
        if self.config.clip_norm is not None:
            nn.utils.clip_grad_norm_(params, self.config.clip_norm)
            clipped = float(nn.utils.get_total_norm(grads))  # clipping scaled them in place
        self.optimizer.step()
        return CellStep(loss.item(), accuracy, grad_norm, clipped)

    def probe(self, batch: Batch, profile_size: int = PROFILE_SIZE) -> Probe:
        """Held-out loss and accuracy on `batch`; the gradient profile of its first sequences."""
        if self.diverged:
            return Probe(None, None, None)
        with torch.no_grad():
            loss, accuracy = loss_and_accuracy(self.task, self.model(batch.inputs), batch)
        if not torch.isfinite(loss) or profile_size == 0:
            return Probe(loss.item() if torch.isfinite(loss) else None, accuracy, None)
        # In float64 a vanished gradient stays a number (10⁻⁴⁰ and beyond) instead of zero.
        model = copy.deepcopy(self.model).double()
        head = Batch(batch.inputs[:profile_size].double(), batch.targets[:profile_size])
        outputs, states = model.forward_unrolled(head.inputs)
        head_loss, _ = loss_and_accuracy(self.task, outputs, head)
        # Gradients of the states only: the weights' .grad stay untouched.
        grads = torch.autograd.grad(head_loss, states, allow_unused=True)
        row = state_grad_log10(list(grads), head.inputs.shape[0])
        return Probe(loss.item(), accuracy, row)


def state_grad_log10(grads: list[torch.Tensor | None], batch_size: int) -> list[float | None]:
    """log10 of the batch mean of ‖∂ℓ_b/∂s_t‖ per step; None where it is zero or not finite.

    The loss is a batch mean, so B ∂(loss)/∂s_t is each sequence's own ∂ℓ_b/∂s_t and the mean of
    their norms is the plain sum of the rows' norms. Each norm is taken after scaling its row by
    its largest entry, and the sum in log space: a gradient of 1e-200 (whose squares underflow
    float64) still gets its exponent.
    """
    row: list[float | None] = []
    for grad in grads:
        if grad is None:
            row.append(None)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):  # zero rows: -inf; NaN: None
            log_norms = log10_norm(grad.double().numpy())  # (B,) each row scaled first
            ln_sum = float(np.logaddexp.reduce(log_norms * LN10))  # -inf: every row zero
        scale = math.log(batch_size / grad.shape[0])  # 0 when the rows are the whole batch
        row.append((ln_sum + scale) / LN10 if math.isfinite(ln_sum) else None)
    return row


@dataclass
class Progress:
    """Every cell's record at one reported step (see `_record` for the fields)."""

    step: int
    steps: int
    elapsed_s: float
    cells: dict[str, dict[str, Any]]


@dataclass
class TrainResult:
    """The end of a run: held-out scores per cell and why it ended."""

    config: TrainConfig
    steps_done: int
    stopped: str | None  # None: ran all steps; "stop" on request; "time" at the time cap
    elapsed_s: float
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.config.to_params(),
            "steps_done": self.steps_done,
            "stopped": self.stopped,
            "elapsed_s": round(self.elapsed_s, 3),
            "cells": self.cells,
            "text": self.text,
        }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _record(trainer: CellTrainer, window: list[CellStep], probe: Probe) -> dict[str, Any]:
    """Probe numbers at the full gap, and means over the training steps since the last record."""
    return {
        "loss": probe.loss,
        "accuracy": probe.accuracy,
        "grad_log10": probe.grad_log10,
        "train_loss": _mean([s.loss for s in window]),
        "train_accuracy": _mean([s.accuracy for s in window]),
        "grad_norm": _mean([s.grad_norm for s in window]),
        "clipped_grad_norm": _mean([s.clipped_grad_norm for s in window]),
        "diverged": trainer.diverged,
        "diverged_at": trainer.diverged_at,
    }


def train(
    config: TrainConfig,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    max_seconds: float | None = None,
) -> TrainResult:
    """Train every cell of `config` in lockstep on the same batches; report at step 0, every k
    steps and at the last step."""
    start = time.monotonic()  # the time cap and elapsed_s cover the step-0 report too
    task = config.task_()
    data = torch.Generator().manual_seed(config.seed)
    held_out = torch.Generator().manual_seed((config.seed + EVAL_SEED_OFFSET) % SEED_MAX)
    probe_size = held_out_size(PROBE_SIZE, task.seq_len, config.hidden_size)
    profile_size = min(PROFILE_SIZE, probe_size)
    probe_batch = task.batch(probe_size, held_out)
    trainers = {cell: CellTrainer(cell, config, task) for cell in config.cells}
    windows: dict[str, list[CellStep]] = {cell: [] for cell in config.cells}
    probes = {cell: t.probe(probe_batch, profile_size) for cell, t in trainers.items()}
    untrained = {cell: first_to_last_log10(probe.grad_log10) for cell, probe in probes.items()}
    if on_progress is not None:  # step 0: the untrained cells, gradient profile included
        cells = {c: _record(trainers[c], [], probes[c]) for c in config.cells}
        on_progress(Progress(0, config.steps, time.monotonic() - start, cells))
    stopped: str | None = None
    step = 0
    for step in range(1, config.steps + 1):
        if should_stop is not None and should_stop():
            stopped, step = "stop", step - 1
            break
        if max_seconds is not None and time.monotonic() - start > max_seconds:
            stopped, step = "time", step - 1
            break
        batch = task.batch(config.batch_size, data, full_gap=not config.vary_gap)
        for cell, trainer in trainers.items():
            record = trainer.step(batch, step)
            if record is not None:
                windows[cell].append(record)
        if step % config.report_every == 0 or step == config.steps:
            probes = {cell: t.probe(probe_batch, profile_size) for cell, t in trainers.items()}
            if on_progress is not None:
                cells = {c: _record(trainers[c], windows[c], probes[c]) for c in config.cells}
                on_progress(Progress(step, config.steps, time.monotonic() - start, cells))
            windows = {cell: [] for cell in config.cells}
    final = task.batch(held_out_size(config.eval_size, task.seq_len, config.hidden_size), held_out)
    scores = {cell: trainer.probe(final, profile_size=0) for cell, trainer in trainers.items()}
    result = TrainResult(config, step, stopped, time.monotonic() - start)
    for cell, trainer in trainers.items():
        scored = scores[cell]
        result.cells[cell] = {
            "accuracy": scored.accuracy,
            "loss": scored.loss,
            "diverged": trainer.diverged,
            "diverged_at": trainer.diverged_at,
            "first_to_last_log10_start": untrained[cell],
            "first_to_last_log10": first_to_last_log10(probes[cell].grad_log10),
        }
    result.text = describe(result, task.chance)
    return result


def first_to_last_log10(row: list[float | None] | None) -> float | None:
    """log10 of ‖∂ℓ/∂s_1‖ / ‖∂ℓ/∂s_T‖: how much of the signal reaches the first token."""
    if not row or row[0] is None or row[-1] is None:
        return None
    return row[0] - row[-1]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _steps(count: int) -> str:
    return "1 step" if count == 1 else f"{count} steps"


def power_of_ten(log10: float) -> str:
    """10 to a rounded exponent in plain text with superscripts: 10⁻¹²."""
    return "10" + str(round(log10)).translate(_SUPERSCRIPT)


def describe(result: TrainResult, chance: float) -> str:
    """One plain-words sentence per cell: what it reached and how much gradient got through."""
    gap = result.config.gap
    agreement = result.config.task == "agreement"
    where = f"gap {gap}" if agreement else f"length {gap}"
    first = "first word" if agreement else "first number"  # as the lab page names them
    sentences = []
    for cell, summary in result.cells.items():
        label = CELL_LABELS[cell]
        accuracy = summary["accuracy"]
        if summary["diverged"]:
            sentences.append(
                f"{label} diverged at step {summary['diverged_at']} (loss no longer finite)."
            )
            continue
        if accuracy is None:
            continue
        if accuracy >= 0.9:
            text = f"{label} reached {accuracy:.0%} at {where}"
        elif abs(accuracy - chance) <= 0.1:
            text = f"{label} stayed at chance ({accuracy:.0%}) at {where}"
        else:
            text = f"{label} got {accuracy:.0%} at {where}"
        start, end = summary.get("first_to_last_log10_start"), summary["first_to_last_log10"]
        if start is not None and end is not None:
            text += (
                f"; its gradient at the {first} was {power_of_ten(start)} of the last's"
                f" at step 0 and {power_of_ten(end)} at the end"
            )
        elif end is not None:
            text += f"; its gradient at the {first} was {power_of_ten(end)} of the last's"
        sentences.append(text + ".")
    if result.stopped == "stop":
        sentences.append(f"Stopped on request after {_steps(result.steps_done)}.")
    elif result.stopped == "time":
        sentences.append(f"Stopped at the time limit after {_steps(result.steps_done)}.")
    return " ".join(sentences)
