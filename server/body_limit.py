"""Request bodies over the size limit get a JSON 413 before any route sees them."""

from __future__ import annotations

from pydantic_core import to_json
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware: checks Content-Length, and counts chunked bodies while buffering them."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def too_large(self, send: Send) -> None:
        body = to_json(
            {"detail": f"Request body too large: send at most {self.max_body_bytes} bytes."}
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                await self.too_large(send)
                return
        # Bodies here are at most a megabyte: buffer them, so a chunked one is counted too.
        try:
            body = await read_body(receive, self.max_body_bytes)
        except BodyTooLarge:
            await self.too_large(send)
            return
        if body is None:  # the client went away
            return
        await self.app(scope, replaying(body, receive), send)


class BodyTooLarge(Exception):
    """A request body grew past the limit while it was read."""


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes | None:
    """The whole request body, however many messages it came in; None when the client went
    away first. Raises BodyTooLarge as soon as it passes `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """The body once, as one message; then whatever the client sends next (a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
