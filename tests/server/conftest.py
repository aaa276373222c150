"""Fixtures for the server tests: an HTTP client, extra live servers, a gated engine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import server.compute


@pytest.fixture(scope="module")
def client(live_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=60) as session:
        yield session


@pytest.fixture
def start_server(live_server) -> Iterator[Callable[..., Any]]:
    """Start extra live servers with their own settings; all stopped after the test."""
    from server.app import create_app
    from server.settings import Settings

    started: list[Any] = []

    def start(**settings: Any) -> Any:
        # The session server's class: a real uvicorn on a free loopback port.
        server = type(live_server)(create_app(Settings(**settings))).start()
        started.append(server)
        return server

    yield start
    for live in started:
        live.stop()


@pytest.fixture
def gated_engine(monkeypatch) -> dict[str, Any]:
    """Replace the server's engine call by one that waits for a gate and counts its calls."""
    state: dict[str, Any] = {"calls": 0, "gate": threading.Event()}
    real = server.compute._simulate_json

    def gated(config: Any, limits: Any) -> bytes:
        state["calls"] += 1
        assert state["gate"].wait(30)
        return real(config, limits)

    monkeypatch.setattr(server.compute, "_simulate_json", gated)
    return state
