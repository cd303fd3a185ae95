"""``bench_video_seek.py --gcs`` on a tiny clip, so that it cannot rot: it starts its own
GCS emulator (stopped by PID), reads the same frames from ``gs://`` and from the local file,
counts what the ``gs://`` reads fetched, reads them through the route's version cache per
video file and per frame (counting metadata requests), and reports every case."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import video_gcs  # noqa: E402 - after the benchmarks folder is on the path

from .video_fixtures import write_video  # noqa: E402


def test_the_gcs_case_measures_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_video(path, 40, gop=10, bframes=3)
    before = os.environ.get("STORAGE_EMULATOR_HOST")
    results, route = video_gcs.measure(path, 40, runs=2, frames=4)
    assert os.environ.get("STORAGE_EMULATOR_HOST") == before  # left as it was
    local, gcs = results["local file"], results["gs:// (emulator)"]
    assert len(local) == len(gcs) == 2
    assert all(len(r["frames_ms"]) == 4 for r in local + gcs)
    size = path.stat().st_size
    assert all(0 < r["probe_bytes"] <= size and r["probe_requests"] > 0 for r in gcs)
    assert all(r["frame_bytes"][0] > 0 for r in gcs)  # a cold frame reads the object
    assert all(r["versions_per_frame"] == 1 for r in gcs)
    per_file = route["route, versions per video file"]
    per_frame = route["route, versions per frame (before)"]
    assert len(per_file) == len(per_frame) == 2
    assert all(len(r["frames_ms"]) == len(r["cpu_ms"]) == 4 for r in per_file + per_frame)
    # one metadata request for the run's four frames, against one each
    assert all(r["metadata_per_frame"] == 0.25 for r in per_file)
    assert all(r["metadata_per_frame"] == 1 for r in per_frame)
    text = video_gcs.report(results, route, size / 1e6, 4)
    assert "| local file |" in text and "| gs:// (emulator) |" in text
    assert "| route, versions per video file |" in text
