"""Helpers of ``bench_media.py``: test images, how busy the machine is, a real ``jupyter server``.

The machine is shared with other sessions' work, so every timing goes with the CPU time that
*other* processes used while it ran (from ``/proc/stat``): a throughput measured while someone
else held a core is reported as such instead of passing for a property of our code.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.features import load as load_features  # noqa: E402

API = "/visionlens/api"
SHARED = Path(os.environ.get("VISIONLENS_SHARED", ROOT.parent / "shared"))
PHOTOS = SHARED / "datasets" / "padilla-review-voc100" / "images"
REAL_640 = SHARED / "datasets" / "cartucho-map" / "images"
SIZES = [(640, 480), (1280, 720), (1920, 1080)]
CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"  # what an <img> sends


# ---------------------------------------------------------------------- images


def make_images(folder: Path, per_size: int, quality: int = 90) -> dict[str, list[Path]]:
    """JPEG mosaics of real photos (or synthetic pictures) at each size."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = [Image.open(p).convert("RGB") for p in sorted(PHOTOS.glob("*.jpg"))[:60]]
    rng = np.random.default_rng(0)
    out: dict[str, list[Path]] = {}
    for w, h in SIZES:
        label = f"{w}x{h} q{quality}"
        out[label] = []
        for k in range(per_size):
            if photos:
                canvas = Image.new("RGB", (w, h))
                y, i = 0, k * 7
                while y < h:
                    x, row_h = 0, 0
                    while x < w:
                        tile = photos[i % len(photos)]
                        i += 1
                        canvas.paste(tile, (x, y))
                        x += tile.size[0]
                        row_h = max(row_h, tile.size[1])
                    y += row_h
            else:
                small = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8)
                canvas = Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC)
            path = folder / f"{w}x{h}_q{quality}_{k:03d}.jpg"
            canvas.save(path, "JPEG", quality=quality)
            out[label].append(path)
    return out


def per_image(fns: list[Any], items: list[Path], reps: int) -> list[tuple[float, float]]:
    """(wall ms, CPU ms) of each function: per image the fastest of ``reps`` runs, interleaved
    (a burst of someone else's load hits every function alike), then the mean over images."""
    wall = [[float("inf")] * len(items) for _ in fns]
    cpu = [[float("inf")] * len(items) for _ in fns]
    for _ in range(reps):
        for j, item in enumerate(items):
            for i, fn in enumerate(fns):
                c0, w0 = time.process_time(), time.perf_counter()
                fn(item)
                w1, c1 = time.perf_counter(), time.process_time()
                wall[i][j] = min(wall[i][j], w1 - w0)
                cpu[i][j] = min(cpu[i][j], c1 - c0)
    return [
        (statistics.mean(w) * 1000, statistics.mean(c) * 1000)
        for w, c in zip(wall, cpu, strict=True)
    ]


def mae(a: Image.Image, ref: Image.Image) -> float:
    """Mean absolute error (0-255) of ``a`` against ``ref`` (same size)."""
    return float(
        np.abs(np.asarray(a.convert("RGB"), np.float32) - np.asarray(ref, np.float32)).mean()
    )


# ---------------------------------------------------------------------- machine load


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot; (0, 0) where /proc/stat is absent."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def _own_cpu_s(pids: tuple[int, ...]) -> float:
    t = os.times()
    own = t.user + t.system + t.children_user + t.children_system
    for pid in pids:  # a server subprocess, not reaped yet: its (and its reaped children's) CPU
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own


class Meter:
    """Wall time, our CPU time (children included once reaped, and the processes ``pids``)
    and the CPU time of every other process, as a share of all cores."""

    def __init__(self, pids: tuple[int, ...] = ()) -> None:
        self.pids = pids

    def __enter__(self) -> Meter:
        self._busy, self._total = _cpu_jiffies()
        self._own = _own_cpu_s(self.pids)
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = _own_cpu_s(self.pids) - self._own
        busy, total = _cpu_jiffies()
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        cores = os.cpu_count() or 1
        others = max(0.0, (busy - self._busy) / tick - self.cpu)
        self.others_pct = 100.0 * others / max(self.wall * cores, 1e-9)  # of all cores


def wait_quiet(max_wait_s: float = 90.0, idle_share: float = 0.85) -> float:
    """Wait (up to ``max_wait_s``) for a second in which the CPUs are mostly idle.

    Returns the idle share of the last second seen, so the report can say how quiet it was.
    """
    deadline = time.monotonic() + max_wait_s
    while True:
        busy0, total0 = _cpu_jiffies()
        time.sleep(1.0)
        busy1, total1 = _cpu_jiffies()
        idle = 1.0 - (busy1 - busy0) / max(total1 - total0, 1)
        if idle >= idle_share or time.monotonic() > deadline:
            return idle


def machine() -> str:
    """CPU model, core count and OS, for the report."""
    cpu = "unknown CPU"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from harness import git_commit

    return (
        f"{cpu}, {os.cpu_count()} cores (shared), {platform.system()} {platform.release()}; "
        f"code at `{git_commit()}`"
    )


