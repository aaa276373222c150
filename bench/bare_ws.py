"""`python -m bench.bare_ws --port P --frames FILE`: the transport floor for target 3.

A raw ASGI app on the same uvicorn stack as the server, no FastAPI and no compute: for every
message it receives it replays the recorded frames (same count, same sizes) of one stream reply.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

from server.settings import Settings

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def make_app(frames: list[str]) -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            while (await receive())["type"] == "websocket.receive":
                for text in frames:
                    await send({"type": "websocket.send", "text": text})
        elif scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_ws", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frames", type=Path, required=True, help="JSON list of frame texts")
    args = parser.parse_args()
    frames = json.loads(args.frames.read_text())
    # The same uvicorn options as `python -m server` (permessage-deflate as its settings say).
    options = Settings().uvicorn_options()
    uvicorn.run(make_app(frames), host=args.host, port=args.port, log_level="warning", **options)


if __name__ == "__main__":
    main()
