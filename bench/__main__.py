"""`python -m bench [--quick] [--only N ...]`: speed and load figures, each a ratio in one run.

1. POST /api/v1/simulate over HTTP vs the naive nn.RNNCell loop in process (target >= 5x)
2. POST /api/v1/sweep of 201 values vs 201 naive runs (target >= 30x)
3. WS /api/v1/stream round trip vs a bare WebSocket server's same frames (target <= 3x)
4. a classroom of WebSocket sliders plus HTTP preset readers (target: zero errors); once more
   with WebSocket compression off
5. a 101-value LSTM sweep on cuda vs cpu (skipped without a CUDA device)
Writes bench/results/bench-latest.json and .txt (bench-quick.* with --quick, bench-partial.*
with --only).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

from bench.classroom import classroom_figures
from bench.gpu import gpu_figures
from bench.http_bench import simulate_figures, sweep_figures
from bench.report import render_table
from bench.serve import ServerProcess
from bench.stream_bench import stream_figures

RESULTS = Path(__file__).parent / "results"

PLANS: dict[str, dict[str, Any]] = {
    "quick": {"repeat": 7, "sim_repeat": 41, "naive_values": 21, "naive_repeat": 1,
              "clients": 20, "http_clients": 1, "duration": 5.0, "rounds": 1},
    "full": {"repeat": 21, "sim_repeat": 201, "naive_values": 201, "naive_repeat": 3,
             "clients": 200, "http_clients": 4, "duration": 30.0, "rounds": 2},
}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and clients")
    parser.add_argument("--only", type=int, nargs="+", choices=(1, 2, 3, 4, 5), help="sections")
    parser.add_argument("--clients", type=int, help="override the classroom's client count")
    parser.add_argument("--duration", type=float, help="override the classroom's seconds")
    parser.add_argument("--rounds", type=int, help="override the classroom's rounds")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_average": [round(x, 2) for x in load] if load else None,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = "quick" if args.quick else "full"
    plan = dict(PLANS[mode])
    if args.clients is not None:
        plan["clients"] = args.clients
    if args.duration is not None:
        plan["duration"] = args.duration
    if args.rounds is not None:
        plan["rounds"] = args.rounds
    sections = set(args.only or (1, 2, 3, 4, 5))
    torch.set_num_threads(1)  # the baselines get one core; the server process gets its own
    report: dict[str, Any] = {"mode": mode, "plan": plan, "started": time.time()}
    report["machine_before"] = machine()
    if sections & {1, 2, 3}:
        with ServerProcess() as server:
            if 1 in sections:
                report["simulate"] = simulate_figures(server.url, repeat=plan["sim_repeat"])
            if 2 in sections:
                report["sweep"] = sweep_figures(
                    server.url,
                    repeat=max(3, plan["repeat"] // 3),
                    naive_values=plan["naive_values"],
                    naive_repeat=plan["naive_repeat"],
                )
            if 3 in sections:
                report["stream"] = stream_figures(server, repeat=plan["repeat"])
    if 4 in sections:
        report["classroom"] = classroom_figures(
            clients=plan["clients"],
            http_clients=plan["http_clients"],
            duration=plan["duration"],
            rounds=plan["rounds"],
        )
        # The same class with WebSocket compression off: the CPU it costs, measured.
        report["classroom_no_deflate"] = classroom_figures(
            clients=plan["clients"],
            http_clients=plan["http_clients"],
            duration=plan["duration"],
            rounds=1,
            env={"RNNGF_WS_PER_MESSAGE_DEFLATE": "false"},
        )
    if 5 in sections:
        report["gpu"] = gpu_figures()
    report["machine_after"] = machine()
    report["elapsed_s"] = round(time.time() - report["started"], 1)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    table = render_table(report)
    RESULTS.mkdir(exist_ok=True)
    # A partial run (--only) never replaces the whole table's results.
    name = "bench-partial" if args.only else "bench-quick" if args.quick else "bench-latest"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{name}.txt").write_text(table + "\n")
    sys.stdout.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
