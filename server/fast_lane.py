"""POST /api/v1/simulate's hot path: a slider request answered without FastAPI's routing.

The FastAPI route stays the endpoint of record (its OpenAPI entry, every error answer). This
lane answers only what that route would answer with 200 at once: a JSON body that validates and
passes the limits, whose job runs on the event loop or whose result is already cached (never a
job in the pool's line or in flight, which may yet end in a 503). Anything else goes on to the
route with its body replayed. Measured: an uncached T=100, H=32 request ~0.13 ms faster
in process (0.80 -> 0.67 ms), about a tenth of the request end to end (bench section 1). The
body, headers and status are the route's (tests compare both, request by request).
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from model.config import ConfigError
from server.body_limit import read_body, replaying
from server.compute import Compute
from server.schemas import SimulateRequest

PATH = "/api/v1/simulate"


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"application/json")
    return False


class FastLane:
    """ASGI middleware, innermost: valid inline POST /api/v1/simulate requests skip the router."""

    def __init__(self, app: ASGIApp, compute: Compute) -> None:
        self.app = app
        self.compute = compute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != scope.get("root_path", "") + PATH
            or not _is_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)  # BodyLimit, outside, has capped it already
        if body is None:  # the client went away
            return
        compute = self.compute
        try:
            config = compute.check(SimulateRequest.model_validate_json(body).to_config())
        except (ValidationError, ConfigError):
            config = None  # the route words the error
        data = None
        if config is not None:
            try:  # never awaits: a job in line or in flight, with its 503, is the route's
                data = compute.answer_now(config)
            except ConfigError:  # the engine's own checks: the route words their 422
                data = None
        if data is None:
            await self.app(scope, replaying(body, receive), send)
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})
