"""`python -m server [--host H] [--port P] [--workers N] [--access-log]` serves the app."""

from __future__ import annotations

import argparse
import copy
import os
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from server.settings import Settings


def log_config() -> dict[str, Any]:
    """uvicorn's logging with the access log on stderr beside the errors (stdout stays free)."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    # Off by default: a line per request costs a classroom's worth of slider moves; errors
    # and startup are logged either way.
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("RNNGF_ACCESS_LOG", "").lower() in ("1", "true", "yes"),
        help="log one line per HTTP request to stderr (env RNNGF_ACCESS_LOG=1)",
    )
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        log_config=log_config(),
        **Settings().uvicorn_options(),
    )


if __name__ == "__main__":
    main()
