"""The server's one way to the engine: limits from settings, a bounded pool, a result cache."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic_core import to_json

import model
from model.config import ConfigError, Limits, SimConfig, validate
from model.engine import runs_numpy
from server.cache import ResultCache
from server.jsonio import dumps
from server.pool import ComputePool
from server.settings import Settings

ShouldStop = Callable[[], bool]
FLOAT32_MAX = 3.4028234663852886e38
INLINE_MAX_WORK = 4096  # seq_len * hidden_size * directions of a job run on the event loop


def _simulate(config: SimConfig, limits: Limits, should_stop: ShouldStop | None) -> dict[str, Any]:
    result = model.simulate(config, limits=limits, should_stop=should_stop)
    fields: dict[str, Any] = result.json_fields()
    return fields


def _simulate_json(config: SimConfig, limits: Limits) -> bytes:
    return dumps(_simulate(config, limits, None))


def _simulate_stoppable_json(config: SimConfig, limits: Limits, should_stop: ShouldStop) -> bytes:
    return dumps(_simulate(config, limits, should_stop))


def _sweep_json(config: SimConfig, values: list[float], limits: Limits) -> bytes:
    result = model.sweep(config, w_rec_values=values, limits=limits)
    return dumps(result.json_fields())


@dataclass
class LatestRequest:
    """A stream's request in line: the session swaps newer ones in until `started`."""

    frame_id: Any
    config: SimConfig
    started: bool = False


class Compute:
    """Checks requests against the settings' limits and runs them off the event loop, cached."""

    def __init__(self, settings: Settings) -> None:
        self.limits = settings.limits()
        self.inline_max_steps = settings.inline_max_steps
        self.pool = ComputePool(settings.workers, settings.queue_size)
        self.cache = ResultCache(settings.cache_size, settings.cache_max_bytes)
        self.live_streams = 0  # open WebSocket sessions (tests check none is left behind)

    def check(self, config: SimConfig) -> SimConfig:
        """The config normalised (inputs, seq_len), or ConfigError naming the field to change."""
        max_seq_len = self.limits.max_seq_len
        if config.inputs is not None and len(config.inputs) > max_seq_len:
            raise ConfigError("inputs", f"at most {max_seq_len} steps")
        if config.seq_len > max_seq_len:  # even when `inputs` overrides it: it is still wrong
            raise ConfigError("seq_len", f"must be between 1 and {max_seq_len}")
        rows = config.inputs or ()
        if config.dtype == "float32" and any(abs(v) > FLOAT32_MAX for row in rows for v in row):
            raise ConfigError("inputs", "beyond float32 range; use dtype float64")
        return validate(config, self.limits)

    def check_sweep(
        self, config: SimConfig, values: Sequence[float], values_field: str = "steps"
    ) -> SimConfig:
        """Like check, plus the sweep's limits; w_rec is reset since the sweep replaces it.

        `values_field` is the field the values came from, named when there are too many.
        """
        # One cache entry per sweep, whatever (valid) w_rec the page happened to send along.
        config = self.check(config).with_(w_rec=1.0)
        limits = self.limits
        if len(values) > limits.max_sweep_steps:  # SweepRequest.values checks it first
            raise ConfigError("w_rec_values", f"at most {limits.max_sweep_steps} values")
        for value in values:
            if abs(value) > limits.max_abs_weight:
                raise ConfigError(
                    "w_rec_values", f"every |w_rec| must be at most {limits.max_abs_weight:g}"
                )
        work = len(values) * config.seq_len * config.hidden_size * config.directions
        if work > limits.max_sweep_work:
            raise ConfigError(
                values_field,
                f"values x seq_len x hidden_size x directions = {work} exceeds the limit "
                f"{limits.max_sweep_work}; sweep fewer values or shorten the sequence",
            )
        return config

    @staticmethod
    def key(kind: str, config: SimConfig, **extra: Any) -> str:
        """Hash of the normalised request and the engine version (cache key and ETag).

        to_params lists the fields in SimConfig's fixed order, so the JSON needs no sorting;
        pydantic's encoder takes ~1 us here where json.dumps(sort_keys=True) took ~6.
        """
        payload = {"kind": kind, "engine": model.__version__, "params": config.to_params()}
        return hashlib.sha256(to_json({**payload, **extra})).hexdigest()

    def runs_inline(self, config: SimConfig) -> bool:
        """A job small enough for the event loop: the numpy engine, at most about a millisecond."""
        steps = config.seq_len * config.directions
        if steps > self.inline_max_steps or steps * config.hidden_size > INLINE_MAX_WORK:
            return False
        return runs_numpy(config)  # an unavailable device goes to the pool, which reports it

    def answer_now(self, config: SimConfig) -> bytes | None:
        """JSON of a checked config's result when it needs no waiting: a finished cache entry,
        or a small job run right here; None for a job for the pool or one already under way."""
        return self._answer_now(config, self.key("simulate", config))

    def _answer_now(self, config: SimConfig, key: str) -> bytes | None:
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if self.runs_inline(config) and not self.cache.known(key):
            # The thread hop (~0.3 ms here) would cost as much as the job itself.
            return self.cache.fill_now(key, partial(_simulate_json, config, self.limits))
        return None

    async def simulate(self, config: SimConfig) -> bytes:
        """JSON of a checked config's result; identical requests share one computation."""
        key = self.key("simulate", config)
        body = self._answer_now(config, key)
        if body is not None:
            return body
        job = partial(_simulate_json, config, self.limits)
        return await self.cache.get_or_compute(key, lambda _stop: self.pool.run(job))

    def known(self, config: SimConfig) -> bool:
        """Cached or already being computed: answered without waiting in line."""
        return self.cache.known(self.key("simulate", config))

    async def simulate_latest(self, request: LatestRequest) -> bytes:
        """JSON of the request's newest config: it waits in line while the stream swaps newer
        configs in, and fixes its config (`started`) only when its turn comes.

        Cancelling the caller stops the engine at its next step unless another request
        (an identical slider position elsewhere) still waits for the same result.
        """
        holding = False
        if not self.known(request.config):
            await self.pool.acquire()
            holding = True
        request.started = True  # from here a newer config cancels this one instead
        config = request.config
        key = self.key("simulate", config)
        if holding and self.cache.known(key):
            self.pool.release()  # swapped to a position someone else already has
            holding = False

        async def run(should_stop: ShouldStop) -> bytes:
            nonlocal holding
            if not holding:
                await self.pool.acquire()
            holding = False  # the slot now goes back when the thread ends
            job = partial(_simulate_stoppable_json, config, self.limits, should_stop)
            return await self.pool.run_in_slot(job)

        return await self.cache.get_or_compute(key, run, stoppable=True)

    async def sweep(self, config: SimConfig, values: list[float]) -> bytes:
        job = partial(_sweep_json, config, values, self.limits)
        key = self.key("sweep", config, w_rec_values=values)
        return await self.cache.get_or_compute(key, lambda _stop: self.pool.run(job))

    def shutdown(self) -> None:
        self.pool.shutdown()
