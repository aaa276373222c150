"""Server-test helpers: strict-JSON checks and raw HTTP for paths httpx would tidy."""

from __future__ import annotations

import http.client
import json
from typing import Any


def strict_json(text: str) -> Any:
    """Parse `text`, failing on NaN or Infinity literals (which json.loads would accept)."""

    def reject(constant: str) -> None:
        raise AssertionError(f"non-strict JSON constant {constant} in a response")

    return json.loads(text, parse_constant=reject)


def raw_request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send `path` byte for byte (httpx would normalise ../ and %2e%2e away)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
