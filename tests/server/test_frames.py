"""How one result is cut into stream frames (contract section 3), on hand-made results."""

from __future__ import annotations

from typing import Any

import pytest

from server.frames import FRAMES_PER_PASS, MAX_FLOATS_PER_FRAME, stream_frames


def lstm_like(seq_len: int, width: int) -> dict[str, Any]:
    """A result whose every per-step value names its step, so misplaced steps show."""

    def rows(tag: float) -> list[list[float]]:
        return [[tag + t + i / 100 for i in range(width)] for t in range(1, seq_len + 1)]

    def per_step(tag: float) -> list[float | None]:
        return [tag + t for t in range(1, seq_len + 1)]

    return {
        "hidden": rows(0),
        "cell_state": rows(1000),
        "gates": {name: rows(k * 10_000) for k, name in enumerate(("input", "forget"), 1)},
        "grad_log10": per_step(0.5),
        "grad_norm": per_step(0.25),
        "input_grad_log10": per_step(0.75),
        "step_bound_log10": [None] * seq_len,
        "cell_grad_log10": per_step(0.125),
    }


@pytest.mark.parametrize("seq_len", [1, 2, 5, 7, 100, 2000])
def test_frames_cover_each_step_once_in_pass_order(seq_len: int) -> None:
    result = lstm_like(seq_len, width=2)  # small: the count, not the size, sets the frames
    frames = list(stream_frames("id", result))
    forward = [f for f in frames if f["type"] == "forward"]
    backward = [f for f in frames if f["type"] == "backward"]
    assert frames == forward + backward
    assert len(forward) == len(backward) <= FRAMES_PER_PASS
    seen_forward, seen_backward = [], []
    for frame in forward:
        hidden = frame["hidden"] if isinstance(frame["hidden"][0], list) else [frame["hidden"]]
        steps = [frame["t"] + i for i in range(len(hidden))]
        seen_forward += steps
        assert hidden == [result["hidden"][t - 1] for t in steps]
        cells = frame["cell_state"] if len(steps) > 1 else [frame["cell_state"]]
        assert cells == [result["cell_state"][t - 1] for t in steps]
        forget = frame["gates"]["forget"] if len(steps) > 1 else [frame["gates"]["forget"]]
        assert forget == [result["gates"]["forget"][t - 1] for t in steps]
    for frame in backward:
        grads = (
            frame["grad_log10"] if isinstance(frame["grad_log10"], list) else [frame["grad_log10"]]
        )
        steps = [frame["t"] - i for i in range(len(grads))]
        seen_backward += steps
        assert grads == [result["grad_log10"][t - 1] for t in steps]
        for key in ("grad_norm", "input_grad_log10", "cell_grad_log10", "step_bound_log10"):
            values = frame[key] if len(steps) > 1 else [frame[key]]
            assert values == [result[key][t - 1] for t in steps], key
        assert "hidden" not in frame and "gates" not in frame
    assert seen_forward == list(range(1, seq_len + 1))
    assert seen_backward == list(range(seq_len, 0, -1))


def test_short_sequences_stream_one_step_a_frame() -> None:
    frames = list(stream_frames(3, lstm_like(4, width=3)))
    assert [(f["type"], f["t"]) for f in frames] == [
        ("forward", 1),
        ("forward", 2),
        ("forward", 3),
        ("forward", 4),
        ("backward", 4),
        ("backward", 3),
        ("backward", 2),
        ("backward", 1),
    ]
    assert frames[0]["hidden"] == [1.0, 1.01, 1.02]  # H floats, not a list of lists
    assert frames[4]["grad_log10"] == 4.5  # one number
    assert all(f["id"] == 3 for f in frames)


def test_wide_results_are_split_to_keep_frames_small() -> None:
    frames = list(stream_frames(0, lstm_like(200, width=512)))
    sizes = [len(f["hidden"]) for f in frames if f["type"] == "forward"]
    # hidden, cell_state and two gates: 4 x 512 floats a step
    assert sum(sizes) == 200 and max(sizes) * 4 * 512 <= MAX_FLOATS_PER_FRAME
    assert len(sizes) > FRAMES_PER_PASS


def test_rnn_results_carry_no_lstm_keys() -> None:
    result = lstm_like(3, width=1)
    for key in ("cell_state", "gates", "cell_grad_log10"):
        result.pop(key)
    for frame in stream_frames(None, result):
        assert "cell_state" not in frame and "gates" not in frame and "cell_grad_log10" not in frame
