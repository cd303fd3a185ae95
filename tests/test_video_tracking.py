"""Trackers from detections: ``visionlens track`` links a detector's boxes on each video into
tracks with ByteTrack, equal to the ``trackers`` package's ByteTrack run here on the same
boxes (the oracle), on all frames and on sampled ones; the tracks evaluate with a high IDF1
on clean detections; bad input is refused clearly."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tests.ingest_fixtures import ingest
from tests.media_fixtures import add_dataset
from tests.tracking_fixtures import write_moving_mot
from visionlens_jlab import features
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.predict.model_runs import append_model_predictions, start_model_run
from visionlens_jlab.predict.tracking import track_detections

SEQUENCES = {"MOT-A": 60, "MOT-B": 45}


@pytest.fixture(scope="module")
def mot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("moving")
    write_moving_mot(root / "mot", SEQUENCES, seed=3)
    features.load()
    catalog = Catalog(root / "vl")
    ingest(catalog, "mot", root / "mot", fmt="mot")
    yield {"root": root, "catalog": catalog}
    catalog.close()


def ground_truth(catalog: Catalog) -> list[tuple]:
    """``(sample_id, video, frame, x, y, w, h)`` of the ground-truth boxes, in frame order."""
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT a.sample_id, v.name, f.frame_number, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN video_frames f USING (sample_id) JOIN videos v ON v.dataset_id = f.dataset_id "
            "AND v.video_id = f.video_id WHERE a.source = 'ground_truth' "
            "ORDER BY v.video_id, f.frame_number, a.ann_id"
        ).fetchall()


def detect(catalog: Catalog, model: str, every: int = 1) -> None:
    """A model run whose boxes are the ground truth's (scores 0.9, no identities) on the
    frames 1, 1+every, ...; every one of those frames processed."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "mot")
        frames = cur.execute(
            "SELECT sample_id FROM video_frames WHERE (frame_number - 1) % ? = 0", [every]
        ).fetchall()
    processed = np.array([f[0] for f in frames], np.int64)
    boxes = [b for b in ground_truth(catalog) if (b[2] - 1) % every == 0]
    start_model_run(catalog, dataset_id, model, "test", {"every": every})
    table = pa.table(
        {
            "sample_id": pa.array([b[0] for b in boxes], pa.int64()),
            "label": pa.array(["pedestrian"] * len(boxes)),
            **{c: pa.array([float(b[3 + i]) for b in boxes]) for i, c in enumerate("xywh")},
            "score": pa.array([0.9] * len(boxes)),
        }
    )
    append_model_predictions(catalog, dataset_id, model, processed, table)


def by_hand(catalog: Catalog, every: int) -> list[tuple]:
    """The oracle: ``trackers``' ByteTrack on the same boxes, one tracker per video (frame rate
    30, times ``(N - 1) / 30``), ids made unique across videos by the previous videos' most."""
    import supervision as sv
    from trackers import ByteTrackTracker

    boxes = [b for b in ground_truth(catalog) if (b[2] - 1) % every == 0]
    out, offset = [], 0
    for video, frames in SEQUENCES.items():
        tracker, last = ByteTrackTracker(frame_rate=30.0), offset
        for number in range(1, frames + 1, every):
            here = [b for b in boxes if b[1] == video and b[2] == number]
            xyxy = np.array([[x, y, x + w, y + h] for *_, x, y, w, h in here]).reshape(-1, 4)
            result = tracker.update(
                sv.Detections(xyxy=xyxy, confidence=np.full(len(here), 0.9)),
                timestamp=(number - 1) / 30.0,
            )
            for box, track in zip(result.xyxy, np.asarray(result.tracker_id), strict=True):
                if track >= 0:
                    out.append((video, number, round(float(box[0]), 3), int(track) + offset + 1))
                    last = max(last, int(track) + offset + 1)
        offset = last
    return sorted(out)


def stored_tracks(catalog: Catalog, model: str) -> list[tuple]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT v.name, f.frame_number, round(a.x, 3), a.track_id FROM annotations a "
            "JOIN video_frames f USING (sample_id) JOIN videos v ON v.dataset_id = f.dataset_id "
            "AND v.video_id = f.video_id WHERE a.source = ?",
            [model],
        ).fetchall()
    return sorted((v, n, float(x), int(t)) for v, n, x, t in rows)


@pytest.mark.parametrize("every", [1, 3])
def test_tracks_equal_bytetrack_run_directly_on_the_same_detections(
    mot: dict[str, Any], every: int
) -> None:
    catalog = mot["catalog"]
    detect(catalog, f"det{every}", every)
    result = track_detections(catalog, "mot", f"det{every}")
    expected = by_hand(catalog, every)
    assert result["model"] == f"det{every}-bytetrack" and result["tracker"] == "bytetrack"
    assert stored_tracks(catalog, f"det{every}-bytetrack") == expected
    assert result["predictions"] == len(expected) > 0
    assert result["tracks"] == len({t for *_, t in expected})


def test_clean_detections_track_with_a_high_idf1_through_the_cli(mot: dict[str, Any]) -> None:
    catalog: Catalog = mot["catalog"]
    detect(catalog, "clean")
    data_dir = str(catalog.data_dir)
    catalog.close()  # the CLI opens the catalog itself
    try:

        def cli(*argv: str) -> dict[str, Any]:
            done = subprocess.run(
                [sys.executable, "-m", "visionlens_jlab.cli", *argv, "--data-dir", data_dir],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            return dict(json.loads(done.stdout))

        tracked = cli("track", "mot", "--model", "clean", "--as", "clean-tracks", "--json")
        assert (tracked["model"], tracked["tracks"]) == ("clean-tracks", 8)
        report = cli("evaluate", "mot", "--model", "clean-tracks", "--tracking", "--json")
        tracking = report["tracking"]
        # the first frame of each track is unconfirmed (ByteTrack's minimum_consecutive_frames)
        assert tracking["IDF1"] > 0.95 and tracking["num_switches"] == 0
        assert tracking["num_false_positives"] == 0
    finally:
        mot["catalog"] = Catalog(data_dir)


def test_bad_input_is_refused_clearly(mot: dict[str, Any], tmp_path: Path) -> None:
    catalog: Catalog = mot["catalog"]
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "mot")
    start_model_run(catalog, dataset_id, "nothing", "test", {})
    append_model_predictions(catalog, dataset_id, "nothing", np.array([1], np.int64))
    with pytest.raises(CatalogError, match="model 'nothing' has no boxes on the frames"):
        track_detections(catalog, "mot", "nothing")
    with pytest.raises(CatalogError, match="no predictions named 'ghost'"):
        track_detections(catalog, "mot", "ghost")
    with pytest.raises(CatalogError, match="unknown tracker 'sort': use bytetrack"):
        track_detections(catalog, "mot", "nothing", tracker="sort")
    add_dataset(catalog, "stills", str(tmp_path), [str(tmp_path / "a.jpg")])
    with pytest.raises(CatalogError, match="'stills' has no videos"):
        track_detections(catalog, "stills", "nothing")
