"""WS /api/v1/stream: forward frames, backward frames, done; the newest request wins."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from pydantic_core import from_json
from starlette.websockets import WebSocketDisconnect

import model
from model.config import ConfigError
from server.compute import Compute, LatestRequest
from server.errors import params_error
from server.frames import stream_frames
from server.jsonio import dumps, loads
from server.pool import PoolFull
from server.schemas import SimulateRequest
from server.settings import Settings

router = APIRouter()
log = logging.getLogger("server.stream")

ID_MAX_CHARS = 200


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Browsers send Origin on WebSockets and CORS does not cover them: check it here."""
    if origin is None or "*" in allowed or origin in allowed:
        return True
    return host is not None and origin.split("://", 1)[-1] == host


async def accept_if_origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Accept the socket, or close it with 1008 (policy violation) when its Origin is refused."""
    headers = websocket.headers
    if not origin_allowed(headers.get("origin"), headers.get("host"), settings.cors_origins):
        await websocket.close(code=1008)
        return False
    await websocket.accept()
    return True


def _frame_id(message: Any) -> Any:
    """The client's id when it is a short string or an integer, else None."""
    frame_id = message.get("id") if isinstance(message, dict) else None
    if isinstance(frame_id, bool) or not isinstance(frame_id, str | int | None):
        return None
    if isinstance(frame_id, str) and len(frame_id) > ID_MAX_CHARS:
        return None
    return frame_id


class StreamSession:
    """One socket: a receive loop plus at most one job; a newer simulate replaces or cancels it.

    A job still waiting in the pool's line takes the newer request in its place (so a student
    dragging the slider keeps their turn and gets the newest position computed); a job already
    computing or sending is cancelled at once, so no frame of an older id follows.
    """

    def __init__(self, websocket: WebSocket, compute: Compute, settings: Settings) -> None:
        self.websocket = websocket
        self.compute = compute
        self.max_message = settings.max_body_bytes
        self.request: LatestRequest | None = None
        self.job: asyncio.Task[None] | None = None
        self.send_lock = asyncio.Lock()

    async def run(self) -> None:
        self.compute.live_streams += 1
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await self.handle(message.get("text"), message.get("bytes"))
        except WebSocketDisconnect:
            return
        finally:
            await self.cancel_job()
            self.compute.live_streams -= 1

    async def cancel_job(self) -> None:
        job, self.job, self.request = self.job, None, None
        if job is not None:
            job.cancel()
            # The task ends at once (its thread stops at the engine's next poll), so waiting
            # here guarantees no older frame follows a newer one.
            await asyncio.gather(job, return_exceptions=True)

    async def send(self, frame: dict[str, Any] | bytes) -> None:
        text = frame if isinstance(frame, bytes) else dumps(frame)
        async with self.send_lock:
            await self.websocket.send_text(text.decode())

    async def error(
        self, frame_id: Any, detail: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        frame: dict[str, Any] = {"type": "error", "id": frame_id, "detail": detail}
        if errors:
            frame["errors"] = errors
        await self.send(frame)

    async def handle(self, text: str | None, data: bytes | None) -> None:
        if text is None:
            await self.error(None, "send JSON text frames, not binary")
            return
        if len(text) > self.max_message:
            await self.error(None, f"message too large: send at most {self.max_message} bytes")
            return
        try:
            message = from_json(text, allow_inf_nan=False)
        except ValueError as exc:
            await self.error(None, f"malformed JSON: {str(exc)[:ID_MAX_CHARS]}")
            return
        frame_id = _frame_id(message)
        if not isinstance(message, dict) or message.get("type") != "simulate":
            await self.error(
                frame_id, 'send {"type": "simulate", "id": ID, "params": {...request...}}'
            )
            return
        if frame_id is None and message.get("id") is not None:
            # Frames the client could not match to its request would be worse than an error.
            await self.cancel_job()  # any simulate is the user's latest intent, valid or not
            detail = f"invalid id: send an integer or a string of at most {ID_MAX_CHARS} characters"
            await self.error(None, detail)
            return
        try:
            request = SimulateRequest.model_validate(message.get("params", {}))
            config = self.compute.check(request.to_config())
        except (ValidationError, ConfigError) as exc:
            await self.cancel_job()  # any simulate is the user's latest intent, valid or not
            await self.error(frame_id, *params_error(exc))
            return
        waiting = self.request
        if waiting is not None and not waiting.started and not self.compute.known(config):
            # Still in line: keep the place, compute the newest when the turn comes.
            waiting.frame_id, waiting.config = frame_id, config
            return
        await self.cancel_job()
        self.request = LatestRequest(frame_id, config)
        self.job = asyncio.create_task(self.run_job(self.request))

    async def run_job(self, request: LatestRequest) -> None:
        try:
            body = await self.compute.simulate_latest(request)
        except model.Cancelled:  # a merged computation another socket gave up: not ours
            return
        except ConfigError as exc:
            await self.error(request.frame_id, *params_error(exc))
            return
        except PoolFull:
            await self.error(request.frame_id, "the server is stopping; reconnect in a moment")
            return
        except Exception:
            log.exception("stream job failed")
            await self.error(request.frame_id, "internal server error")
            return
        frame_id = request.frame_id  # fixed since the request started
        for frame in stream_frames(frame_id, loads(body)):
            await self.send(frame)
        done = b'{"type":"done","id":' + dumps(frame_id) + b',"result":' + body + b"}"
        await self.send(done)


@router.websocket("/api/v1/stream")
async def stream(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    if not await accept_if_origin_allowed(websocket, settings):
        return
    await StreamSession(websocket, websocket.app.state.compute, settings).run()
