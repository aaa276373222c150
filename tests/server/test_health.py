"""The app starts under a real uvicorn and answers its liveness probe."""

from __future__ import annotations

import httpx


def test_healthz_answers_ok(live_server) -> None:
    response = httpx.get(f"{live_server.url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
