"""Notebook API benchmarks: DataFrames over REST/Arrow and selection latency over the comm.

    python benchmarks/bench_notebook.py [--samples 100000] [--boxes 7] [--runs 3]
                                        [--code before=/tmp/old --code this=.] [--out FILE]

For every ``--code`` checkout (default: this one), a synthetic dataset (100K samples x 7
ground-truth boxes = 700K boxes, plus 2 predictions per image of model ``m1``) is written by
that checkout's own writer, and a real ``jupyter server`` subprocess serves it on loopback
(token auth). Then ``--runs`` rounds, the checkouts in rotating order (paired: before and
after a change see the same moments of a shared machine), each round:

1. **In-process**, one fresh Python process per checkout and round that imports the
   checkout's notebook API (timed after its imports): ``ds.annotations()`` (ground truth;
   every box), ``ds.samples()``, ``session.selection()`` and ``session.selected_annotations()``
   with 100K selected, ``session.select(<100K ids>)`` (validated against the server, sent as
   an int64 buffer), decoding a 100K-id ``selection`` message, and in a real ipykernel the
   time from a ``selection`` comm message to the kernel's ``on_select`` callback (1, 1K and
   100K ids, median of 15; this process plays the frontend on the kernel's sockets, so the
   browser's share and the websocket hop are not included).
2. **End to end**, what a user runs: ``python -c "import visionlens_jlab.notebook as vl;
   vl.dataset('bench').annotations(source='ground_truth')"`` in a fresh process, interpreter
   start and imports included (wall time from spawn to exit, peak RSS).

Each figure: median (min–max) over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    Run,
    checked,
    environment,
    header,
    interleave,
    load_average,
    run_locked,
    run_process,
    summary,
    table,
)

COMM_SIZES = (1, 1000)  # plus every sample
E2E = (
    "import sys, visionlens_jlab.notebook as vl\n"
    "df = vl.dataset('bench').annotations(source='ground_truth')\n"
    "assert len(df) == int(sys.argv[1]), len(df)\n"
)


def code_env(code: Path, **extra: str) -> dict[str, str]:
    """The environment of a process that imports VisionLens from checkout ``code``."""
    return {**os.environ, "PYTHONPATH": str(code), **extra}


# ------------------------------------------------------------------ children (one checkout)


def write_data(data_dir: Path, samples: int, boxes: int) -> None:
    """``--write``: the synthetic dataset, written by the imported checkout's writer."""
    from tests.notebook_fixtures import write_synthetic
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.features import load as load_features

    load_features()  # the features' tables, before the catalog opens
    with Catalog(data_dir) as catalog:
        write_synthetic(catalog, "bench", samples, boxes, model="m1", preds_per_image=2)


class _LoopbackComm:
    """Stands in for the kernel's comm in-process (the REST + DataFrame figures)."""

    def send(self, data: Any = None, buffers: Any = None) -> None:
        pass

    def on_msg(self, cb: Any) -> None:
        pass

    def on_close(self, cb: Any) -> None:
        pass

    def close(self) -> None:
        pass


def client_round(url: str, token: str, samples: int, boxes: int) -> dict[str, Any]:
    """``--client``: every in-process figure once, in seconds (after the imports)."""
    from visionlens_jlab.notebook import connection
    from visionlens_jlab.notebook import protocol as P
    from visionlens_jlab.notebook.dataset import Dataset
    from visionlens_jlab.notebook.session import Session

    out: dict[str, Any] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        value = fn()
        out[name] = time.perf_counter() - t0
        return value

    connection.connect(url, token)
    ds = Dataset("bench")
    n_boxes = samples * boxes
    assert len(timed("annotations_gt", lambda: ds.annotations(source="ground_truth"))) == n_boxes
    out["n_all"] = len(timed("annotations_all", ds.annotations))
    ids = timed("samples", ds.samples).sample_id.to_numpy()
    assert len(ids) == samples
    session = Session(ds, show=False, _comm=_LoopbackComm())
    _, wire = P.encode_ids(ids)
    data = {"v": P.VERSION, "type": "selection", "origin": "panels", "mode": "ids"}
    data |= {"id": "x", "dataset": "bench", "count": len(ids)}
    timed("decode", lambda: session._on_msg({"content": {"data": data}, "buffers": [wire]}))
    assert len(session.selected_ids) == samples, session.last_error
    assert len(timed("selection", session.selection)) == samples
    timed("selected_annotations", session.selected_annotations)
    assert timed("select", lambda: session.select(ids)) == samples
    sizes = [*COMM_SIZES, samples]
    out["comm"] = asyncio.run(comm_latency(url, token, ids, sizes))
    return out


