"""Error answers: every failure is strict JSON with a message, and never a stack trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from pydantic_core import to_json
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from model.config import ConfigError
from server.pool import PoolFull

log = logging.getLogger("server")

ECHO_MAX_CHARS = 200  # echo a bad value back only while it is small


def json_response(
    content: Any, status_code: int, headers: Mapping[str, str] | None = None
) -> Response:
    """Strict JSON (non-finite floats become null) without FastAPI's re-encoding."""
    return Response(
        to_json(content, inf_nan_mode="null"),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def _echo(value: Any) -> tuple[bool, Any]:
    """(True, value) when `value` is small, strict JSON; FastAPI would echo NaN and crash."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode()  # an unpaired surrogate (a valid JSON escape) has no UTF-8
    except (TypeError, ValueError):  # NaN, Infinity, objects, ints past the digit limit
        return False, None
    return len(text) <= ECHO_MAX_CHARS, value


def _text(value: object) -> str:
    """str(value) with each unpaired surrogate, which UTF-8 cannot carry, as '?'."""
    return str(value).encode(errors="replace").decode()


def sanitise_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's 422 items with `input` and `ctx` made JSON-safe (dropped or stringified)."""
    clean = []
    for error in errors:
        item: dict[str, Any] = {
            "type": _text(error.get("type", "value_error")),
            # a field name is the client's text: an unknown one is echoed in loc
            "loc": [p if isinstance(p, int) else _text(p) for p in error.get("loc", ())],
            "msg": _text(error.get("msg", "invalid value")),
        }
        if "input" in error:
            ok, value = _echo(error["input"])
            if ok:
                item["input"] = value
        ctx = error.get("ctx")
        if isinstance(ctx, Mapping):
            item["ctx"] = {
                _text(k): v if _echo(v)[0] else _text(v)[:ECHO_MAX_CHARS] for k, v in ctx.items()
            }
        clean.append(item)
    return _without_shadowed(clean)


def _without_shadowed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop a list's 'too short' error when one of its items has an error of its own: pydantic
    stops a row at its first bad item (fail_fast) and then counts 0 items validated."""
    inner = [tuple(item["loc"]) for item in items]

    def shadowed(item: dict[str, Any]) -> bool:
        loc = tuple(item["loc"])
        return item["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in inner
        )

    return [item for item in items if not shadowed(item)]


def config_error_detail(error: ConfigError, where: str) -> list[dict[str, Any]]:
    """An engine ConfigError in FastAPI's 422 shape, located in the body or the query."""
    return [{"type": "value_error", "loc": [where, error.field], "msg": error.message}]


def params_error(exc: ValidationError | ConfigError) -> tuple[str, list[dict[str, Any]]]:
    """A WebSocket error frame's one-line detail naming the field ("invalid params.seq_len:
    ...") and its FastAPI-style items, located in the message's `params`."""
    if isinstance(exc, ConfigError):
        errors = config_error_detail(exc, "params")
    else:
        errors = sanitise_errors(exc.errors(include_url=False))
        for item in errors:
            item["loc"] = ["params", *item["loc"]]
    where = ".".join(str(part) for part in errors[0]["loc"])
    return f"invalid {where}: {errors[0]['msg']}", errors


JSON_OBJECT = 'send a JSON object of request fields, e.g. {"w_rec": 0.5} ({} takes every default)'


def _explain_body(items: list[dict[str, Any]], content_type: str) -> list[dict[str, Any]]:
    """pydantic's words for a body that is not a JSON object, replaced by what to send."""
    media = content_type.split(";")[0].strip().lower()
    sent_json = media == "application/json" or media.endswith("+json")
    for item in items:
        loc = item["loc"]
        if not loc or loc[0] != "body":
            continue
        if item["type"] == "json_invalid":  # loc: ["body", character offset]
            where = f" at character {loc[1]}" if len(loc) > 1 else ""
            reason = item.get("ctx", {}).get("error")
            item["msg"] = f"the body is not valid JSON{where}" + (f": {reason}" if reason else "")
            item.pop("input", None)  # FastAPI puts {} there, which was never sent
        elif len(loc) == 1 and item["type"] in ("model_attributes_type", "missing"):
            # FastAPI reads a body as JSON only under a JSON Content-Type
            item["msg"] = (
                JSON_OBJECT if sent_json else "send JSON with Content-Type: application/json"
            )
    return items


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    items = sanitise_errors(exc.errors())
    return json_response(
        {"detail": _explain_body(items, request.headers.get("content-type", ""))}, 422
    )


async def _config_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConfigError)
    where = "query" if request.method == "GET" else "body"
    return json_response({"detail": config_error_detail(exc, where)}, 422)


async def _pool_full(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PoolFull)
    return json_response(
        {"detail": "All compute workers are busy; retry in a moment."},
        503,
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304) or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=exc.headers)
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    detail = exc.detail
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        # FastAPI's answer when json.loads fails outside JSONDecodeError (e.g. huge integers)
        detail = "Could not parse the body as JSON; send an object of request fields."
    return json_response({"detail": detail}, exc.status_code, headers=headers)


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method some route fully matches at this path (Starlette names only the first
    route's). Each method is tried through the routes' public `matches`: FastAPI's included
    routers carry no `methods` of their own."""
    if isinstance(request.scope.get("endpoint"), StaticFiles):
        return "GET, HEAD"  # its own 405, for the files under /static
    routes = request.app.routes
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed)


async def _server_error(request: Request, exc: Exception) -> Response:
    # The trace goes to the log, never to the client.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"detail": "Internal server error."}, 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ConfigError, _config_error)
    app.add_exception_handler(PoolFull, _pool_full)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
