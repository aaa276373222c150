"""Cooperative cancellation: the engine polls `should_stop` and raises `Cancelled`."""

from __future__ import annotations

from collections.abc import Callable

POLL_EVERY = 16  # steps between polls: cheap enough, and a stop lands within a few ms


class Cancelled(Exception):
    """Raised inside simulate()/sweep() when `should_stop()` returned True."""


class Poll:
    """Calls `should_stop` every POLL_EVERY steps and raises Cancelled when it says so."""

    def __init__(self, should_stop: Callable[[], bool] | None) -> None:
        self.should_stop = should_stop

    def __call__(self, step: int = 0) -> None:
        if self.should_stop is not None and step % POLL_EVERY == 0 and self.should_stop():
            raise Cancelled("stopped by should_stop()")