async def comm_latency(url: str, token: str, ids: Any, sizes: list[int]) -> dict[str, float]:
    """Median seconds from a ``selection`` comm message to the kernel's callback, per size."""
    import numpy as np

    from tests.notebook_fixtures import running_kernel
    from visionlens_jlab.notebook import protocol as P

    env = {"VISIONLENS_SERVER_URL": url, "VISIONLENS_TOKEN": token}
    out: dict[str, float] = {}
    async with running_kernel(env) as k:
        await k.check(
            "import time, visionlens_jlab.notebook as vl\n"
            "s = vl.open(vl.dataset('bench'))\n"
            "seen = []\n"
            "s.on_select(lambda ids: seen.append((time.time(), len(ids))))\n"
        )
        await k.drain(0.2)
        comm_id = k.comm_opens[-1]["content"]["comm_id"]
        base = {"v": P.VERSION, "type": "selection", "origin": "panels", "mode": "ids"}
        for n in sizes:
            lat = []
            for rep in range(15):
                chosen = ids[rep : rep + n] if n < len(ids) else ids
                buf = np.asarray(chosen, dtype="<i8").tobytes()  # sorted, as the bridge sends
                t0 = time.time()
                msg = {**base, "id": f"b{rep}", "dataset": "bench", "count": len(chosen)}
                k.send_comm(comm_id, msg, [buf])
                text = await k.check("print(seen[-1][0], seen[-1][1]); seen.clear()")
                t_seen, count = text.split()
                assert int(count) == len(chosen), text
                lat.append(float(t_seen) - t0)
                # clear, so that the next selection is a change
                clear = {**base, "id": f"c{rep}", "dataset": "bench", "count": 0}
                k.send_comm(comm_id, clear, [b""])
                await k.check("seen.clear()")
            out[str(n)] = statistics.median(lat)
    return out


