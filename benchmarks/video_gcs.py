"""``bench_video_seek.py --gcs``: random frames of a ``gs://`` video (a GCS emulator on
loopback, in memory) beside the same file read locally, in the same run (issue #52).

Per run (the two cases interleaved, order rotated; a fresh reader each, so each run probes
and reads cold): the probe (one demux of the whole file), then ``--gcs-frames`` random
frames (seeded, the same numbers for both cases) timed one by one. The first frame after
the probe is *cold* (a new file object with an empty block cache); the others are *warm
jumps* (the open file keeps its last blocks). For ``gs://`` the bytes and requests the
reader's files fetched are counted, and the metadata requests (the object's version).

Then the same frames as the image route reads them (``route ...`` cases, a fresh reader each
run, probed first so only the frames are timed): the version from the route's cache of GCS
versions (a :class:`ThumbnailCache`, revalidation period 600 s) or one metadata request on
a miss, then ``read_bytes_at`` pinned to it (the JPEG the route serves). The cache is keyed
per video file (:func:`sources.versioned_file`, what the route does) or, as before #52's
fix, per frame location; wall ms, this process's CPU ms and metadata requests (HTTP
requests counted) per frame.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import requests
from harness import summary, table

from tests.gcs_emulator import running_emulator
from visionlens_jlab.media import sources
from visionlens_jlab.media.cache import ThumbnailCache
from visionlens_jlab.media.gcs_file import GCSVideoFiles
from visionlens_jlab.media.video_source import VideoFrameSource
from visionlens_jlab.video.frames import FrameReader
from visionlens_jlab.video.locator import frame_location

BUCKET, KEY = "vl-bench", "videos/seek.mp4"
MB = 1e6


class CountedFiles(GCSVideoFiles):
    """GCS video files that keep what they fetched: bytes, ranged reads, versions asked."""

    def __init__(self) -> None:
        self.files: list[Any] = []
        self.versions = 0

    def version(self, location: str) -> str:
        self.versions += 1
        return super().version(location)

    def open(self, location: str, version: str) -> BinaryIO:
        file = super().open(location, version)
        self.files.append(file)
        return file

    def fetched(self) -> tuple[int, int]:
        """``(bytes, requests)`` of every file opened so far."""
        return sum(f.fetched_bytes for f in self.files), sum(f.requests for f in self.files)


def upload(path: Path) -> str:
    """Put the video into the emulator; its ``gs://`` location."""
    from google.cloud import storage

    client = storage.Client(project="bench")
    bucket = client.bucket(BUCKET)
    if not bucket.exists():
        bucket = client.create_bucket(BUCKET)
    bucket.blob(KEY).upload_from_filename(str(path), content_type="video/mp4")
    return f"gs://{BUCKET}/{KEY}"


def one_run(location: str, numbers: list[int], remote: CountedFiles | None) -> dict[str, Any]:
    """Probe, then each frame of ``numbers`` with a fresh reader: ms and bytes."""
    reader = FrameReader(remote=remote)
    t0 = time.perf_counter()
    reader.index(location)
    out: dict[str, Any] = {"probe_ms": (time.perf_counter() - t0) * 1000, "frames_ms": []}
    if remote is not None:
        out["probe_bytes"], out["probe_requests"] = remote.fetched()
        out["frame_bytes"], versions = [], remote.versions
    for n in numbers:
        before = remote.fetched()[0] if remote is not None else 0
        t0 = time.perf_counter()
        reader.frame(location, n)
        out["frames_ms"].append((time.perf_counter() - t0) * 1000)
        if remote is not None:
            out["frame_bytes"].append(remote.fetched()[0] - before)
    if remote is not None:
        out["versions_per_frame"] = (remote.versions - versions) / len(numbers)
    reader.close()
    return out


@contextmanager
def metadata_requests() -> Iterator[list[int]]:
    """Count the object metadata requests (not downloads) sent meanwhile: ``[n]``."""
    count = [0]
    request = requests.Session.request

    def counted(session: requests.Session, method: str, url: str, **kw: Any) -> Any:
        media = "alt=media" in url or (kw.get("params") or {}).get("alt") == "media"
        if "/o/" in url and not media:
            count[0] += 1
        return request(session, method, url, **kw)

    setattr(requests.Session, "request", counted)  # noqa: B010 - typed as a method
    try:
        yield count
    finally:
        setattr(requests.Session, "request", request)  # noqa: B010


