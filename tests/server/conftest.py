"""Fixtures for the server tests: one HTTP client on the session's live server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest


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
    for server in started:
        server.stop()
