"""An LRU cache of serialised results that also merges concurrent identical computations."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

ShouldStop = Callable[[], bool]
Compute = Callable[[ShouldStop], Awaitable[bytes]]


class ResultCache:
    """Results (JSON bytes) by normalised-request key; a class opening one preset computes once."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max(0, max_entries)
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[str, _Flight] = {}
        # Keys of cheap results asked for once (fill_now): stored from their second ask.
        self._asked_once: OrderedDict[str, None] = OrderedDict()
        self.max_asked_once = 4 * self.max_entries
        self.hits = 0
        self.computations = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes or self.max_entries == 0:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._entries[key] = value
        self._bytes += len(value)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted)

    def known(self, key: str) -> bool:
        """Cached or being computed: asking for it costs no new computation."""
        return key in self._entries or key in self._inflight

    def fill_now(self, key: str, compute: Callable[[], bytes]) -> bytes:
        """`compute()` run right here, for a key not `known` (no await: nobody can join it
        half-way), and cached from the key's second ask on.

        For cheap results (about a millisecond): a slider's one-off positions would otherwise
        evict results that cost far more, and storing ~100 KB that is never read again costs a
        miss up to ~0.2 ms here (fresh pages, cold memory). A preset a class opens is kept once the
        second student asks.
        """
        self.computations += 1
        value = compute()
        if self._asked_before(key):
            self.put(key, value)
        return value

    def _asked_before(self, key: str) -> bool:
        """Whether `key` was asked for recently (it is then forgotten here), else remember it."""
        if key in self._asked_once:
            del self._asked_once[key]
            return True
        if self.max_asked_once > 0:
            self._asked_once[key] = None
            if len(self._asked_once) > self.max_asked_once:
                self._asked_once.popitem(last=False)
        return False

    async def get_or_compute(self, key: str, compute: Compute, *, stoppable: bool = False) -> bytes:
        """The cached value, or the one computation in flight for `key`, or a new one.

        `compute` gets a should_stop callable for the engine: with `stoppable`, it turns true
        once every waiter has gone (a stream moved on), else never (an HTTP result is still
        worth caching after its client left).
        """
        cached = self.get(key)
        if cached is not None:
            return cached
        flight = self._inflight.get(key)
        if flight is None:
            flight = _Flight(stoppable)
            flight.future = asyncio.ensure_future(self._fill(key, flight, compute))
            # Nobody may be left waiting when it fails; retrieve the error so it is not logged.
            flight.future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._inflight[key] = flight
        else:
            self.hits += 1
        flight.waiters += 1
        try:
            # shield: a client that goes away does not cancel the work others wait for.
            return await asyncio.shield(flight.future)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and flight.stoppable and not flight.future.done():
                flight.stop.set()
                # A later identical request starts afresh instead of joining a dying one.
                if self._inflight.get(key) is flight:
                    del self._inflight[key]

    async def _fill(self, key: str, flight: _Flight, compute: Compute) -> bytes:
        try:
            self.computations += 1
            value = await compute(flight.stop.is_set)
            self.put(key, value)
            return value
        finally:
            if self._inflight.get(key) is flight:
                del self._inflight[key]


class _Flight:
    """One computation in flight: its result and how many requests still wait for it."""

    def __init__(self, stoppable: bool) -> None:
        self.future: asyncio.Future[bytes]
        self.stoppable = stoppable
        self.waiters = 0
        self.stop = threading.Event()  # polled by the engine's thread
