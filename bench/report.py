"""Renders the benchmark report as one plain-text table: figure, baseline, ratio, target."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str, str]
HEADER: Row = ("#", "benchmark", "measured", "baseline (same run)", "ratio", "target")


def _ms(timing: dict[str, Any]) -> str:
    return f"{timing['median_ms']:.2f} ms"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


KIND_LABELS = {
    "uncached": "uncached",
    "cached": "cached",
    "new_seed": "uncached, new seed (QR too)",
    "httpx": "uncached, httpx client",
    "job": "its job alone in process, no HTTP",
}


def _speed_rows(
    number: str, label: str, figures: dict[str, Any], target: float, first: str = "uncached"
) -> list[Row]:
    naive = f"naive {_ms(figures['naive'])}"
    rows: list[Row] = []
    kinds = [kind for kind in KIND_LABELS if kind in figures]
    for kind in kinds:
        ratio = figures[f"speedup_{kind}"]
        check = _verdict(ratio >= target) if kind == "uncached" else "(info)"
        rows.append(
            (
                number if kind == "uncached" else "",
                f"{label}, {first if kind == 'uncached' else KIND_LABELS[kind]}",
                _ms(figures[kind]),
                naive,
                f"{ratio:.1f}x faster",
                f">= {target:g}x {check}",
            )
        )
    return rows


def _stream_rows(figures: dict[str, Any]) -> list[Row]:
    bare = f"bare WS {_ms(figures['bare'])} ({figures['frames']} frames)"
    rows: list[Row] = []
    for kind in ("uncached", "cached"):
        ratio = figures[f"ratio_{kind}"]
        check = _verdict(ratio <= 3.0) if kind == "uncached" else "(info)"
        rows.append(
            (
                "3" if kind == "uncached" else "",
                f"WS stream T=100 H=32, {kind}",
                _ms(figures[f"stream_{kind}"]),
                bare,
                f"{ratio:.2f}x slower",
                f"<= 3x {check}",
            )
        )
    return rows


def _classroom_rows(
    figures: dict[str, Any], idle_ms: float | None, number: str = "4", memory: bool = True
) -> list[Row]:
    p50, p99 = figures["latency_p50_ms"], figures["latency_p99_ms"]
    after = figures["rss_after_mb"]
    before = figures["rss_before_mb"]
    # Round to round: what keeps growing once the first round has filled caches and arenas.
    drift = after[-1] - after[0]
    bound = figures["cache_bound_mb"]
    ratio = f"p50 {p50 / idle_ms:.1f}x idle" if idle_ms else "-"
    baseline = f"idle round trip {idle_ms:.2f} ms" if idle_ms else "-"
    env = " ".join(f"{k}={v}" for k, v in figures.get("server_env", {}).items())
    label = (
        f"classroom {figures['clients']} WS x {figures['rate_hz']:g} Hz"
        f" + {figures['http_clients']} HTTP, {figures['rounds']} x {figures['duration_s']:g} s"
        + (f" ({env})" if env else " (default settings)")
    )
    rows: list[Row] = [
        (number, label, f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", baseline, ratio, "latency (info)"),
        (
            "",
            "  errors / requests",
            f"{figures['errors']} / {figures['ws_sent'] + figures['http_ok']}",
            f"{figures['requests_per_s']:g} req/s",
            f"{figures['done_per_s']:g} done/s",
            f"0 errors {_verdict(figures['errors'] == 0)}"
            f" ({figures.get('http_busy_retried', 0)} HTTP 503 retried)",
        ),
    ]
    if memory:
        rows.append(
            (
                "",
                "  server RSS before -> after each round",
                " -> ".join(f"{mb:g}" for mb in [before, *after]) + " MB",
                f"+{after[-1] - before:.1f} MB in all",
                f"+{drift:.1f} MB after round 1",
                f"drift <= cache {bound:g} MB {_verdict(drift <= bound)}",
            )
        )
    return rows


def _gpu_rows(figures: dict[str, Any]) -> list[Row]:
    if "skipped" in figures:
        return [("5", "GPU LSTM sweep 101 x H=1024 x T=1000", "skipped: no CUDA device",
                 "-", "-", "-")]  # fmt: skip
    return [
        (
            "5",
            f"GPU LSTM sweep on {figures['device']}",
            _ms(figures["cuda"]),
            f"cpu {_ms(figures['cpu'])}",
            f"{figures['speedup']:.1f}x faster",
            "(info)",
        )
    ]


def rows_of(report: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if "simulate" in report:
        rows += _speed_rows(
            "1", "POST /simulate tanh H=32 T=100", report["simulate"], 5.0, "uncached, new W2"
        )
    if "sweep" in report:
        rows += _speed_rows("2", "POST /sweep 201 x H=32 T=200", report["sweep"], 30.0)
    idle_ms = None
    if "stream" in report:
        rows += _stream_rows(report["stream"])
        idle_ms = report["stream"]["stream_uncached"]["median_ms"]
    if "classroom" in report:
        rows += _classroom_rows(report["classroom"], idle_ms)
    if "classroom_no_deflate" in report:
        rows += _classroom_rows(report["classroom_no_deflate"], idle_ms, "", memory=False)
    if "gpu" in report:
        rows += _gpu_rows(report["gpu"])
    return rows


def render_table(report: dict[str, Any]) -> str:
    rows = [HEADER, *rows_of(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    m = report["machine_before"]
    lines.append("")
    lines.append(
        f"mode {report['mode']}; {m['cpus']} CPUs ({m['processor']}), {m['platform']}, "
        f"python {m['python']}, torch {m['torch']}; load average before "
        f"{m['load_average']}, after {report['machine_after']['load_average']}; "
        f"{report['elapsed_s']} s"
    )
    return "\n".join(lines)
