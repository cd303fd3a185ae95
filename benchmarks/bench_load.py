"""Load: concurrent clients browsing while an ingest runs, on a real server (loopback only).

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_load.py \
        [--clients 20] [--seconds 120] [--runs 3] [--out FILE]

A real ``jupyter server`` with VisionLens (``media_support.Server``, started with the debug
event-loop probe ``--VisionLensApp.loop_lag_probe_ms=50``) serves a browse dataset of real
photo mosaics (600 images, 5 boxes each, 10 classes). For ``--seconds`` per run, ``--clients``
asyncio clients (tornado's ``AsyncHTTPClient``, one request in flight each) pick at random:
a samples page (60 per page, random offset, half of them filtered by a class), facets
(same filters) or a thumbnail (128 or 256 px of a random sample). Meanwhile one more client
ingests a 20K-image / 140K-box COCO file over and over (POST, poll the job every 0.5 s as
the panel does, delete, again): every request of the run meets an ingest in progress or
its thumbnail job. Another client keeps an embedding job running: it ingests the browse
images again under a new name, embeds them with the weight-free built-in model (decoding
every image in the job's worker process), deletes that dataset, again. And one editor fixes
labels of the browse dataset as a person would, about three edits a second: reads a random
sample, relabels, moves (by a pixel or two) or tags one of its ground-truth objects (one
batch of the edit log each, which re-matches the sample's evaluation and updates the counts
the browsing clients read), undoes every tenth edit, and every fiftieth names a version and
diffs it against the current labels.

Reported per run: requests and errors (any status >= 400 or transport error) per endpoint,
p50/p95/p99 latency per endpoint, the server's event-loop lag (p50/p99/max of a wake-up due
every 50 ms, measured inside the server), the garbage collector's pauses in the server (see
``visionlens_jlab/gc_pauses.py``), where the loop thread was before the wake-ups 100 ms
or more late (on a CPU / runnable waiting for a CPU / asleep, from its schedstat: see
``visionlens_jlab/loop_lag.py``), ingests completed; then the median and range over the runs.
``--server-arg`` passes server options for A/B runs (e.g. ``--VisionLensApp.worker_nice=0``). The clients run on the same 2 shared cores as the server: latencies include
their CPU contention, and the load average is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PIL import Image
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_report import INTERVAL_MS, report
from media_support import API, Server, loadavg, make_images

CLASSES = [f"class_{i}" for i in range(10)]
BROWSE = "browse"
CHURN = "churn"


def write_coco(path: Path, files: list[tuple[str, int, int]], boxes: int, seed: int) -> int:
    """A COCO file over ``files`` (name, width, height) with ``boxes`` random boxes each."""
    rnd = random.Random(seed)
    cats = ",".join(f'{{"id":{i + 1},"name":"{c}"}}' for i, c in enumerate(CLASSES))
    images = ",".join(
        f'{{"id":{i + 1},"file_name":"{n}","width":{w},"height":{h}}}'
        for i, (n, w, h) in enumerate(files)
    )
    anns, aid = [], 0
    for i, (_, w, h) in enumerate(files):
        for _ in range(boxes):
            aid += 1
            bw, bh = rnd.uniform(8, w / 3), rnd.uniform(8, h / 3)
            x, y = rnd.uniform(0, w - bw), rnd.uniform(0, h - bh)
            anns.append(
                f'{{"id":{aid},"image_id":{i + 1},"category_id":{rnd.randint(1, len(CLASSES))},'
                f'"bbox":[{x:.1f},{y:.1f},{bw:.1f},{bh:.1f}],"area":{bw * bh:.1f},"iscrowd":0}}'
            )
    path.write_text(
        f'{{"images":[{images}],"annotations":[{",".join(anns)}],"categories":[{cats}]}}'
    )
    return aid


def random_filter(rnd: random.Random) -> dict[str, Any] | None:
    return {"labels": {"classes": [rnd.choice(CLASSES)]}} if rnd.random() < 0.5 else None


class Run:
    """One timed run: latencies and errors per endpoint."""

    def __init__(self, server: Server, ids: list[int], seconds: float, clients: int) -> None:
        self.server = server
        self.ids = ids
        self.seconds = seconds
        self.clients = clients
        self.base = f"http://127.0.0.1:{server.port}{API}"
        self.headers = {"Authorization": f"token {server.token}"}
        self.http = AsyncHTTPClient(force_instance=True, max_clients=clients + 2)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.ingests = 0
        self.embeds = 0
        self.edits = 0

    async def call(self, endpoint: str, method: str, path: str, body: Any = None) -> Any:
        start = time.perf_counter()
        try:
            response = await self.http.fetch(
                f"{self.base}/{path}",
                method=method,
                headers=self.headers,
                body=None if body is None else json.dumps(body),
                allow_nonstandard_methods=True,
                request_timeout=120,
            )
        except (HTTPClientError, OSError) as exc:
            refused = getattr(exc, "response", None)
            said = refused.body.decode(errors="replace")[:300] if refused is not None else ""
            self.errors[endpoint].append(f"{method} {path}: {exc} {said}".rstrip())
            return None
        self.latency[endpoint].append((time.perf_counter() - start) * 1000)
        return response

    async def browse(self, seed: int, deadline: float) -> None:
        rnd = random.Random(seed)
        while time.monotonic() < deadline:
            pick = rnd.random()
            spec = random_filter(rnd)
            if pick < 0.4:
                params = f"limit=60&offset={rnd.randrange(0, len(self.ids), 60)}"
                if spec:
                    params += "&filter=" + quote(json.dumps(spec))
                await self.call("samples page", "GET", f"datasets/{BROWSE}/samples?{params}")
            elif pick < 0.6:
                await self.call("facets", "POST", f"datasets/{BROWSE}/facets", {"filter": spec})
            else:
                size = rnd.choice((128, 256))
                sample = rnd.choice(self.ids)
                await self.call(
                    "thumbnail", "GET", f"datasets/{BROWSE}/samples/{sample}/image?size={size}"
                )

    async def churn(self, source: Path, deadline: float) -> None:
        """Ingest, poll like the panel, delete, again, until the run ends."""
        while time.monotonic() < deadline:
            body = {"source": str(source), "name": CHURN, "format": "coco"}
            response = await self.call("ingest", "POST", "datasets", body)
            if response is None:
                return
            job = json.loads(response.body)["job"]
            while job["status"] in ("queued", "running"):
                await asyncio.sleep(0.5)
                polled = await self.call("job poll", "GET", f"jobs/{job['id']}")
                if polled is None:
                    return
                job = json.loads(polled.body)
            if job["status"] != "done":  # counted, and the next ingest starts at once
                self.errors["ingest"].append(f"ingest {job['status']}: {job.get('error')}")
                continue
            if time.monotonic() < deadline:
                self.ingests += 1
            await self.call("delete", "DELETE", f"datasets/{CHURN}")

    async def follow(self, response: Any) -> dict[str, Any] | None:
        """Poll a job every 0.5 s, as the panel does, until it ends."""
        if response is None:
            return None
        job: dict[str, Any] = json.loads(response.body)["job"]
        while job["status"] in ("queued", "running"):
            await asyncio.sleep(0.5)
            polled = await self.call("job poll", "GET", f"jobs/{job['id']}")
            if polled is None:
                return None
            job = json.loads(polled.body)
        return job

    async def embedding(self, browse_source: Path, deadline: float) -> None:
        """Ingest the browse images under a new name, embed them, delete, again."""
        n = 0
        while time.monotonic() < deadline:
            n += 1
            name = f"embed{n}"
            body = {"source": str(browse_source), "name": name, "format": "coco"}
            job = await self.follow(await self.call("ingest", "POST", "datasets", body))
            if job is None or job["status"] != "done":
                self.errors["embed"].append(f"ingest of {name}: {job}")
                continue
            model = {"model": "builtin-color-gradient"}
            job = await self.follow(
                await self.call("embed", "POST", f"datasets/{name}/embed", model)
            )
            if job is None or job["status"] != "done":
                self.errors["embed"].append(f"embed {name}: {job}")
            elif time.monotonic() < deadline:
                self.embeds += 1
            await self.call("delete", "DELETE", f"datasets/{name}")

    async def editing(self, deadline: float) -> None:
        """Edit the browse dataset's labels as a person fixing them would (the docstring)."""
        rnd = random.Random(7)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.3)
            response = await self.call(
                "sample", "GET", f"datasets/{BROWSE}/samples/{rnd.choice(self.ids)}"
            )
            if response is None:
                continue
            sample = json.loads(response.body)
            truth = [a for a in sample["annotations"] if a["source"] == "ground_truth"]
            if not truth:
                continue
            obj = rnd.choice(truth)
            pick = rnd.random()
            if pick < 0.4:
                label = rnd.choice([c for c in CLASSES if c != obj["label"]])
                op = {"op": "relabel", "annotation_id": obj["ann_id"], "label": label}
            elif pick < 0.8:
                x, y, w, h = obj["bbox"]
                # towards the middle: a box at an image edge still moves (a no-op is refused)
                dx = rnd.choice((1, 2)) * (1 if x + w / 2 < sample["width"] / 2 else -1)
                dy = rnd.choice((1, 2)) * (1 if y + h / 2 < sample["height"] / 2 else -1)
                bbox = [x + dx, y + dy, w, h]
                op = {"op": "move", "annotation_id": obj["ann_id"], "bbox": bbox}
            else:  # a tag the object cannot have yet
                op = {"op": "tag", "annotation_id": obj["ann_id"], "tag": f"check-{time.time_ns()}"}
            if await self.call("edit", "POST", f"datasets/{BROWSE}/edits", {"operations": [op]}):
                self.edits += 1
            if self.edits % 10 == 9:
                await self.call("undo", "POST", f"datasets/{BROWSE}/edits/undo", {})
            if self.edits % 50 == 49:
                made = await self.call("snapshot", "POST", f"datasets/{BROWSE}/versions", {})
                if made is not None:
                    version = json.loads(made.body)["version"]
                    await self.call(
                        "diff", "GET", f"datasets/{BROWSE}/versions/diff?from={version}&to=current"
                    )

    async def run(self, churn_source: Path, browse_source: Path) -> dict[str, Any]:
        await self.call("lag", "GET", "debug/loop-lag")  # discard the samples before the run
        deadline = time.monotonic() + self.seconds
        tasks = [self.browse(seed, deadline) for seed in range(self.clients)]
        await asyncio.gather(
            self.churn(churn_source, deadline),
            self.embedding(browse_source, deadline),
            self.editing(deadline),
            *tasks,
        )
        lag_response = await self.call("lag", "GET", "debug/loop-lag")
        probe = json.loads(lag_response.body) if lag_response else {}
        lag, windows = probe.get("lag_ms", []), probe.get("windows", [])
        gc_pauses, gc_frozen = probe.get("gc_pauses", []), probe.get("gc_frozen", 0)
        census = await self.call("lag", "GET", "debug/loop-lag?heap=1")  # after the samples
        heap = json.loads(census.body).get("heap", {}) if census else {}
        # leave no churn dataset behind for the next run (none if the last ingest failed)
        await self.wait_idle()
        names = await self.call("datasets", "GET", "datasets")
        for left in {d["name"] for d in json.loads(names.body)["datasets"]} if names else ():
            if left == CHURN or left.startswith("embed"):
                await self.call("delete", "DELETE", f"datasets/{left}")
        self.http.close()
        return {
            "latency": dict(self.latency),
            "errors": {k: v for k, v in self.errors.items() if v},
            "lag": lag,
            "windows": windows,
            "gc_pauses": gc_pauses,
            "gc_frozen": gc_frozen,
            "heap": heap,
            "ingests": self.ingests,
            "embeds": self.embeds,
            "edits": self.edits,
            "load": loadavg(),
        }

    async def wait_idle(self) -> None:
        while True:
            response = await self.call("jobs", "GET", "jobs")
            jobs = json.loads(response.body)["jobs"] if response else []
            if all(j["status"] in ("done", "failed", "cancelled") for j in jobs):
                return
            await asyncio.sleep(0.5)


