"""Tracks from a detector's boxes: ByteTrack run over each video's frames in order, stored as
a new prediction set whose objects carry a ``track_id``.

The tracker is Roboflow's ``trackers`` package (``ByteTrackTracker``, on ``supervision``'s
``Detections``): ``supervision`` itself dropped its ByteTrack in 0.27 for this package. Each
video gets a fresh tracker (its default settings, ``frame_rate`` the video's ``fps``, 30 when
unknown); frames are given in frame order with their time, ``(N - 1) / fps`` seconds, so a
detector run on sampled frames (``--frames every:K``) tracks across the gaps it left. The
frames a model run processed (with boxes or none, :mod:`.model_runs`) are the frames given;
an imported set is taken to cover every frame. The tracker returns each detection it kept
with its identity; those it leaves unconfirmed (``tracker_id`` -1: a track's first frame,
under its ``minimum_consecutive_frames``, or a low score) are not stored. Boxes, labels and
scores are the detector's. The set is written as MOT results are
(:func:`~visionlens_jlab.catalog.writes.dataset_writer.write_predictions`), so tracking
evaluation, the tracks view and export read it the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog, CatalogError
from ..catalog.writes.dataset_writer import write_predictions
from ..ingest.base import ParsedBase
from ..ingest.mot import object_table
from ..ingest.mot_rows import MotRows
from ..records.batches import Batch
from .model_runs import MODEL_RUN_FORMAT

TRACKERS = ("bytetrack",)
"""The trackers ``visionlens track`` runs."""
DEFAULT_FRAME_RATE = 30.0
"""ByteTrack's frame rate for a video whose rate is unknown (its own default)."""

_BOXES = """
SELECT f.video_id, f.frame_number, a.label, a.x, a.y, a.w, a.h, coalesce(a.score, 1.0) AS score
FROM annotations a
JOIN video_frames f ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id
WHERE a.dataset_id = ? AND a.source = ? AND a.x IS NOT NULL AND a.w > 0 AND a.h > 0
ORDER BY f.video_id, f.frame_number, a.ann_id
"""
_FRAMES = """
SELECT f.video_id, f.frame_number, coalesce(s.source_image_id, s.file_name) AS ref,
       f.sample_id IN (SELECT sample_id FROM annotations WHERE dataset_id = $d AND source = $m)
       OR f.sample_id IN (SELECT sample_id FROM model_run_empty_samples
                          WHERE dataset_id = $d AND model = $m) AS processed
FROM video_frames f JOIN samples s ON s.dataset_id = f.dataset_id AND s.sample_id = f.sample_id
WHERE f.dataset_id = $d
ORDER BY f.video_id, f.frame_number
"""


class TrackedDetections(ParsedBase):
    """A tracker's output as a :class:`~visionlens_jlab.records.parsed.ParsedSource` of
    predictions (boxes with a score and a ``track_id``, the frame named by its key)."""

    def __init__(self, tracker: str, detections: str, table: pa.Table, labels: list[str]) -> None:
        super().__init__(tracker, f"{detections} ({tracker})", "")
        self.table = table
        for label in labels:
            self.add_class(label)

    def batches(self) -> Iterator[Batch]:
        yield Batch(annotations=self.table)


def track_detections(
    catalog: Catalog,
    dataset: str,
    detections: str,
    *,
    tracker: str = "bytetrack",
    name: str | None = None,
) -> dict[str, Any]:
    """Run ``tracker`` over model ``detections``' boxes on each video of ``dataset`` and
    store the tracks as the prediction set ``name`` (default ``<detections>-<tracker>``);
    returns the write's summary with ``tracker``, ``detections`` and ``tracks``. Refused
    (:class:`CatalogError`): an unknown tracker, a dataset without videos, a model with no
    boxes on its frames."""
    if tracker not in TRACKERS:
        raise CatalogError(f"unknown tracker {tracker!r}: use {', '.join(TRACKERS)}")
    name = name or f"{detections}-{tracker}"
    if name == detections:
        raise CatalogError("the tracks need another name than the detections they are made of")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        videos = cur.execute(
            "SELECT video_id, fps FROM videos WHERE dataset_id = ? ORDER BY video_id",
            [dataset_id],
        ).fetchall()
        found = cur.execute(
            "SELECT format FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, detections]
        ).fetchall()
        boxes = cur.execute(_BOXES, [dataset_id, detections]).fetchnumpy()
        frames = cur.execute(_FRAMES, {"d": dataset_id, "m": detections}).fetchnumpy()
    if not videos:
        raise CatalogError(f"dataset {dataset!r} has no videos: tracking needs frames in order")
    if not found:
        raise CatalogError(f"dataset {dataset!r} has no predictions named {detections!r}")
    if not len(boxes["video_id"]):
        raise CatalogError(
            f"model {detections!r} has no boxes on the frames of {dataset!r}: run a detector "
            f"on them first (visionlens predict {dataset} --model ...)"
        )
    every_frame = found[0][0] != MODEL_RUN_FORMAT  # imported: no record of frames processed
    table, labels, tracks = _tracked(boxes, frames, dict(videos), every_frame)
    if not table.num_rows:
        raise CatalogError(f"{tracker} confirmed no track from the boxes of {detections!r}")
    summary = write_predictions(
        catalog, dataset, name, TrackedDetections(tracker, detections, table, labels)
    ).to_dict()
    return {**summary, "tracker": tracker, "detections": detections, "tracks": tracks}


