"""`python -m bench.profile {simulate,classroom} [--top N]`: where the server's time goes.

Runs `server.app` under cProfile in its own process on a loopback port, drives one load against
it, stops it, and prints the functions with the most time of their own, each as a share of the
server's profiled wall time (the event loop's idle wait is the share of `run` itself).

- simulate: uncached POST /api/v1/simulate, tanh H=32 T=100, W2 moved per request (target 1)
- classroom: the benchmark's class of WebSocket sliders plus HTTP preset readers (target 4)

`--env RNNGF_NAME=value` passes a setting to the server, e.g. RNNGF_WS_PER_MESSAGE_DEFLATE=false.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import signal
import sys
import tempfile
from pathlib import Path

import uvicorn

from bench.classroom import Tally, _classroom
from bench.http_bench import SIM_PARAMS, Client
from bench.serve import ServerProcess
from server.settings import Settings


def serve(host: str, port: int, out: Path) -> None:
    """The server under cProfile; the stats go to `out` when uvicorn stops (SIGTERM)."""
    config = uvicorn.Config(
        "server.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        **Settings().uvicorn_options(),
    )
    config.load()  # imports and the app's creation stay out of the profile
    profiler = cProfile.Profile()

    def write_and_exit(*_: object) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        os._exit(0)

    # uvicorn stops gracefully on SIGTERM, restores this handler, and raises the signal again.
    signal.signal(signal.SIGTERM, write_and_exit)
    profiler.enable()
    uvicorn.Server(config).run()
    write_and_exit()  # a uvicorn that does not re-raise returns here


def drive_simulate(server: ServerProcess, requests: int) -> None:
    client = Client(server.url)
    try:
        for i in range(requests):
            client.post("/api/v1/simulate", {**SIM_PARAMS, "seed": 7, "w_rec": 1 + 1e-4 * i})
    finally:
        client.close()


def drive_classroom(server: ServerProcess, clients: int, seconds: float) -> None:
    tally = Tally()
    asyncio.run(_classroom(server, clients, 2, seconds, 10.0, tally))
    if tally.errors:
        print(f"{len(tally.errors)} errors, e.g. {tally.errors[0]}", file=sys.stderr)


def report(stats_file: Path, top: int) -> str:
    stats = pstats.Stats(str(stats_file))
    rows = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    total = stats.total_tt  # type: ignore[attr-defined]
    ranked = sorted(rows.items(), key=lambda item: item[1][2], reverse=True)[:top]
    lines = [f"server profiled for {total:.2f} s; functions by time of their own:"]
    for (file, line, name), (_, calls, own, cumulative, _) in ranked:
        where = name if file == "~" else f"{Path(file).name}:{line} {name}"
        lines.append(
            f"{100 * own / total:5.1f}%  {own:7.3f} s own  {cumulative:7.3f} s cum  "
            f"{calls:>8} calls  {where}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("load", nargs="?", choices=("simulate", "classroom"), default="simulate")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument("--requests", type=int, default=500, help="simulate: POSTs to send")
    parser.add_argument("--clients", type=int, default=200, help="classroom: sliders")
    parser.add_argument("--seconds", type=float, default=15.0, help="classroom: duration")
    parser.add_argument("--env", action="append", default=[], help="RNNGF_NAME=value")
    # How ServerProcess starts the profiled server: `python -m bench.profile --serve ...`.
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve is not None:
        serve(args.host, args.port, args.serve)
        return 0
    env = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory() as folder:
        stats_file = Path(folder) / "server.prof"
        server = ServerProcess(module="bench.profile", args=("--serve", str(stats_file)), env=env)
        try:
            if args.load == "simulate":
                drive_simulate(server, args.requests)
            else:
                drive_classroom(server, args.clients, args.seconds)
        finally:
            server.stop()  # SIGTERM: uvicorn stops and the stats are written
        if not stats_file.exists():
            print("the server wrote no profile", file=sys.stderr)
            return 1
        print(report(stats_file, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