def prepare(work: Path) -> tuple[Path, Path]:
    """The browse dataset (photo mosaics) and the churn COCO file (no images needed)."""
    images = [p for paths in make_images(work / "images", per_size=200).values() for p in paths]
    files = [(p.name, *Image.open(p).size) for p in images]
    browse = work / "images" / "browse.json"
    write_coco(browse, files, boxes=5, seed=1)
    churn = work / "churn.json"
    write_coco(churn, [(f"{i:07d}.jpg", 640, 480) for i in range(20_000)], boxes=7, seed=2)
    return browse, churn


async def main_async(args: argparse.Namespace) -> str:
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="vl-load-") as tmp:
        work = Path(tmp)
        browse, churn = prepare(work)
        server = Server(
            work / "data",
            work,
            extra_args=(f"--VisionLensApp.loop_lag_probe_ms={INTERVAL_MS}", *args.server_arg),
            log_path=args.server_log,
        )
        try:
            server.ingest(browse, BROWSE)
            server.wait_job(lambda j: j.get("kind") == "thumbnails")
            _, body, _ = server.request("POST", f"{API}/datasets/{BROWSE}/ids", {})
            ids = json.loads(body)["ids"]
            results = []
            for n in range(args.runs):
                result = await Run(server, ids, args.seconds, args.clients).run(churn, browse)
                print(f"run {n + 1}: {sum(map(len, result['latency'].values()))} requests")
                results.append(result)
        finally:
            server.stop()
    return report(results, args, started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra jupyter server option, e.g. --server-arg=--VisionLensApp.job_nice=0",
    )
    parser.add_argument("--out", type=Path, help="append the report to this Markdown file")
    parser.add_argument(
        "--server-log", type=Path, default=Path(tempfile.gettempdir()) / "vl-load-server.log"
    )
    args = parser.parse_args()
    text = asyncio.run(main_async(args))
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
