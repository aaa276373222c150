"""Synthetic long-range tasks for the training lab, generated from a seed (no downloads).

- `AgreementTask`: "The dogs … were barking". A subject noun (singular or plural) comes first,
  then `gap` distractor tokens, then the verb slot; the model must output the subject's number.
  Distractors are number-neutral fillers and, with `attractor_rate`, nouns of a random number
  (agreement attractors: "the dogs near the cat were"), so remembering the latest noun is
  no better than chance: only the first token decides.
- `AddingTask`: the adding problem (Hochreiter and Schmidhuber 1997; Le et al. 2015). Each step
  carries a random value in [0, 1] and a marker; two steps are marked, one in each half, and the
  target is the sum of their values. A prediction counts as correct within 0.04 of the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

TaskName = Literal["agreement", "adding"]
TASKS: tuple[str, ...] = ("agreement", "adding")

ADDING_TOLERANCE = 0.04  # Hochreiter and Schmidhuber's success criterion for the adding problem


@dataclass(frozen=True)
class Batch:
    """Inputs and targets of one batch; `targets` are class ids or real values by task."""

    inputs: torch.Tensor  # (B, T, input_size) float32
    targets: torch.Tensor  # (B,) int64 for classification, (B,) float32 for regression


@dataclass(frozen=True)
class AgreementTask:
    """Predict the first token's number (0 singular, 1 plural) at the verb slot, `gap` later."""

    gap: int = 50  # distractor tokens between the subject and the verb slot
    n_nouns: int = 4  # singular nouns, and as many plural ones
    n_fillers: int = 16  # number-neutral distractor tokens
    attractor_rate: float = 0.25  # chance that a distractor is a noun of random number
    noise: float = 0.0  # std of Gaussian noise added to every distractor's input vector

    kind = "classification"
    n_outputs = 2

    @property
    def seq_len(self) -> int:
        return self.gap + 2  # subject, gap distractors, verb slot

    @property
    def input_size(self) -> int:
        return 1 + 2 * self.n_nouns + self.n_fillers  # one-hot: verb slot, nouns, fillers

    @property
    def chance(self) -> float:
        return 0.5

    def token_ids(
        self, batch_size: int, generator: torch.Generator, gap: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (B, gap + 2) and the subject's number (B,).

        Ids: 0 the verb slot, 1 … n_nouns the singular nouns, then the plural ones, then fillers.
        """
        b, n = batch_size, self.n_nouns
        number = torch.randint(0, 2, (b,), generator=generator)  # (B,)
        noun = torch.randint(0, n, (b,), generator=generator)  # (B,)
        subject = 1 + number * n + noun  # (B,)
        filler = 1 + 2 * n + torch.randint(0, self.n_fillers, (b, gap), generator=generator)
        attractor = 1 + torch.randint(0, 2 * n, (b, gap), generator=generator)  # (B, gap)
        use_attractor = torch.rand((b, gap), generator=generator) < self.attractor_rate
        distractors = torch.where(use_attractor, attractor, filler)  # (B, gap)
        verb = torch.zeros((b, 1), dtype=torch.int64)  # (B, 1)
        return torch.cat([subject[:, None], distractors, verb], dim=1), number  # (B, T), (B,)

    def batch(self, batch_size: int, generator: torch.Generator, full_gap: bool = True) -> Batch:
        """A batch at the full gap, or (`full_gap` False) at one gap drawn from 0 … gap.

        Drawn gaps give short dependencies, which every cell can learn, between long ones, as
        sentences do; a batch shares its gap, so every sequence starts from h_0 = 0 at its
        subject and ends at its verb slot, with no padding.
        """
        gap = self.gap
        if not full_gap:
            gap = int(torch.randint(0, self.gap + 1, (1,), generator=generator))
        ids, number = self.token_ids(batch_size, generator, gap)
        inputs = torch.nn.functional.one_hot(ids, self.input_size).float()  # (B, T, V)
        if self.noise > 0:  # Bengio et al. 1994: Gaussian noise between the cue and the answer
            noise = self.noise * torch.randn(
                (batch_size, gap, self.input_size), generator=generator
            )
            inputs[:, 1 : gap + 1] += noise  # (B, gap, V)
        return Batch(inputs=inputs, targets=number)


@dataclass(frozen=True)
class AddingTask:
    """Sum the two marked values of a length-`gap` sequence of (value, marker) pairs."""

    gap: int = 50  # the sequence length T; the marked steps lie up to T - 1 steps apart

    kind = "regression"
    n_outputs = 1
    input_size = 2  # (value, marker)

    @property
    def seq_len(self) -> int:
        return self.gap

    @property
    def chance(self) -> float:
        # Always answering 1 (the mean) is within the tolerance this often: the sum of two
        # uniforms has density about 1 near 1.
        return 2 * ADDING_TOLERANCE

    def batch(self, batch_size: int, generator: torch.Generator, full_gap: bool = True) -> Batch:
        """`full_gap` changes nothing here: the markers' distance varies within every batch."""
        b, t = batch_size, self.gap  # t >= 2: one marker in each half
        values = torch.rand((b, t), generator=generator)  # (B, T)
        half = t // 2
        first = torch.randint(0, half, (b,), generator=generator)  # (B,)
        second = torch.randint(half, t, (b,), generator=generator)  # (B,)
        markers = torch.zeros((b, t))  # (B, T)
        rows = torch.arange(b)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        targets = (values * markers).sum(dim=1)  # (B,)
        inputs = torch.stack([values, markers], dim=2)  # (B, T, 2)
        return Batch(inputs=inputs, targets=targets)


Task = AgreementTask | AddingTask


def make_task(name: str, gap: int, attractor_rate: float = 0.25, noise: float = 0.0) -> Task:
    """The task called `name` with its dependency length `gap`."""
    if name == "agreement":
        return AgreementTask(gap=gap, attractor_rate=attractor_rate, noise=noise)
    if name == "adding":
        return AddingTask(gap=gap)
    raise ValueError(f"unknown task {name!r}; use one of {', '.join(TASKS)}")