def loadavg() -> str:
    """``/proc/loadavg``'s three averages, as text."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``jupyter server`` subprocess with VisionLens, on loopback with a token."""

    def __init__(
        self,
        data_dir: Path,
        root_dir: Path,
        extra_args: tuple[str, ...] = (),
        log_path: Path | None = None,
    ) -> None:
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        exe = Path(sys.executable).with_name("jupyter")
        env = dict(os.environ, VISIONLENS_DATA_DIR=str(data_dir), JUPYTER_TOKEN=self.token)
        self.proc = subprocess.Popen(
            [
                str(exe), "server", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                f"--ServerApp.root_dir={root_dir}", "--ServerApp.jpserver_extensions=visionlens_jlab=True",
                f"--VisionLensApp.data_dir={data_dir}", "--ServerApp.log_level=WARN",
                *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
                *extra_args,
            ],
            # A log file for long runs: nobody reads a pipe while the server runs, and a full
            # pipe blocks the server's event loop on its next log line.
            env=env, stdout=subprocess.DEVNULL,
            stderr=open(log_path, "wb") if log_path else subprocess.PIPE,
        )  # fmt: skip
        self.conn = self.connect()
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get(f"{API}/datasets")[0] == 200:
                    break
            except OSError:
                self.conn = self.connect()
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"jupyter server did not start:\n{err[-3000:]}")
            time.sleep(0.3)

    def connect(self) -> http.client.HTTPConnection:
        """A new keep-alive connection (one per client thread)."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        """One request on ``conn`` (default: this object's own connection)."""
        conn = conn or self.conn
        hdrs = {"Authorization": f"token {self.token}", **(headers or {})}
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=hdrs
        )
        resp = conn.getresponse()
        return resp.status, resp.read(), resp

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """GET ``path``: (status, body)."""
        status, body, _ = self.request("GET", path, headers=headers)
        return status, body

    def ingest(self, ann: Path, name: str) -> None:
        """Ingest a COCO file through the REST API and wait for the ingest job."""
        status, body, _ = self.request(
            "POST", f"{API}/datasets", {"source": str(ann), "name": name, "format": "coco"}
        )
        if status != 202:
            raise RuntimeError(f"ingest refused: {status} {body[:300]!r}")
        job = self.wait_job(lambda j: j["id"] == json.loads(body)["job"]["id"])
        if job["status"] != "done":
            raise RuntimeError(f"ingest {job['status']}: {job.get('error')}")

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the server knows."""
        listing = json.loads(self.get(f"{API}/jobs")[1])
        return list(listing["jobs"] if isinstance(listing, dict) else listing)

    def wait_job(self, match: Callable[[dict[str, Any]], bool], timeout: float = 300) -> Any:
        """Poll until the first job ``match`` accepts has finished; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [j for j in self.jobs() if match(j)]
            if found and found[0]["status"] in ("done", "failed", "cancelled"):
                return found[0]
            time.sleep(0.05)
        raise RuntimeError("job did not finish")

    def stop(self) -> None:
        """Terminate the server (kill it after 20 s)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def thumbnails_job(job: dict[str, Any], dataset: str) -> bool:
    """Whether ``job`` is the thumbnail pre-generation job of ``dataset``."""
    return job.get("kind") == "thumbnails" and job.get("title") == f"Thumbnails of {dataset}"


def write_coco(paths: list[Path], ann: Path) -> Path:
    """A minimal COCO file with one box per image (what the ingest API reads)."""
    sizes = [Image.open(p).size for p in paths]
    ann.write_text(
        json.dumps(
            {
                "images": [
                    {"id": i + 1, "file_name": p.name, "width": w, "height": h}
                    for i, (p, (w, h)) in enumerate(zip(paths, sizes, strict=True))
                ],
                "annotations": [
                    {
                        "id": i + 1,
                        "image_id": i + 1,
                        "category_id": 1,
                        "bbox": [10, 10, 50, 40],
                        "area": 2000,
                        "iscrowd": 0,
                    }
                    for i in range(len(paths))
                ],  # fmt: skip
                "categories": [{"id": 1, "name": "thing"}],
            }
        )
    )
    return ann


def insert_dataset(data_dir: Path, name: str, paths: list[Path]) -> None:
    """Samples straight into the catalog (no annotations): what ingest would write."""
    load_features()  # the features' tables, before the catalog opens
    with Catalog(data_dir) as catalog, catalog.write() as cur:
        dataset_id = Catalog.next_id(cur, "datasets", "dataset_id")
        first = Catalog.next_id(cur, "samples", "sample_id")
        cur.executemany(
            "INSERT INTO samples VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, [], NULL)",
            [[first + i, dataset_id, p.name, str(p)] for i, p in enumerate(paths)],
        )
        cur.execute(
            "INSERT INTO datasets VALUES (?, ?, 'coco', ?, ?, now(), ?, 0, '{}')",
            [dataset_id, name, str(paths[0].parent), str(paths[0].parent), len(paths)],
        )


def timed_gets(
    server: Server, paths: list[str], clients: int = 1, headers: dict[str, str] | None = None
) -> tuple[list[float], float]:
    """GET every path (split over ``clients`` threads, one connection each): each request's
    milliseconds and the wall seconds of the whole batch."""
    times: list[float] = []
    lock = threading.Lock()

    def run(part: list[str]) -> None:
        conn = server.connect()
        mine = []
        for path in part:
            start = time.perf_counter()
            status, body, _ = server.request("GET", path, headers=headers, conn=conn)
            mine.append((time.perf_counter() - start) * 1000)
            assert status == 200 and body, status
        conn.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run, args=(paths[i::clients],)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, time.perf_counter() - start


def median(values: list[float]) -> float:
    """The median (0 for no values)."""
    return statistics.median(values) if values else 0.0
