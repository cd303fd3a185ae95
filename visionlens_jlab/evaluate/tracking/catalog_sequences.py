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
import pyarrow as pa

from ...catalog import Catalog, CatalogError
from ...catalog.store.schema import GROUND_TRUTH
from ..track_results import SequenceObjects, result_rows, store_track_results
from .sequences import MOT_CLASS_IDS, PEDESTRIAN, SequenceData

MOT_PROTOCOL = "mot-challenge"
"""Pedestrians evaluated, the distractor classes' matches removed (TrackEval's default)."""
CLASS_AGNOSTIC = "class-agnostic"
"""Every object evaluated whatever its class."""

_OBJECTS = """
SELECT f.video_id, f.frame_number, a.track_id, a.ann_id, a.sample_id, a.x, a.y, a.w, a.h, a.label,
       coalesce(a.score, 1.0) AS score,
       coalesce(TRY_CAST(a.attributes->>'consider' AS BOOLEAN), true) AS consider,
       coalesce(TRY_CAST(a.attributes->>'visibility' AS DOUBLE), 1.0) AS visibility
FROM annotations a
JOIN video_frames f ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id
WHERE a.dataset_id = ? AND a.source = ? AND a.track_id IS NOT NULL
ORDER BY f.video_id, f.frame_number, a.ann_id
"""


def read_sequences(
    catalog: Catalog, dataset: str, model: str
) -> tuple[list[SequenceData], list[SequenceObjects], str]:
    """The dataset's videos as sequences of its ground-truth tracks and ``model``'s, the
    objects behind their rows, and the protocol their classes call for
    (:data:`MOT_PROTOCOL` or :data:`CLASS_AGNOSTIC`).
    Refused: a dataset without videos, a model without tracks (no ``track_id``)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        videos = cur.execute(
            "SELECT video_id, name, num_frames FROM videos WHERE dataset_id = ? ORDER BY video_id",
            [dataset_id],
        ).fetchall()
        # columns as arrays: no Python object per box (200K boxes and more)
        gt = cur.execute(_OBJECTS, [dataset_id, GROUND_TRUTH]).fetchnumpy()
        tr = cur.execute(_OBJECTS, [dataset_id, model]).fetchnumpy()
    if not videos:
        raise CatalogError(f"dataset {dataset!r} has no videos: tracking evaluation needs frames")
    if not len(tr["video_id"]):
        raise CatalogError(
            f"model {model!r} has no tracked objects in {dataset!r} (objects with a track id, "
            "e.g. MOT results imported with `visionlens predictions NAME RESULTS --format mot`)"
        )
    labels = np.asarray(gt["label"], dtype=object)
    names = set(labels.tolist())
    mot = bool(len(labels)) and names <= set(MOT_CLASS_IDS)
    gt_class = (
        np.array([MOT_CLASS_IDS[n] for n in labels.tolist()], dtype=np.int64)
        if mot
        else np.full(len(labels), PEDESTRIAN, dtype=np.int64)
    )
    sequences, objects = [], []
    for video_id, name, num_frames in videos:
        g = np.asarray(gt["video_id"]) == video_id
        t = np.asarray(tr["video_id"]) == video_id
        objects.append(
            SequenceObjects(
                gt["ann_id"][g], gt["sample_id"][g], tr["ann_id"][t], tr["sample_id"][t]
            )
        )
        sequences.append(
            SequenceData(
                name=str(name),
                num_frames=int(num_frames),
                gt_frame=gt["frame_number"][g],
                gt_id=gt["track_id"][g],
                gt_box=_boxes(gt, g),
                gt_class=gt_class[g],
                gt_conf=np.asarray(gt["consider"][g], dtype=np.float64),
                gt_visibility=gt["visibility"][g],
                tr_frame=tr["frame_number"][t],
                tr_id=tr["track_id"][t],
                tr_box=_boxes(tr, t),
                tr_score=tr["score"][t],
            )
        )
    return sequences, objects, MOT_PROTOCOL if mot else CLASS_AGNOSTIC


def _boxes(columns: dict[str, Any], rows: np.ndarray) -> np.ndarray:
    return np.stack([np.asarray(columns[c][rows], dtype=np.float64) for c in "xywh"], axis=1)


def evaluate_dataset_tracking(catalog: Catalog, dataset: str, model: str) -> dict[str, Any]:
    """The tracking report of ``model`` on ``dataset``'s videos
    (:meth:`~.report.TrackingReport.to_dict` plus ``model``, ``protocol`` and ``text``, the
    printed table); a sequence the engine refuses (an id twice on one frame) is a
    :class:`CatalogError` naming it. Each object's outcome is stored
    (:mod:`.track_results`: the ``track`` filter reads it)."""
    from .engine import evaluate_tracking

    sequences, objects, protocol = read_sequences(catalog, dataset, model)
    try:
        report = evaluate_tracking(sequences)
    except ValueError as exc:
        raise CatalogError(str(exc)) from exc
    rows = [
        result_rows(o, seq.gt_id, report.details[seq.name])
        for seq, o in zip(sequences, objects, strict=True)
    ]
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
    store_track_results(catalog, dataset_id, model, pa.concat_tables(rows))
    return {"model": model, "protocol": protocol, **report.to_dict(), "text": report.summary_text()}
