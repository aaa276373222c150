"""A bounded thread pool for blocking torch work, so the event loop never waits on compute."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class PoolFull(Exception):
    """Every worker is busy and the waiting line is full: answer 503 with Retry-After."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("the server is busy; retry shortly")
        self.retry_after = retry_after


class ComputePool:
    """`workers` threads run jobs, at most `queue_size` more wait; further jobs are refused."""

    def __init__(self, workers: int, queue_size: int) -> None:
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue_size)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="rnngf-compute")
        self._lock = threading.Lock()
        self.pending = 0  # submitted and not yet finished (running or waiting)
        self.running = 0  # inside a worker thread right now

    async def run(self, fn: Callable[[], T], *, always_queue: bool = False) -> T:
        """Run `fn` on a worker; PoolFull at once when no slot is free, unless `always_queue`.

        The stream passes always_queue: latest wins, so a socket never has more than one job
        here, and its newest request should wait its turn rather than be refused.
        """
        with self._lock:
            if self.pending >= self.capacity and not always_queue:
                raise PoolFull()
            self.pending += 1
        try:
            job = self._executor.submit(self._tracked, fn)
        except RuntimeError:  # executor shut down while the app stops
            self._release()
            raise PoolFull() from None
        # Released when the job ends or is cancelled before starting, not when the waiter
        # goes away: a cancelled request must not free a slot its thread still occupies.
        job.add_done_callback(self._release)
        return await asyncio.wrap_future(job)

    def _tracked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            self.running += 1
        try:
            return fn()
        finally:
            with self._lock:
                self.running -= 1

    def _release(self, _job: object = None) -> None:
        with self._lock:
            self.pending -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