# ------------------------------------------------------------------------------- the parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(code: Path, data_dir: Path, token: str) -> tuple[subprocess.Popen[bytes], str]:
    """A ``jupyter server`` importing VisionLens from ``code``; returns it and its URL."""
    import requests

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--no-browser",
            "--allow-root",
            f"--IdentityProvider.token={token}",
            "--ServerApp.jpserver_extensions={'visionlens_jlab': True}",
            f"--VisionLensApp.data_dir={data_dir}",
            f"--ServerApp.root_dir={data_dir}",
        ],
        env=code_env(code, VISIONLENS_DATA_DIR=str(data_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180  # a server start takes a minute on a loaded 2-core box
    while time.monotonic() < deadline:
        try:
            answer = requests.get(
                f"{url}visionlens/api/datasets", headers={"Authorization": f"token {token}"}
            )
            if answer.ok:
                return proc, url
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the jupyter server from {code} did not start")


ROWS = [  # key, operation, size, target
    ("annotations_gt", "`ds.annotations(source='ground_truth')`", "{boxes} boxes", "≤ 2 s"),
    ("annotations_all", "`ds.annotations()` (GT + predictions)", "{all} boxes", ""),
    ("samples", "`ds.samples()`", "{samples} samples", ""),
    ("selection", "`session.selection()`", "{k} selected", "≤ 1 s"),
    ("selected_annotations", "`session.selected_annotations()`", "{k} selected", ""),
    ("select", "`session.select(ids)` (validate + int64 buffer)", "{k} ids", ""),
    ("decode", "kernel: decode a `selection` message", "{k} ids", ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="rounds (fresh processes each)")
    parser.add_argument("--code", action="append", help="LABEL=CHECKOUT (repeatable)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_data(args.write, args.samples, args.boxes)
        return
    if args.client:
        url, token = args.client
        print(json.dumps(client_round(url, token, args.samples, args.boxes)))
        return
    codes = {
        label: Path(path).resolve()
        for label, path in (c.split("=", 1) for c in (args.code or [f"this={ROOT}"]))
    }
    load0, env = load_average(), environment()
    servers: list[subprocess.Popen[bytes]] = []
    cases: dict[str, Callable[[int], Run]] = {}
    commits: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="vl-bench-nb-") as tmp:
        try:
            for label, code in codes.items():
                commits[label] = _commit(code)
                data_dir = Path(tmp) / label
                data_dir.mkdir()
                t0 = time.perf_counter()
                write = [sys.executable, __file__, "--write", str(data_dir)]
                write += ["--samples", str(args.samples), "--boxes", str(args.boxes)]
                checked(run_process(write, env=code_env(code), cwd=code), f"writing ({label})")
                print(f"{label}: data written in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
                token = secrets.token_hex(16)
                proc, url = start_server(code, data_dir, token)
                servers.append(proc)
                cases[f"{label} in-process"] = partial(_client, code, url, token, args)
                cases[f"{label} end to end"] = partial(_e2e, code, url, token, args)
            runs = interleave(cases, args.runs)
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(30)
    report = render(args, codes, commits, runs, env, load0, load_average())
    print(report)
    if args.out:
        args.out.write_text(report)


def _commit(code: Path) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


def _client(code: Path, url: str, token: str, args: argparse.Namespace, r: int) -> Run:
    argv = [sys.executable, __file__, "--client", url, token]
    argv += ["--samples", str(args.samples), "--boxes", str(args.boxes)]
    return checked(run_process(argv, env=code_env(code), cwd=code), f"client ({code})")


def _e2e(code: Path, url: str, token: str, args: argparse.Namespace, r: int) -> Run:
    argv = [sys.executable, "-c", E2E, str(args.samples * args.boxes)]
    env = code_env(code, VISIONLENS_SERVER_URL=url, VISIONLENS_TOKEN=token)
    return checked(run_process(argv, env=env, cwd=code), f"end to end ({code})")


def _inner(key: str) -> Callable[[Run], float]:
    return lambda r: float(r.inner[key])


def _comm(n: str) -> Callable[[Run], float]:
    return lambda r: float(r.inner["comm"][n])


def render(
    args: argparse.Namespace,
    codes: dict[str, Path],
    commits: dict[str, str],
    runs: dict[str, list[Run]],
    env: dict[str, str],
    load0: str,
    load1: str,
) -> str:
    """The Markdown report: one column per checkout, median (min–max) over the rounds."""
    labels = list(codes)
    first = runs[f"{labels[0]} in-process"][0].inner
    k = f"{args.samples // 1000}K"
    sizes = {"boxes": f"{args.samples * args.boxes:,}", "all": f"{first['n_all']:,}"}
    sizes |= {"samples": f"{args.samples:,}", "k": k}

    def cell(label: str, get: Callable[[Run], float], digits: int = 0) -> str:
        return summary([get(r) * 1000 for r in runs[label]]).fmt(digits, "ms")

    rows = [
        [
            op,
            size.format(**sizes),
            *(cell(f"{c} in-process", _inner(key), int(key == "decode")) for c in labels),
            target,
        ]
        for key, op, size, target in ROWS
    ]
    rows.append(
        [
            "**end to end**: fresh `python -c` (start, imports, connect, annotations)",
            f"{sizes['boxes']} boxes",
            *(cell(f"{c} end to end", lambda r: r.wall_s) for c in labels),
            "",
        ]
    )
    rss = [summary([r.peak_rss_mb for r in runs[f"{c} end to end"]]).fmt(0, "MB") for c in labels]
    rows.append(["end to end: peak RSS of that process", "", *rss, ""])
    comm_rows = [
        [
            f"{int(n):,}",
            *(cell(f"{c} in-process", _comm(n), 1) for c in labels),
        ]
        for n in first["comm"]
    ]
    heads = [f"{c} (`{commits[c]}`)" for c in labels]
    command = f"python benchmarks/bench_notebook.py --samples {args.samples} --boxes {args.boxes} --runs {args.runs}"
    command += "".join(f" --code {c}={codes[c]}" for c in labels) if args.code else ""
    return "\n".join(
        [
            header(f"Notebook API, {args.runs} rounds", env, load0, load1),
            f"`{command}`. A real `jupyter server` per checkout on loopback (token auth); the "
            "client is the notebook API's own code (`requests` + LZ4-compressed Arrow IPC → "
            "pandas). Each round is a fresh process per checkout (in-process figures timed "
            "after its imports) and a fresh end-to-end process, checkouts in rotating order. "
            "Median (min–max) over the rounds.",
            "",
            table(["operation", "size", *heads, "target"], rows),
            "Selection made in the panels → kernel `on_select` callback: real ipykernel "
            "(jupyter_client); this process plays the frontend and sends the protocol's "
            "`selection` message (sorted ids as one int64 buffer) on the shell channel; measured "
            "from the send to the callback's `time.time()` in the kernel (idle kernel, median of "
            "15 per round; median (min–max) of those over the rounds). Not included: the "
            "browser encoding the ids and the websocket hop through the Jupyter server. "
            "Target ≤ 200 ms.",
            "",
            table(["selected ids", *heads], comm_rows),
        ]
    )


if __name__ == "__main__":
    run_locked(main)
