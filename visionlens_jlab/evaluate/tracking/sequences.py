"""The tracking evaluation's input: one sequence's ground truth and tracker output as flat arrays.

One row per box, MOT Challenge's columns kept as they are in ``gt.txt`` and a results
``<seq>.txt``: ``frame`` is MOT's 1-based frame number, boxes are ``(x, y, w, h)`` in pixels.
Rows may come in any frame order; within a frame their order is kept (it only decides ties
in the assignments, as the file order does for TrackEval).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PEDESTRIAN = 1
"""MOT Challenge's class id of the one evaluated class."""

MOT_CLASS_IDS = {
    "pedestrian": 1,
    "person_on_vehicle": 2,
    "car": 3,
    "bicycle": 4,
    "motorbike": 5,
    "non_mot_vehicle": 6,
    "static_person": 7,
    "distractor": 8,
    "occluder": 9,
    "occluder_on_ground": 10,
    "occluder_full": 11,
    "reflection": 12,
    "crowd": 13,
}
"""MOT Challenge's ground-truth classes (MOT16/17/20)."""

DISTRACTOR_CLASSES = ("person_on_vehicle", "static_person", "distractor", "reflection")
"""Classes whose matched tracker boxes are neither false positives nor true positives."""

MOT20_PREFIX = "MOT20-"
"""How MOT20's sequences are named (``MOT20-01`` ... ``MOT20-08``)."""


def distractor_classes(name: str) -> tuple[str, ...]:
    """The distractor classes of sequence ``name``: MOT20's also count its non-MOT vehicles,
    as TrackEval does for its benchmark MOT20 (with which MOT20 is evaluated)."""
    if name.startswith(MOT20_PREFIX):
        return (*DISTRACTOR_CLASSES, "non_mot_vehicle")
    return DISTRACTOR_CLASSES


@dataclass
class SequenceData:
    """One sequence to evaluate.

    Ground truth: ``gt_frame``, ``gt_id``, ``gt_box`` (n, 4), ``gt_class`` (MOT class ids,
    :data:`MOT_CLASS_IDS`), ``gt_conf`` (MOT's "consider" flag: a row whose integer part is 0
    is not evaluated) and ``gt_visibility`` (carried for filters by visibility; it takes no part
    in the metrics, as in MOT Challenge). Tracker: ``tr_frame``, ``tr_id``, ``tr_box`` (m, 4),
    ``tr_score``. ``num_frames`` is ``seqLength`` of ``seqinfo.ini``.
    """

    name: str
    num_frames: int
    gt_frame: np.ndarray
    gt_id: np.ndarray
    gt_box: np.ndarray
    gt_class: np.ndarray
    gt_conf: np.ndarray
    gt_visibility: np.ndarray
    tr_frame: np.ndarray
    tr_id: np.ndarray
    tr_box: np.ndarray
    tr_score: np.ndarray

    def __post_init__(self) -> None:
        self.gt_frame = np.asarray(self.gt_frame, dtype=np.int64).reshape(-1)
        self.gt_id = np.asarray(self.gt_id, dtype=np.int64).reshape(-1)
        self.gt_box = np.asarray(self.gt_box, dtype=np.float64).reshape(-1, 4)
        self.gt_class = np.asarray(self.gt_class, dtype=np.int64).reshape(-1)
        self.gt_conf = np.asarray(self.gt_conf, dtype=np.float64).reshape(-1)
        self.gt_visibility = np.asarray(self.gt_visibility, dtype=np.float64).reshape(-1)
        self.tr_frame = np.asarray(self.tr_frame, dtype=np.int64).reshape(-1)
        self.tr_id = np.asarray(self.tr_id, dtype=np.int64).reshape(-1)
        self.tr_box = np.asarray(self.tr_box, dtype=np.float64).reshape(-1, 4)
        self.tr_score = np.asarray(self.tr_score, dtype=np.float64).reshape(-1)
        self._check()

    def _check(self) -> None:
        n, m = len(self.gt_frame), len(self.tr_frame)
        gt = (self.gt_id, self.gt_box, self.gt_class, self.gt_conf, self.gt_visibility)
        if any(len(a) != n for a in gt):
            raise ValueError(f"sequence {self.name}: ground-truth columns differ in length")
        if any(len(a) != m for a in (self.tr_id, self.tr_box, self.tr_score)):
            raise ValueError(f"sequence {self.name}: tracker columns differ in length")
        for what, frames in (("ground truth", self.gt_frame), ("tracker output", self.tr_frame)):
            outside = frames[(frames < 1) | (frames > self.num_frames)]
            if len(outside):
                raise ValueError(
                    f"sequence {self.name}: {what} names frame {int(outside[0])}, outside "
                    f"1..{self.num_frames} (seqLength)"
                )
        invalid = np.setdiff1d(self.gt_class, list(MOT_CLASS_IDS.values()))
        if len(invalid):
            raise ValueError(
                f"sequence {self.name}: ground-truth class {int(invalid[0])} is not a MOT "
                f"Challenge class (1..{len(MOT_CLASS_IDS)})"
            )
        _check_unique(self.name, "ground truth", self.gt_frame, self.gt_id)
        _check_unique(self.name, "tracker output", self.tr_frame, self.tr_id)


def _check_unique(name: str, what: str, frames: np.ndarray, ids: np.ndarray) -> None:
    """An id names one box per frame: two would make the matching meaningless."""
    if len(frames) < 2:
        return
    pairs = np.stack([frames, ids], axis=1)
    unique, counts = np.unique(pairs, axis=0, return_counts=True)
    if counts.max() > 1:
        frame, track = unique[np.argmax(counts > 1)]
        raise ValueError(
            f"sequence {name}: {what} has id {int(track)} more than once in frame {int(frame)}"
        )
