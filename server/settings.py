"""One settings object for the whole server (environment prefix RNNGF_)."""

from __future__ import annotations

from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from model.config import Limits


class Settings(BaseSettings):
    """Server limits and policies; every field can be set as RNNGF_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="RNNGF_", frozen=True)

    # Request limits (model.config.Limits); the worst accepted request must answer in seconds
    max_seq_len: int = 2000
    max_hidden_size: int = 512
    max_abs_weight: float = 1000.0
    max_sweep_steps: int = 401
    max_work: int = 262_144  # seq_len * hidden_size * directions
    max_sweep_work: int = 4_000_000  # values * seq_len * hidden_size * directions
    max_input_size: int = 64  # numbers per step in explicit `inputs`

    # HTTP policies
    cors_origins: list[str] = ["*"]  # browsers' Origin allow-list; never with credentials
    embed_frame_ancestors: str = "*"  # CSP frame-ancestors of /embed (who may iframe it)
    page_frame_ancestors: str = "'self'"  # CSP frame-ancestors of every other page
    max_body_bytes: int = 1_000_000  # larger request bodies get 413
    # WebSocket permessage-deflate (when the client offers it, as browsers do): the frames of a
    # T=100, H=32 answer (~180 KB) shrink 2.2x for ~4 ms of server CPU, 40% of a busy
    # classroom's. Off, one server answers several times as many slider moves (bench section 4)
    # for 2.2x the bytes: turn it off where CPU is scarcer than bandwidth.
    ws_per_message_deflate: bool = True

    # Compute pool and result cache
    workers: int = 2  # threads running blocking torch work
    queue_size: int = 16  # requests waiting for a worker; more get 503 + Retry-After
    # HTTP simulate jobs this small (vanilla RNN, float64, CPU; seq_len * directions at most
    # this and seq_len * hidden_size * directions at most 4096) run on the event loop: ~1 ms
    # there costs less than the hop to a worker thread and back. 0 sends every job to the pool.
    inline_max_steps: int = 256
    # Such a job's POST /api/v1/simulate, when valid, skips FastAPI's routing (server.fast_lane):
    # ~0.13 ms of ~1.2. Off, every request takes the route (the same answers).
    fast_lane: bool = True
    cache_size: int = 256  # LRU entries of serialised results
    cache_max_bytes: int = 256_000_000  # the cache also stays under this many bytes
    cache_max_age: int = 3600  # Cache-Control max-age (s) of GET /api/v1/simulate

    # Training lab (WS /api/v1/train)
    max_train_jobs: int = 2  # concurrent training runs; more are refused
    max_train_steps: int = 3000  # optimiser steps a job may ask for
    max_train_seconds: float = 300.0  # wall-clock cap per job

    def uvicorn_options(self) -> dict[str, Any]:
        """Options for uvicorn.run / uvicorn.Config that come from the settings."""
        return {"ws_per_message_deflate": self.ws_per_message_deflate}

    def limits(self) -> Limits:
        return Limits(
            max_seq_len=self.max_seq_len,
            max_hidden_size=self.max_hidden_size,
            max_abs_weight=self.max_abs_weight,
            max_sweep_steps=self.max_sweep_steps,
            max_work=self.max_work,
            max_sweep_work=self.max_sweep_work,
            max_input_size=self.max_input_size,
        )
