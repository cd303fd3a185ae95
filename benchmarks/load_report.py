"""The Markdown report of ``bench_load.py``: per run and over the runs, with where the
server's event loop was before its late wake-ups and what the garbage collector did."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from media_support import machine, pct

ENDPOINTS = (
    "samples page",
    "facets",
    "thumbnail",
    "job poll",
    "sample",
    "edit",
    "undo",
    "snapshot",
    "diff",
)
INTERVAL_MS = 50
"""The server's event-loop probe: one wake-up due every this many ms."""
LATE_MS = 100


def late_breakdown(windows: list[list[float]]) -> str:
    """Where the loop thread's time went in the windows that ended in a late wake-up."""
    late = [w for w in windows if w[0] >= LATE_MS]
    if not late:
        return f"no wake-up {LATE_MS} ms or more late"
    total = sum(w[1] + w[2] + w[3] for w in late) or 1.0
    on_cpu, waiting, asleep = (sum(w[i] for w in late) / total * 100 for i in (1, 2, 3))
    return (
        f"{len(late)} wake-ups {LATE_MS} ms or more late; the loop thread's time in the "
        f"windows before them: on a CPU {on_cpu:.0f} %, runnable waiting for a CPU "
        f"{waiting:.0f} %, asleep (GIL, locks; idle at most {INTERVAL_MS} ms a window) "
        f"{asleep:.0f} %"
    )


def gc_in_late_windows(windows: list[list[float]], pauses: list[list[Any]]) -> str:
    """How much of the late wake-ups' windows the garbage collector's pauses filled."""
    late = [w for w in windows if w[0] >= LATE_MS and len(w) > 4]
    if not late:
        return ""
    span = sum(w[1] + w[2] + w[3] for w in late) or 1.0
    in_gc = 0.0
    for w in late:
        end, start = w[4], w[4] - (w[1] + w[2] + w[3]) / 1000
        for p in pauses:  # [generation, ms, thread, end]
            p_start = p[3] - p[1] / 1000
            in_gc += max(0.0, min(end, p[3]) - max(start, p_start)) * 1000
    return f"; GC pauses fill {in_gc / span * 100:.0f} % of the late wake-ups' windows"


def heap_line(heap: dict[str, list[list[Any]]]) -> str:
    """The top tracked types and the packages of tracked functions, from the heap census."""
    if not heap:
        return "not recorded"
    types = ", ".join(f"{name} {n}" for name, n in heap["types"][:8])
    packages = ", ".join(f"{name} {n}" for name, n in heap["function_packages"][:6])
    return f"{types}; functions by package: {packages}"


def gc_summary(pauses: list[list[Any]], frozen: int) -> str:
    """The cyclic GC's collections in the server during the run (each holds the GIL)."""
    if not pauses:
        return "no collection recorded"
    per_gen = [[p[1] for p in pauses if p[0] == gen] for gen in (0, 1, 2)]
    long = [p[1] for p in pauses if p[1] >= LATE_MS / 2]
    return (
        f"{len(pauses)} collections (generation 0/1/2: "
        + "/".join(str(len(g)) for g in per_gen)
        + f"), {sum(p[1] for p in pauses):.0f} ms in all; generation 2 max "
        f"{max(per_gen[2], default=0.0):.1f} ms; {len(long)} took {LATE_MS // 2} ms or more; "
        f"{frozen} startup objects frozen out of them"
    )


def row(values: list[float]) -> str:
    if not values:
        return "- | - | -"
    return f"{pct(values, 0.5):.1f} | {pct(values, 0.95):.1f} | {pct(values, 0.99):.1f}"


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f} - {max(values):.1f})"


def report(results: list[dict[str, Any]], args: argparse.Namespace, started: str) -> str:
    lines = [
        f"## {started}: {args.clients} clients x {args.seconds:.0f} s x {len(results)} runs",
        "",
        f"Machine: {machine()}. Load average at the end of each run: "
        + "; ".join(r["load"] for r in results)
        + ".",
        "",
    ]
    if args.server_arg:
        lines += [f"Server options: `{' '.join(args.server_arg)}`.", ""]
    for n, result in enumerate(results, start=1):
        total = sum(len(v) for k, v in result["latency"].items() if k in ENDPOINTS)
        errors = sum(len(v) for v in result["errors"].values())
        lag = result["lag"] or [0.0]
        lines += [
            f"### Run {n}: {total} requests, {errors} errors, {result['ingests']} ingests "
            f"and {result['embeds']} embedding jobs completed, {result.get('edits', 0)} edits; event-loop lag p50 {pct(lag, 0.5):.1f} ms, p99 {pct(lag, 0.99):.1f} ms, "
            f"max {max(lag):.1f} ms ({len(lag)} samples)",
            "",
            f"Late wake-ups: {late_breakdown(result['windows'])}.",
            "",
            f"Garbage collector: {gc_summary(result['gc_pauses'], result['gc_frozen'])}"
            f"{gc_in_late_windows(result['windows'], result['gc_pauses'])}.",
            "",
            f"Objects the collector still walks at the end: {heap_line(result['heap'])}.",
            "",
            "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for endpoint in ENDPOINTS:
            values = result["latency"].get(endpoint, [])
            lines.append(
                f"| {endpoint} | {len(values)} | {len(result['errors'].get(endpoint, []))} | "
                f"{row(values)} |"
            )
        for endpoint, errs in result["errors"].items():
            lines.append(f"\nErrors of {endpoint} (first 3): {errs[:3]}")
        lines.append("")
    lines += [
        "### Over the runs: median (range)",
        "",
        "| endpoint | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for endpoint in ENDPOINTS:
        per_run = [r["latency"].get(endpoint, []) for r in results]
        if all(per_run):
            lines.append(
                f"| {endpoint} | "
                + " | ".join(spread([pct(v, q) for v in per_run]) for q in (0.5, 0.95, 0.99))
                + " |"
            )
    lag_p99 = [pct(r["lag"] or [0.0], 0.99) for r in results]
    errors_per_run = [sum(len(v) for v in r["errors"].values()) for r in results]
    lines += [
        "",
        f"Event-loop lag p99: {spread(lag_p99)} ms (target <= 100 ms). "
        f"Errors per run: {errors_per_run} (target 0).",
        "",
    ]
    return "\n".join(lines)
