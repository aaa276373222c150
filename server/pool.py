"""A bounded thread pool for blocking torch work, so the event loop never waits on compute."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class PoolFull(Exception):
    """Every worker is busy and the waiting line is full: answer 503 with Retry-After."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("the server is busy; retry shortly")
        self.retry_after = retry_after


class ComputePool:
    """`workers` threads fed from one first-come line; HTTP jobs beyond a bound are refused.

    The line lives on the event loop (not in the executor) so a job can wait for its turn
    and only then decide what to compute: a stream swaps its newest request into its place.
    Only HTTP jobs count against `workers + queue_size`; a stream has at most one job in the
    line per socket, so a busy classroom never turns the preset GETs away.
    """

    def __init__(self, workers: int, queue_size: int) -> None:
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue_size)  # HTTP jobs waiting or running
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="rnngf-compute")
        self._lock = threading.Lock()
        self._line: deque[asyncio.Future[None]] = deque()
        self.busy = 0  # worker slots held (a job in a thread, or about to start one)
        self.pending = 0  # jobs of any kind in the line or holding a slot
        self.http_pending = 0  # the HTTP share of `pending`, bounded by `capacity`
        self.running = 0  # inside a worker thread right now

    async def acquire(self) -> None:
        """Wait, first come first served, for a worker slot; the caller must hand it back."""
        self.pending += 1
        if self.busy < self.workers and not self._line:
            self.busy += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # granted just as the waiter left: pass it on
            else:
                if turn in self._line:  # release() may have skipped it already
                    self._line.remove(turn)
                self.pending -= 1
            raise

    def release(self) -> None:
        """Hand a slot to the next in line (event-loop thread only)."""
        self.pending -= 1
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes on; `busy` is unchanged
                return
        self.busy -= 1

    async def run_in_slot(self, fn: Callable[[], T]) -> T:
        """Run `fn` on a worker with a slot the caller acquired; the slot goes back when the
        thread ends, not when the waiter goes away: a cancelled request must not free a slot
        its thread still occupies."""
        return await self._start(fn, self.release)

    async def run(self, fn: Callable[[], T]) -> T:
        """An HTTP job: PoolFull at once when `capacity` HTTP jobs are already in."""
        if self.http_pending >= self.capacity:
            raise PoolFull()
        self.http_pending += 1
        try:
            await self.acquire()
        except BaseException:
            self.http_pending -= 1
            raise
        # The HTTP share is freed with the thread, like the slot.
        return await self._start(fn, self._http_end)

    def _http_end(self) -> None:
        self.http_pending -= 1
        self.release()

    def _start(self, fn: Callable[[], T], on_end: Callable[[], None]) -> asyncio.Future[T]:
        """Submit `fn`; `on_end` runs on the loop when its thread ends, and the outcome goes
        to the returned future in the same wake-up (one hop each way: no wrap_future, no
        extra task). Cancelling the future leaves the thread and its slot to finish."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = loop.create_future()

        def finish(job: Future[T]) -> None:  # on the event loop
            on_end()
            if outcome.done():  # its waiter went away
                return
            if job.cancelled():  # the executor shut down first
                outcome.cancel()
            elif (error := job.exception()) is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(job.result())

        def done(job: Future[T]) -> None:  # on the worker thread
            # A closed loop (the app stopped) has nobody left waiting for the slot.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(finish, job)

        try:
            job = self._executor.submit(self._tracked, fn)
        except RuntimeError:  # executor shut down while the app stops
            on_end()
            raise PoolFull() from None
        job.add_done_callback(done)
        return outcome

    def _tracked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            self.running += 1
        try:
            return fn()
        finally:
            with self._lock:
                self.running -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
