"""Polling helpers for tests that watch a live server's state change."""

from __future__ import annotations

import time
from collections.abc import Callable

from server.compute import Compute


def wait_for(
    condition: Callable[[], bool],
    timeout: float = 30.0,
    describe: Callable[[], str] = lambda: "condition not reached",
) -> None:
    """Poll `condition` until it holds; fail with `describe()` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, describe()
        time.sleep(0.005)


def wait_idle(compute: Compute, timeout: float = 30.0) -> None:
    """Until no stream is open and no job waits or runs in the compute pool."""
    pool = compute.pool
    wait_for(
        lambda: compute.live_streams == 0 and pool.pending == 0 and pool.running == 0,
        timeout,
        lambda: (
            f"left behind: streams={compute.live_streams} pending={pool.pending} "
            f"running={pool.running}"
        ),
    )
