"""Timing helpers: warm-ups, repetitions, medians, percentiles (time.perf_counter)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of several repetitions of one operation."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def median_ms(self) -> float:
        return self.median * 1000.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "median_ms": round(self.median_ms, 4),
            "min_ms": round(min(self.samples) * 1000.0, 4),
            "max_ms": round(max(self.samples) * 1000.0, 4),
            "repetitions": len(self.samples),
        }


def measure(fn: Callable[[int], object], *, warmup: int, repeat: int) -> Timing:
    """Time fn(i) `repeat` times after `warmup` untimed calls; i is distinct per call."""
    for i in range(warmup):
        fn(-1 - i)
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


async def measure_async(
    fn: Callable[[int], Awaitable[object]], *, warmup: int, repeat: int
) -> Timing:
    """The coroutine version of measure."""
    for i in range(warmup):
        await fn(-1 - i)
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        await fn(i)
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
