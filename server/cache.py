"""An LRU cache of serialised results that also merges concurrent identical computations."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable


class ResultCache:
    """Results (JSON bytes) by normalised-request key; a class opening one preset computes once."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max(0, max_entries)
        self.max_bytes = max(0, max_bytes)
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
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

    async def get_or_compute(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached value, or the one computation in flight for `key`, or a new one."""
        cached = self.get(key)
        if cached is not None:
            return cached
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fill(key, compute))
            # Nobody may be left waiting when it fails; retrieve the error so it is not logged.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._inflight[key] = future
        else:
            self.hits += 1
        # shield: a client that goes away does not cancel the work others wait for.
        return await asyncio.shield(future)

    async def _fill(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        try:
            self.computations += 1
            value = await compute()
            self.put(key, value)
            return value
        finally:
            self._inflight.pop(key, None)
