"""Browsing benchmark (issue #16): every samples page, count and facet request through REST.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_browse.py \\
        [--sizes 100000 1000000] [--reps 20] [--runs 3] [--cache /tmp/vl-browse-cache] \\
        [--code previous=/work/main --code this=.] [--warm-only previous] \\
        [--out benchmarks/results/browse.md] [--only page count facets]

Per size, a synthetic dataset is written once through the real ingest writer into
``--cache`` (outside the repository; reused by later runs): ``n`` images, 3 ground-truth
boxes each, two prediction models of 2 boxes per image (``m1``, ``m2``), the tag ``review``
on every 7th image and an evaluation of ``m1``. Then, for every ``--code`` checkout (the
previous implementation and this one, in the same run), a real ``jupyter server`` is
started with that checkout on its path over a copy-free read of the same catalog, and each
request below is sent ``--reps`` times (after one warm-up) over a keep-alive connection,
in two modes: *cold*, each request right after a write (the answers cache of this branch
cannot serve it), and *warm*, the same request repeated. p50 / p95 in ms, median over
``--runs`` servers per checkout (the order of the checkouts rotated) with the range of p95,
and the server's RSS (current and peak) after the requests.

``--out FILE`` puts this run's section on top of FILE, in place of the section an earlier
run of the same kind (images, or frames of videos) wrote there; the other sections stay.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    environment,
    header,
    load_average,
    run_locked,
    table,
    write_section,
)

API = "/visionlens/api"
TOUCH = "datasets/bench/tags"
CLASSES = ("cat", "dog")


def requests_for(n: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, endpoint, body) of every measured request at size ``n``."""
    ids = list(range(1, n + 1, 10))[:100_000]  # every 10th sample: an id set of n/10
    classes = {"labels": {"source": "ground_truth", "classes": list(CLASSES)}}
    score = {"labels": {"source": "m1", "score": {"min": 0.9}}}
    area = {"labels": {"source": "ground_truth", "where": {"area": {"min": 1000, "max": 5000}}}}
    split = {"sample": {"split": {"in": ["val"]}}}
    field = {"sample": {"fields.weather": {"in": ["rain"]}}}
    tags = {"tags": {"any": ["review"]}}
    fn = {"labels": {"source": "ground_truth", "classes": ["cat"], "eval": {"status": ["fn"]}}}
    page = "samples/query"
    out: list[tuple[str, str, dict[str, Any]]] = [
        (f"page, no filter (offset {n // 2:,})", page, {"offset": n // 2, "limit": 60}),
        ("page, two gt classes", page, {"filter": classes, "limit": 60}),
        ("page, m1 score >= 0.9", page, {"filter": score, "limit": 60}),
        ("page, gt area 1000-5000", page, {"filter": area, "limit": 60}),
        ("page, split val", page, {"filter": split, "limit": 60}),
        ("page, fields.weather rain", page, {"filter": field, "limit": 60}),
        ("page, tag review", page, {"filter": tags, "limit": 60}),
        (f"page, id set of {len(ids):,}", page, {"filter": {"ids": ids}, "limit": 60}),
        ("page, FN of class cat (m1 eval)", page, {"filter": fn, "limit": 60}),
        ("count, no filter", page, {"limit": 0}),
        ("count, two gt classes", page, {"filter": classes, "limit": 0}),
        ("count, m1 score >= 0.9", page, {"filter": score, "limit": 0}),
        ("facets, no filter", "facets", {}),
        ("facets, two gt classes", "facets", {"filter": classes}),
        ("facets, split val", "facets", {"filter": split}),
        ("facets, m1 score >= 0.9", "facets", {"filter": score}),
        ("facets, gt area 1000-5000", "facets", {"filter": area}),
        ("facets, fields.weather rain", "facets", {"filter": field}),
        ("facets, tag review", "facets", {"filter": tags}),
        (f"facets, id set of {len(ids):,}", "facets", {"filter": {"ids": ids}}),
        ("facets, FN of class cat (m1 eval)", "facets", {"filter": fn}),
        ("page sorted by box_count.ground_truth", page, {"sort": "box_count.ground_truth", "order": "desc", "limit": 60}),
        ("page sorted by box_max.score.m1", page, {"sort": "box_max.score.m1", "order": "desc", "limit": 60}),
        ("page sorted by fields.weather", page, {"sort": "fields.weather", "limit": 60}),
        (f"page sorted by box_min.score.m1 (offset {n // 2:,})", page, {"sort": "box_min.score.m1", "offset": n // 2, "limit": 60}),
        ("page, two gt classes, sorted by box_max.score.m1", page, {"filter": classes, "sort": "box_max.score.m1", "order": "desc", "limit": 60}),
        ("page, tag review, sorted by box_count.m1 (offset 10,000)", page, {"filter": tags, "sort": "box_count.m1", "offset": 10_000, "limit": 60}),
    ]  # fmt: skip
    return out


def dataset_dir(
    cache: Path,
    n: int,
    labels: str = "boxes",
    size: tuple[int, int] = (640, 480),
    videos: int = 0,
) -> Path:
    """The cached data dir of size ``n``, written on first use. ``labels="masks"``: every
    object also has a mask (a polygon; every 10th a COCO RLE) and every 4th ground-truth
    object 5 keypoints (the grid benchmark's drawing load; cached under its own name).
    ``size``: every image's width and height (another than 640 x 480: its own name too)."""
    name = f"browse-{n}" if labels == "boxes" else f"browse-{n}-{labels}"
    name += f"-videos-{videos}" if videos else ""
    path = cache / (name if size == (640, 480) else f"{name}-{size[0]}x{size[1]}")
    if (path / ".complete").exists():
        return path
    from browse_videos import SyntheticVideoSource
    from masked_source import MaskedSource

    from tests.notebook_fixtures import SyntheticSource
    from visionlens_jlab import evaluate
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.catalog.writes.sample_tags import update_tags
    from visionlens_jlab.features import load as load_features

    path.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    load_features()  # the features' tables, before the catalog opens
    catalog = Catalog(path)

    def source(k: int, predictions: bool) -> Any:
        plain = (
            SyntheticVideoSource(n, k, predictions, width=size[0], height=size[1], videos=videos)
            if videos
            else SyntheticSource(n, k, predictions=predictions, width=size[0], height=size[1])
        )
        return MaskedSource(plain, keypoints=not predictions) if labels == "masks" else plain

    write_dataset(catalog, "bench", source(3, False))
    write_predictions(catalog, "bench", "m1", source(2, True))
    write_predictions(catalog, "bench", "m2", source(2, True))
    update_tags(catalog, "bench", {"ids": list(range(1, n + 1, 7))}, add=["review"])
    evaluate.evaluate_model(catalog, "bench", "m1")
    catalog.close()
    (path / ".complete").write_text(f"{time.perf_counter() - t0:.0f} s to write\n")
    return path


def selected(n: int, only: list[str], videos: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    """The requests of size ``n`` (of ``videos`` videos' frames: the video fields' requests
    too) whose label starts with one of ``only`` (a word or more; all if empty)."""
    from browse_videos import video_requests

    every = requests_for(n) + (video_requests(n, videos) if videos else [])
    return [r for r in every if not only or r[0].startswith(tuple(only))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``jupyter server`` subprocess importing VisionLens from ``code``."""

    def __init__(self, code: Path, data_dir: Path) -> None:
        self.port, self.token = _free_port(), secrets.token_hex(16)
        env = dict(os.environ, PYTHONPATH=str(code), VISIONLENS_DATA_DIR=str(data_dir))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1",
             f"--port={self.port}", f"--IdentityProvider.token={self.token}",
             "--ServerApp.jpserver_extensions={'visionlens_jlab': True}",
             f"--VisionLensApp.data_dir={data_dir}", f"--ServerApp.root_dir={data_dir}",
             "--ServerApp.log_level=WARN", "--allow-root"],
            env=env, cwd=str(code), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.post("datasets", None)[0] in (200, 405):
                    break
            except OSError:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server from {code} did not start")
            time.sleep(0.3)

    def post(self, path: str, body: Any) -> tuple[int, bytes]:
        headers = {"Authorization": f"token {self.token}"}
        method = "GET" if body is None else "POST"
        data = None if body is None else json.dumps(body)
        self.conn.request(method, f"{API}/{path}", body=data, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def rss_mb(self) -> tuple[float, float]:
        """Current and peak RSS of the server process (MB)."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
              if line.startswith(("VmRSS", "VmHWM"))}  # fmt: skip
        return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def timings(server: Server, path: str, body: Any, reps: int, cold: bool) -> list[float]:
    """``reps`` request times (ms); ``cold``: each right after a write (a tag update that
    matches no sample: a real committed write, so nothing computed before it may be served,
    while every answer stays the same)."""
    times = []
    for _ in range(reps):
        if cold:
            status, raw = server.post(TOUCH, {"filter": {"ids": []}, "add": ["bench-touch"]})
            if status != 200:
                raise RuntimeError(f"the write between cold requests failed: {raw[:200]!r}")
        t0 = time.perf_counter()
        server.post(path, body)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def measure(
    server: Server, n: int, reps: int, modes: list[str], only: list[str], videos: int = 0
) -> dict[str, Any]:
    """Per request and mode (``cold``: the first request after a write; ``warm``: the same
    request again): p50/p95 (ms), the answer's total and page ids; the server's RSS after
    them. ``only``: the request labels' first words to run (all when empty)."""
    out: dict[str, Any] = {}
    for label, endpoint, body in selected(n, only, videos):
        path = f"datasets/bench/{endpoint}"
        status, raw = server.post(path, body)  # warm-up (and the answer to compare)
        if status != 200:
            out[label] = {"error": f"HTTP {status}: {raw[:200]!r}"}
            continue
        answer = json.loads(raw)
        out[label] = {
            "total": answer["total"],
            "ids": [s["sample_id"] for s in answer.get("samples", [])],
        }
        for mode in modes:
            times = timings(server, path, body, reps, mode == "cold")
            qs = statistics.quantiles(times, n=20, method="inclusive")
            out[label][mode] = (statistics.median(times), qs[18])
    out["rss"] = server.rss_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="servers started per checkout")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    parser.add_argument("--code", action="append", default=None, help="label=checkout")
    parser.add_argument(
        "--warm-only",
        action="append",
        default=[],
        help="label of a checkout without an answers cache: its cold and warm figures are "
        "the same thing, so measure it once (repeated requests)",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--videos",
        type=int,
        default=0,
        help="the samples are the frames of this many videos (browse_videos.py): 0, images",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        help="requests to run, by the label's start: page count facets, 'page sorted by'",
    )
    args = parser.parse_args()
    codes = [c.split("=", 1) for c in (args.code or [f"this={ROOT}"])]
    load_start, env, sections = load_average(), environment(), []
    for n in args.sizes:
        data = dataset_dir(args.cache, n, videos=args.videos)
        results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in codes}
        for run in range(args.runs):
            k = run % len(codes)  # the order rotates from run to run
            for label, code in codes[k:] + codes[:k]:
                modes = ["warm"] if label in args.warm_only else ["cold", "warm"]
                server = Server(Path(code).resolve(), data)
                try:
                    results[label].append(
                        measure(server, n, args.reps, modes, args.only, args.videos)
                    )
                finally:
                    server.close()
                print(f"  {n:,}: run {run + 1} {label} done, load {load_average()}", flush=True)
        sections.append(report(n, results, data, load_average(), args.reps, args.only, args.videos))
        print(sections[-1], flush=True)
    title = "Browsing benchmark" + (f", frames of {args.videos:,} videos" if args.videos else "")
    text = header(f"{title} (issue #16)", env, load_start, load_average())
    text += "\n" + "\n".join(sections)
    if args.out:  # this run's section, on top (newest first); the hand-written ones stay
        write_section(args.out, f"## {title} (issue #16)", text, top=True)
    print(text)


def _cell(runs: list[dict[str, Any]], req: str, mode: str) -> str:
    """``p50 / p95`` medians over the runs, and the range of the runs' p95."""
    if "error" in runs[0][req]:
        return str(runs[0][req]["error"])[:60]
    if mode not in runs[0][req]:
        return "-"
    p50 = statistics.median(r[req][mode][0] for r in runs)
    p95s = [r[req][mode][1] for r in runs]
    return f"{p50:.0f} / {statistics.median(p95s):.0f} ({min(p95s):.0f}-{max(p95s):.0f})"


def report(
    n: int,
    results: dict[str, list[dict[str, Any]]],
    data: Path,
    load: str,
    reps: int,
    only: list[str],
    videos: int = 0,
) -> str:
    """One size's table: per request, checkout and mode the median over the runs of p50
    and p95 and the range of p95; totals and page ids checked equal across checkouts and
    runs."""
    requests = selected(n, only, videos)
    columns = [(lb, mode) for lb in results for mode in ("cold", "warm")
               if any(mode in r.get(req, {}) for r in results[lb] for req, _, _ in requests)]  # fmt: skip
    rows = []
    for req, _, _ in requests:
        totals = {r[req]["total"] for runs in results.values() for r in runs if "total" in r[req]}
        pages = {tuple(r[req]["ids"]) for runs in results.values() for r in runs if "ids" in r[req]}
        cells = [req, *(_cell(results[lb], req, mode) for lb, mode in columns)]
        cells.append(", ".join(f"{t:,}" for t in sorted(totals)))  # one value: exact & equal
        cells.append("yes" if len(pages) == 1 else f"NO ({len(pages)} different)")
        rows.append(cells)
    rss = [
        f"{lb}: {max(r['rss'][0] for r in runs):.0f} MB now, "
        f"{max(r['rss'][1] for r in runs):.0f} MB peak"
        for lb, runs in results.items()
    ]
    written = (data / ".complete").read_text().strip()
    runs_n = len(next(iter(results.values())))
    head = ["request", *(f"{lb} {mode} p50 / p95 (p95 range) ms" for lb, mode in columns),
            "total", "same page ids"]  # fmt: skip
    return (
        f"\n### {n:,} {f'frames of {videos:,} videos' if videos else 'images'} ({written}; "
        f"{runs_n} runs x {reps} requests per mode; "
        f"load after: {load})\n\n"
        + table(head, rows)
        + "\n\nServer RSS after the requests (highest of the runs): " + "; ".join(rss) + "\n"
    )  # fmt: skip


if __name__ == "__main__":
    run_locked(main)
