"""``bench_video_seek.py --gcs``: random frames of a ``gs://`` video (a GCS emulator on
loopback, in memory) beside the same file read locally, in the same run (issue #52).

Per run (the two cases interleaved, order rotated; a fresh reader each, so each run probes
and reads cold): the probe (one demux of the whole file), then ``--gcs-frames`` random
frames (seeded, the same numbers for both cases) timed one by one. The first frame after
the probe is *cold* (a new file object with an empty block cache); the others are *warm
jumps* (the open file keeps its last blocks). For ``gs://`` the bytes and requests the
reader's files fetched are counted, and the metadata requests (the object's version).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from harness import summary, table

from tests.gcs_emulator import running_emulator
from visionlens_jlab.media.gcs_file import GCSVideoFiles
from visionlens_jlab.video.frames import FrameReader

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


def measure(path: Path, num_frames: int, runs: int, frames: int) -> dict[str, list[dict]]:
    """Both cases, ``runs`` times, interleaved with the order rotated."""
    results: dict[str, list[dict]] = {"local file": [], "gs:// (emulator)": []}
    with running_emulator():
        location = upload(path)
        for r in range(runs):
            rng = np.random.default_rng(r)
            numbers = [int(n) for n in rng.integers(1, num_frames + 1, frames)]
            cases = [("local file", str(path), None), ("gs:// (emulator)", location, "gcs")]
            for name, where, kind in cases[r % 2 :] + cases[: r % 2]:
                remote = CountedFiles() if kind else None
                results[name].append(one_run(where, numbers, remote))
    return results


def report(results: dict[str, list[dict]], size_mb: float, frames: int) -> str:
    """The section's body: per case the probe, random frames' median and p95 (median and
    range over runs) and, for ``gs://``, what the reads fetched."""

    def over_runs(case: str, value: Any, digits: int = 0) -> str:
        return summary([value(r) for r in results[case]]).fmt(digits)

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
        "first after the probe, the warm jumps the other frames.\n\n" + table(head, rows)
    )
