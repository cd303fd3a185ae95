"""Browsing benchmark (issue #16): every samples page, count and facet request through REST.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_browse.py \\
        [--sizes 100000 1000000] [--reps 20] [--cache /tmp/vl-browse-cache] \\
        [--code previous=/work/main --code this=.] [--out benchmarks/results/browse.md]

Per size, a synthetic dataset is written once through the real ingest writer into
``--cache`` (outside the repository; reused by later runs): ``n`` images, 3 ground-truth
boxes each, two prediction models of 2 boxes per image (``m1``, ``m2``), the tag ``review``
on every 7th image and an evaluation of ``m1``. Then, for every ``--code`` checkout (the
previous implementation and this one, in the same run), a real ``jupyter server`` is
started with that checkout on its path over a copy-free read of the same catalog, and each
request below is sent ``--reps`` times (after one warm-up) over a keep-alive connection:
p50 / p95 in ms, and the server's RSS (current and peak) after the requests.
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

from harness import environment, header, load_average, run_locked, table  # noqa: E402

API = "/visionlens/api"
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
        ("page sorted by box_count.ground_truth", page, {"sort": "box_count.ground_truth", "order": "desc", "limit": 60}),
        ("page sorted by box_max.score.m1", page, {"sort": "box_max.score.m1", "order": "desc", "limit": 60}),
    ]  # fmt: skip
    return out


def dataset_dir(cache: Path, n: int) -> Path:
    """The cached data dir of size ``n``, written on first use."""
    path = cache / f"browse-{n}"
    if (path / ".complete").exists():
        return path
    from tests.notebook_fixtures import SyntheticSource, write_synthetic
    from visionlens_jlab import evaluate
    from visionlens_jlab.catalog import Catalog, queries
    from visionlens_jlab.catalog.dataset_writer import write_predictions

    path.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    catalog = Catalog(path)
    write_synthetic(catalog, "bench", n, 3, model="m1", preds_per_image=2)
    write_predictions(catalog, "bench", "m2", SyntheticSource(n, 2, predictions=True))
    queries.update_tags(catalog, "bench", {"ids": list(range(1, n + 1, 7))}, add=["review"])
    evaluate.evaluate_model(catalog, "bench", "m1")
    catalog.close()
    (path / ".complete").write_text(f"{time.perf_counter() - t0:.0f} s to write\n")
    return path


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


def measure(server: Server, n: int, reps: int) -> dict[str, Any]:
    """p50/p95 (ms) and the answer's total per request; the server's RSS after them."""
    out: dict[str, Any] = {}
    for label, endpoint, body in requests_for(n):
        path = f"datasets/bench/{endpoint}"
        status, raw = server.post(path, body)  # warm-up (and the answer to compare)
        if status != 200:
            out[label] = {"error": f"HTTP {status}: {raw[:200]!r}"}
            continue
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            status, raw = server.post(path, body)
            times.append((time.perf_counter() - t0) * 1000)
        qs = statistics.quantiles(times, n=20, method="inclusive")
        out[label] = {
            "p50": statistics.median(times),
            "p95": qs[18],
            "total": json.loads(raw)["total"],
        }
    out["rss"] = server.rss_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    parser.add_argument("--code", action="append", default=None, help="label=checkout")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    codes = [c.split("=", 1) for c in (args.code or [f"this={ROOT}"])]
    load_start, env, sections = load_average(), environment(), []
    for n in args.sizes:
        data = dataset_dir(args.cache, n)
        results = {}
        for label, code in codes:
            server = Server(Path(code).resolve(), data)
            try:
                results[label] = measure(server, n, args.reps)
            finally:
                server.close()
        sections.append(report(n, results, data, load_average()))
        print(sections[-1], flush=True)
    text = header("Browsing benchmark (issue #16)", env, load_start, load_average())
    text += "\n" + "\n".join(sections)
    if args.out:
        args.out.write_text(text)
    print(text)


def report(n: int, results: dict[str, dict[str, Any]], data: Path, load: str) -> str:
    """One size's table: p50 / p95 per request and checkout, totals checked equal."""
    labels = list(results)
    rows = []
    for req, _, _ in requests_for(n):
        cells, totals = [req], set()
        for label in labels:
            r = results[label][req]
            if "error" in r:
                cells.append(r["error"][:60])
                continue
            totals.add(r["total"])
            cells.append(f"{r['p50']:.0f} / {r['p95']:.0f}")
        cells.append(", ".join(f"{t:,}" for t in sorted(totals)))  # one value: exact & equal
        rows.append(cells)
    rss = [
        f"{lb}: {results[lb]['rss'][0]:.0f} MB now, {results[lb]['rss'][1]:.0f} MB peak"
        for lb in labels
    ]
    written = (data / ".complete").read_text().strip()
    head = ["request", *(f"{lb} p50 / p95 ms" for lb in labels), "total"]
    return (
        f"\n## {n:,} images ({written}; load after: {load})\n\n"
        + table(head, rows)
        + "\n\nServer RSS after the requests: " + "; ".join(rss) + "\n"
    )  # fmt: skip


if __name__ == "__main__":
    run_locked(main)
