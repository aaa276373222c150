"""The server's one way to the engine: limits from settings, a bounded pool, a result cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from pydantic_core import from_json, to_json

import model
from model.config import ConfigError, Limits, SimConfig, validate
from server.cache import ResultCache
from server.pool import ComputePool
from server.settings import Settings

ShouldStop = Callable[[], bool]
FLOAT32_MAX = 3.4028234663852886e38


def _to_json(result: Any) -> bytes:
    # The engine already nulls non-finite floats; inf_nan_mode is a second guard.
    return to_json(result, inf_nan_mode="null")


def _simulate(config: SimConfig, limits: Limits, should_stop: ShouldStop | None) -> dict[str, Any]:
    result = model.simulate(config, limits=limits, should_stop=should_stop)
    payload: dict[str, Any] = result.to_dict()
    return payload


def _simulate_json(config: SimConfig, limits: Limits) -> bytes:
    return _to_json(_simulate(config, limits, None))


def _simulate_both(
    config: SimConfig, limits: Limits, should_stop: ShouldStop
) -> tuple[dict[str, Any], bytes]:
    result = _simulate(config, limits, should_stop)
    return result, _to_json(result)


def _sweep_json(config: SimConfig, values: list[float], limits: Limits) -> bytes:
    result = model.sweep(config, w_rec_values=values, limits=limits)
    return _to_json(result.to_dict())


class Compute:
    """Checks requests against the settings' limits and runs them off the event loop, cached."""

    def __init__(self, settings: Settings) -> None:
        self.limits = settings.limits()
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

    def check_sweep(self, config: SimConfig, values: Sequence[float]) -> SimConfig:
        """Like check, plus the sweep's limits; w_rec is reset since the sweep replaces it."""
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
                "steps",
                f"values x seq_len x hidden_size x directions = {work} exceeds the limit "
                f"{limits.max_sweep_work}; sweep fewer values or shorten the sequence",
            )
        return config

    @staticmethod
    def key(kind: str, config: SimConfig, **extra: Any) -> str:
        """Hash of the normalised request and the engine version (cache key and ETag)."""
        payload = {"kind": kind, "params": config.to_params(), "engine": model.__version__}
        text = json.dumps({**payload, **extra}, sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    async def simulate(self, config: SimConfig) -> bytes:
        """JSON of a checked config's result; identical requests share one computation."""
        job = partial(_simulate_json, config, self.limits)
        return await self.cache.get_or_compute(
            self.key("simulate", config), lambda: self.pool.run(job)
        )

    async def simulate_stoppable(
        self, config: SimConfig, should_stop: ShouldStop
    ) -> tuple[dict[str, Any], bytes]:
        """Result dict and JSON for the stream; the engine polls `should_stop` (latest wins)."""
        key = self.key("simulate", config)
        cached = self.cache.get(key)
        if cached is not None:
            return from_json(cached), cached
        job = partial(_simulate_both, config, self.limits, should_stop)
        result, body = await self.pool.run(job, always_queue=True)
        self.cache.put(key, body)
        return result, body

    async def sweep(self, config: SimConfig, values: list[float]) -> bytes:
        job = partial(_sweep_json, config, values, self.limits)
        key = self.key("sweep", config, w_rec_values=values)
        return await self.cache.get_or_compute(key, lambda: self.pool.run(job))

    def shutdown(self) -> None:
        self.pool.shutdown()