def _tracked(
    boxes: dict[str, Any],
    frames: dict[str, Any],
    fps: dict[int, float | None],
    every_frame: bool,
) -> tuple[pa.Table, list[str], int]:
    """The tracked boxes as one annotation batch, their labels, and the number of tracks."""
    import supervision as sv
    from trackers import ByteTrackTracker

    box_video = np.asarray(boxes["video_id"], np.int64)
    box_frame = np.asarray(boxes["frame_number"], np.int64)
    labels = np.asarray(boxes["label"], dtype=object)
    names = sorted(set(labels.tolist()))
    class_ids = np.array([names.index(n) for n in labels.tolist()], np.int64)
    xyxy = np.stack(
        [
            np.asarray(boxes["x"], np.float64),
            np.asarray(boxes["y"], np.float64),
            np.asarray(boxes["x"], np.float64) + np.asarray(boxes["w"], np.float64),
            np.asarray(boxes["y"], np.float64) + np.asarray(boxes["h"], np.float64),
        ],
        axis=1,
    )
    scores = np.asarray(boxes["score"], np.float64)
    frame_video = np.asarray(frames["video_id"], np.int64)
    frame_number = np.asarray(frames["frame_number"], np.int64)
    processed = np.asarray(frames["processed"], bool) | every_frame
    refs = {
        (int(v), int(n)): str(r)
        for v, n, r in zip(frame_video, frame_number, frames["ref"], strict=True)
    }
    rows: list[int] = []
    track_ids: list[int] = []
    offset = 0
    for video_id in np.unique(frame_video).tolist():
        rate = fps.get(video_id)
        tracker = ByteTrackTracker(frame_rate=float(rate or DEFAULT_FRAME_RATE))
        on_video = box_video == video_id
        given = frame_number[(frame_video == video_id) & processed]
        if not on_video.any():
            continue
        last = offset
        for number in given.tolist():
            index = np.flatnonzero(on_video & (box_frame == number))
            detections = sv.Detections(
                xyxy=xyxy[index].reshape(-1, 4),
                confidence=scores[index],
                class_id=class_ids[index],
                data={"row": index},
            )
            out = tracker.update(detections, timestamp=(number - 1) / rate if rate else None)
            kept = np.asarray(out.tracker_id) >= 0
            rows.extend(np.asarray(out.data.get("row", []))[kept].tolist())
            ids = np.asarray(out.tracker_id)[kept] + offset + 1
            track_ids.extend(ids.tolist())
            last = max(last, int(ids.max()) if len(ids) else last)
        offset = last
    order = np.array(rows, np.int64)
    columns = {
        "frame": box_frame[order],
        "track": np.array(track_ids, np.int64),
        "x": xyxy[order, 0],
        "y": xyxy[order, 1],
        "w": xyxy[order, 2] - xyxy[order, 0],
        "h": xyxy[order, 3] - xyxy[order, 1],
        "conf": scores[order],
        "cls": np.full(len(order), -1.0),
        "visibility": np.full(len(order), np.nan),
    }
    image_refs = pa.array(
        [refs[(int(box_video[i]), int(box_frame[i]))] for i in order], pa.string()
    )
    label_array = pa.array(labels[order].tolist(), pa.string())
    table = object_table(
        MotRows(columns), label_array, columns["track"], image_refs=image_refs, score=True
    )
    return table, names, len(set(track_ids))
