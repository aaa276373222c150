"""The synthetic tasks: seeded, shaped as documented, and with the answer where it should be."""

from __future__ import annotations

import pytest
import torch

from model.tasks import ADDING_TOLERANCE, AddingTask, AgreementTask, make_task


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_agreement_is_reproducible_from_its_seed() -> None:
    task = AgreementTask(gap=12)
    a, b, c = task.batch(16, gen(5)), task.batch(16, gen(5)), task.batch(16, gen(6))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.inputs, c.inputs)


def test_agreement_full_gap_layout() -> None:
    task = AgreementTask(gap=7, n_nouns=4, n_fillers=16)
    batch = task.batch(64, gen(1))
    assert batch.inputs.shape == (64, 9, 25)  # T = gap + 2, V = 1 + 2 * 4 + 16
    assert torch.equal(batch.inputs.sum(dim=2), torch.ones(64, 9))  # one-hot at every step
    ids = batch.inputs.argmax(dim=2)  # (B, T)
    subject = ids[:, 0]
    assert bool(((subject >= 1) & (subject <= 8)).all())
    # The subject's number is the target: ids 1-4 singular (0), 5-8 plural (1).
    assert torch.equal((subject - 1) // 4, batch.targets)
    assert bool((ids[:, -1] == 0).all())  # the verb slot
    assert bool((ids[:, 1:-1] >= 1).all())  # no verb slot among the distractors
    assert set(batch.targets.tolist()) == {0, 1}


def test_attractor_rate_controls_nouns_among_distractors() -> None:
    clean = AgreementTask(gap=50, attractor_rate=0.0).batch(32, gen(2))
    assert bool((clean.inputs.argmax(dim=2)[:, 1:-1] >= 9).all())  # fillers only
    nouns = AgreementTask(gap=50, attractor_rate=1.0).batch(32, gen(2))
    distractors = nouns.inputs.argmax(dim=2)[:, 1:-1]
    assert bool(((distractors >= 1) & (distractors <= 8)).all())
    mixed = AgreementTask(gap=200, attractor_rate=0.25).batch(64, gen(3))
    share = float((mixed.inputs.argmax(dim=2)[:, 1:-1] <= 8).float().mean())
    assert share == pytest.approx(0.25, abs=0.02)  # 12,800 draws: 4 standard errors


def test_attractors_carry_no_information_about_the_answer() -> None:
    batch = AgreementTask(gap=30, attractor_rate=1.0).batch(4000, gen(4))
    latest_noun_number = (batch.inputs.argmax(dim=2)[:, -2] - 1) // 4  # (B,)
    agreement = float((latest_noun_number == batch.targets).float().mean())
    assert agreement == pytest.approx(0.5, abs=0.035)


def test_drawn_gaps_stay_within_zero_to_gap_and_end_at_the_verb() -> None:
    task = AgreementTask(gap=6)
    generator = gen(7)
    lengths = set()
    for _ in range(60):
        batch = task.batch(4, generator, full_gap=False)
        lengths.add(batch.inputs.shape[1])
        assert bool((batch.inputs.argmax(dim=2)[:, -1] == 0).all())
    assert lengths == set(range(2, 9))  # gaps 0 … 6


def test_noise_touches_only_the_distractors() -> None:
    noisy = AgreementTask(gap=10, noise=0.5).batch(64, gen(8))
    clean = AgreementTask(gap=10).batch(64, gen(8))  # noise is drawn last: same tokens
    residual = noisy.inputs - clean.inputs  # (B, T, V)
    assert torch.equal(residual[:, [0, -1]], torch.zeros(64, 2, 25))  # subject, verb slot
    assert float(residual[:, 1:-1].std()) == pytest.approx(0.5, rel=0.05)


def test_adding_problem_marks_one_value_in_each_half() -> None:
    task = AddingTask(gap=20)
    batch = task.batch(128, gen(9))
    values, markers = batch.inputs[:, :, 0], batch.inputs[:, :, 1]
    assert batch.inputs.shape == (128, 20, 2)
    assert bool(((values >= 0) & (values < 1)).all())
    assert torch.equal(markers[:, :10].sum(dim=1), torch.ones(128))
    assert torch.equal(markers[:, 10:].sum(dim=1), torch.ones(128))
    expected = (values * markers).sum(dim=1)
    assert torch.allclose(batch.targets, expected, atol=0, rtol=0)
    assert task.chance == pytest.approx(2 * ADDING_TOLERANCE)


def test_adding_chance_is_what_answering_one_scores() -> None:
    batch = AddingTask(gap=10).batch(20000, gen(10))
    always_one = float(((batch.targets - 1).abs() < ADDING_TOLERANCE).float().mean())
    assert always_one == pytest.approx(AddingTask(gap=10).chance, abs=0.01)


def test_make_task_names() -> None:
    assert make_task("agreement", 9, attractor_rate=0.5) == AgreementTask(9, attractor_rate=0.5)
    assert make_task("adding", 9) == AddingTask(9)
    with pytest.raises(ValueError, match="unknown task"):
        make_task("copying", 9)
