"""Cuts one result into the stream's forward and backward frames (contract section 3)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

FRAMES_PER_PASS = 5  # T = 100 streams as 5 forward + 5 backward frames
MAX_FLOATS_PER_FRAME = 50_000  # keeps each frame well under a megabyte

FORWARD_KEYS = ("hidden", "cell_state")
BACKWARD_KEYS = (
    "grad_log10",
    "grad_norm",
    "input_grad_log10",
    "step_bound_log10",
    "cell_grad_log10",
)


def steps_per_frame(result: dict[str, Any]) -> int:
    """Few frames for long sequences, one step a frame for short ones."""
    seq_len = len(result["grad_log10"])
    hidden = result["hidden"]
    width = len(hidden[0]) if hidden else 1
    floats_per_step = width * (2 + len(result.get("gates") or {}))
    by_count = math.ceil(seq_len / FRAMES_PER_PASS)
    by_size = max(1, MAX_FLOATS_PER_FRAME // max(1, floats_per_step))
    return max(1, min(by_count, by_size))


def _take(values: list[Any], steps: list[int]) -> Any:
    # A one-step frame carries the step's value itself; a longer one a list, one entry a step.
    if len(steps) == 1:
        return values[steps[0]]
    return [values[i] for i in steps]


def _frame(
    kind: str, frame_id: Any, result: dict[str, Any], steps: list[int], keys: tuple[str, ...]
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": kind, "id": frame_id, "t": steps[0] + 1}
    for key in keys:
        values = result.get(key)
        if values is not None:
            frame[key] = _take(values, steps)
    gates = result.get("gates")
    if kind == "forward" and gates:
        frame["gates"] = {name: _take(values, steps) for name, values in gates.items()}
    return frame


def stream_frames(frame_id: Any, result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Forward frames for t = 1..T ascending, then backward frames for t = T..1 descending."""
    seq_len = len(result["grad_log10"])
    size = steps_per_frame(result)
    for start in range(0, seq_len, size):
        steps = list(range(start, min(start + size, seq_len)))
        yield _frame("forward", frame_id, result, steps, FORWARD_KEYS)
    for end in range(seq_len - 1, -1, -size):
        steps = list(range(end, max(end - size, -1), -1))
        yield _frame("backward", frame_id, result, steps, BACKWARD_KEYS)
