"""An ingested video dataset's tracks as the tracking evaluation's sequences.

One :class:`~.sequences.SequenceData` per video: the ground truth's objects and a model's
(their ``track_id``, box and score) on the frames of ``video_frames``, numbered from 1 as
everywhere in VisionLens. MOT's "consider" flag and visibility come from the objects'
attributes where the parser kept them (MOT Challenge ground truth); elsewhere every
object counts, visible.

Classes: a dataset whose ground-truth classes are all MOT Challenge's is evaluated as
TrackEval's ``MotChallenge2DBox`` (pedestrians, distractor classes removed); any other
(CVAT for video, a folder of videos labelled elsewhere) is evaluated class-agnostic: every
object is a pedestrian to the engine, the protocol named in the answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...catalog import Catalog, CatalogError
from ...catalog.store.schema import GROUND_TRUTH
from .sequences import MOT_CLASS_IDS, PEDESTRIAN, SequenceData

MOT_PROTOCOL = "mot-challenge"
"""Pedestrians evaluated, the distractor classes' matches removed (TrackEval's default)."""
CLASS_AGNOSTIC = "class-agnostic"
"""Every object evaluated whatever its class."""

_OBJECTS = """
SELECT f.video_id, f.frame_number, a.track_id, a.x, a.y, a.w, a.h, a.label,
       coalesce(a.score, 1.0),
       coalesce(TRY_CAST(a.attributes->>'consider' AS BOOLEAN), true),
       coalesce(TRY_CAST(a.attributes->>'visibility' AS DOUBLE), 1.0)
FROM annotations a
JOIN video_frames f ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id
WHERE a.dataset_id = ? AND a.source = ? AND a.track_id IS NOT NULL
ORDER BY f.video_id, f.frame_number, a.ann_id
"""


def read_sequences(catalog: Catalog, dataset: str, model: str) -> tuple[list[SequenceData], str]:
    """The dataset's videos as sequences of its ground-truth tracks and ``model``'s, and the
    protocol their classes call for (:data:`MOT_PROTOCOL` or :data:`CLASS_AGNOSTIC`).
    Refused: a dataset without videos, a model without tracks (no ``track_id``)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        videos = cur.execute(
            "SELECT video_id, name, num_frames FROM videos WHERE dataset_id = ? ORDER BY video_id",
            [dataset_id],
        ).fetchall()
        gt = cur.execute(_OBJECTS, [dataset_id, GROUND_TRUTH]).fetchall()
        tr = cur.execute(_OBJECTS, [dataset_id, model]).fetchall()
    if not videos:
        raise CatalogError(f"dataset {dataset!r} has no videos: tracking evaluation needs frames")
    if not tr:
        raise CatalogError(
            f"model {model!r} has no tracked objects in {dataset!r} (objects with a track id, "
            "e.g. MOT results imported with `visionlens predictions NAME RESULTS --format mot`)"
        )
    mot = bool(gt) and all(row[7] in MOT_CLASS_IDS for row in gt)
    by_video_gt, by_video_tr = _group(gt), _group(tr)
    sequences = []
    for video_id, name, num_frames in videos:
        g, t = by_video_gt.get(video_id, []), by_video_tr.get(video_id, [])
        g_cls = [MOT_CLASS_IDS[r[7]] if mot else PEDESTRIAN for r in g]
        sequences.append(
            SequenceData(
                name=str(name),
                num_frames=int(num_frames),
                gt_frame=_column(g, 1, np.int64),
                gt_id=_column(g, 2, np.int64),
                gt_box=np.array([r[3:7] for r in g], dtype=np.float64).reshape(-1, 4),
                gt_class=np.array(g_cls, dtype=np.int64),
                gt_conf=np.array([1.0 if r[9] else 0.0 for r in g]),
                gt_visibility=_column(g, 10, np.float64),
                tr_frame=_column(t, 1, np.int64),
                tr_id=_column(t, 2, np.int64),
                tr_box=np.array([r[3:7] for r in t], dtype=np.float64).reshape(-1, 4),
                tr_score=_column(t, 8, np.float64),
            )
        )
    return sequences, MOT_PROTOCOL if mot else CLASS_AGNOSTIC


def evaluate_dataset_tracking(catalog: Catalog, dataset: str, model: str) -> dict[str, Any]:
    """The tracking report of ``model`` on ``dataset``'s videos
    (:meth:`~.report.TrackingReport.to_dict` plus ``model``, ``protocol`` and ``text``, the
    printed table); a sequence the engine refuses (an id twice on one frame) is a
    :class:`CatalogError` naming it."""
    from .engine import evaluate_tracking

    sequences, protocol = read_sequences(catalog, dataset, model)
    try:
        report = evaluate_tracking(sequences)
    except ValueError as exc:
        raise CatalogError(str(exc)) from exc
    return {"model": model, "protocol": protocol, **report.to_dict(), "text": report.summary_text()}


def _group(rows: list[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out


def _column(rows: list[Any], index: int, dtype: Any) -> np.ndarray:
    return np.array([r[index] for r in rows], dtype=dtype)