def route_run(location: str, numbers: list[int], per_file: bool) -> dict[str, Any]:
    """The frames of ``numbers`` as the image route reads them, its version cache keyed per
    video file or per frame location: wall and CPU ms, metadata requests per frame."""
    reader = FrameReader(remote=GCSVideoFiles())
    source = VideoFrameSource(sources.source_for, lambda: reader)
    reader.index(location)  # the probe, not timed: both cases share it
    with tempfile.TemporaryDirectory() as folder, metadata_requests() as sent:
        cache = ThumbnailCache(folder)
        wall, cpu = [], []
        for n in numbers:
            frame = frame_location(location, n)
            t0, c0 = time.perf_counter(), time.process_time()
            key = sources.versioned_file(frame) if per_file else frame
            version = cache.gcs_version(key)
            if version is None:
                version = source.version(frame)
                cache.set_gcs_version(key, version)
            source.read_bytes_at(frame, version)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        requests_per_frame = sent[0] / len(numbers)
    reader.close()
    return {"frames_ms": wall, "cpu_ms": cpu, "metadata_per_frame": requests_per_frame}


ROUTE_CASES = {"route, versions per video file": True, "route, versions per frame (before)": False}


def measure(
    path: Path, num_frames: int, runs: int, frames: int
) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """The reader's cases and the route's, ``runs`` times, each pair interleaved with the
    order rotated."""
    results: dict[str, list[dict]] = {"local file": [], "gs:// (emulator)": []}
    route: dict[str, list[dict]] = {name: [] for name in ROUTE_CASES}
    with running_emulator():
        location = upload(path)
        for r in range(runs):
            rng = np.random.default_rng(r)
            numbers = [int(n) for n in rng.integers(1, num_frames + 1, frames)]
            cases = [("local file", str(path), None), ("gs:// (emulator)", location, "gcs")]
            for name, where, kind in cases[r % 2 :] + cases[: r % 2]:
                remote = CountedFiles() if kind else None
                results[name].append(one_run(where, numbers, remote))
            names = list(ROUTE_CASES)
            for name in names[r % 2 :] + names[: r % 2]:
                route[name].append(route_run(location, numbers, ROUTE_CASES[name]))
    return results, route


def report(
    results: dict[str, list[dict]], route: dict[str, list[dict]], size_mb: float, frames: int
) -> str:
    """The section's body: per case the probe, random frames' median and p95 (median and
    range over runs) and, for ``gs://``, what the reads fetched; then the route's cases."""

    def over_runs(case: str, value: Any, digits: int = 0) -> str:
        runs = results[case] if case in results else route[case]
        return summary([value(r) for r in runs]).fmt(digits)

    rows = []
    for case, runs in results.items():
        gcs = "probe_bytes" in runs[0]
        rows.append(
            [
                case,
                over_runs(case, lambda r: r["probe_ms"]),
                over_runs(case, lambda r: float(np.median(r["frames_ms"])), 1),
                over_runs(case, lambda r: float(np.quantile(r["frames_ms"], 0.95)), 1),
                over_runs(case, lambda r: r["probe_bytes"] / MB, 2) if gcs else "-",
                over_runs(case, lambda r: r["probe_requests"]) if gcs else "-",
                over_runs(case, lambda r: r["frame_bytes"][0] / MB, 2) if gcs else "-",
                over_runs(case, lambda r: float(np.median(r["frame_bytes"][1:])) / MB, 2)
                if gcs
                else "-",
                over_runs(case, lambda r: r["versions_per_frame"], 1) if gcs else "-",
            ]
        )
    head = [
        "case",
        "probe ms",
        "random frame median ms",
        "p95 ms",
        "probe read MB",
        "probe requests",
        "cold frame MB",
        "warm jump MB (median)",
        "metadata requests / frame",
    ]
    runs_n = len(next(iter(results.values())))
    return (
        f"{runs_n} runs x {frames} random frames (seeded, the same for both cases), a fresh "
        f"reader each run (cold probe, then a cold first frame); file {size_mb:.1f} MB. "
        "Figures: median (min–max) over runs of each run's value; the cold frame is the "
        "first after the probe, the warm jumps the other frames.\n\n"
        + table(head, rows)
        + "\nThe same frames through the image route's version cache (probe not timed; "
        "per run the median frame's ms and this process's CPU ms per frame (the run's total "
        "over its frames, metadata requests included), then median (min–max) over runs):\n\n"
        + table(
            ["case", "frame median ms", "CPU ms / frame (mean)", "metadata requests / frame"],
            [
                [
                    case,
                    over_runs(case, lambda r: float(np.median(r["frames_ms"])), 1),
                    over_runs(case, lambda r: float(np.mean(r["cpu_ms"])), 1),
                    over_runs(case, lambda r: r["metadata_per_frame"], 2),
                ]
                for case in route
            ],
        )
    )
