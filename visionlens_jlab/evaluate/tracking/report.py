"""The tracking report: TrackEval's fields per sequence and combined, the headline figures
under py-motmetrics' names, and per-frame / per-track / per-box arrays for filters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

HEADLINE = {
    "MOTA": ("CLEAR", "MOTA"),
    "MOTP": ("CLEAR", "MOTP"),
    "MODA": ("CLEAR", "MODA"),
    "sMOTA": ("CLEAR", "sMOTA"),
    "recall": ("CLEAR", "CLR_Re"),
    "precision": ("CLEAR", "CLR_Pr"),
    "num_matches": ("CLEAR", "CLR_TP"),
    "num_false_positives": ("CLEAR", "CLR_FP"),
    "num_misses": ("CLEAR", "CLR_FN"),
    "num_switches": ("CLEAR", "IDSW"),
    "num_fragmentations": ("CLEAR", "Frag"),
    "mostly_tracked": ("CLEAR", "MT"),
    "partially_tracked": ("CLEAR", "PT"),
    "mostly_lost": ("CLEAR", "ML"),
    "IDF1": ("Identity", "IDF1"),
    "IDP": ("Identity", "IDP"),
    "IDR": ("Identity", "IDR"),
    "IDTP": ("Identity", "IDTP"),
    "IDFP": ("Identity", "IDFP"),
    "IDFN": ("Identity", "IDFN"),
    "HOTA": ("HOTA", "HOTA"),
    "DetA": ("HOTA", "DetA"),
    "AssA": ("HOTA", "AssA"),
    "DetRe": ("HOTA", "DetRe"),
    "DetPr": ("HOTA", "DetPr"),
    "AssRe": ("HOTA", "AssRe"),
    "AssPr": ("HOTA", "AssPr"),
    "LocA": ("HOTA", "LocA"),
}
"""Headline name -> (TrackEval metric, field). HOTA's fields are the mean over the 19
alphas, as TrackEval summarises them. MOTP is TrackEval's: the mean IoU of the matches
(py-motmetrics' MOTP is a distance, 1 - IoU)."""

GT_NOT_EVALUATED, GT_MISSED, GT_MATCHED = -1, 0, 1
"""``SequenceDetails.gt_status`` per input ground-truth row."""
TR_FALSE_POSITIVE, TR_MATCHED, TR_IGNORED = 0, 1, 2
"""``SequenceDetails.tr_status`` per input tracker row (ignored: matched to a distractor)."""
TRACK_MOSTLY_LOST, TRACK_PARTIALLY_TRACKED, TRACK_MOSTLY_TRACKED = 0, 1, 2
"""``SequenceDetails.track_status``."""


@dataclass
class SequenceDetails:
    """Where one sequence's CLEAR errors are, as arrays (frames are MOT's 1-based numbers).

    Per frame (``num_frames`` long): ``frame_fp``, ``frame_fn``, ``frame_switches``.
    Per identity switch: ``switch_frame``, ``switch_gt_id``, ``switch_from_id`` (the tracker
    id that followed the ground truth before) and ``switch_to_id``.
    Per ground-truth track (``track_gt_id``): ``track_frames`` present, ``track_matched``,
    ``track_status`` (:data:`TRACK_MOSTLY_TRACKED` ...), ``track_switches``,
    ``track_fragments`` and ``track_assigned_id`` (Identity's tracker id; -1: none).
    Per input row: ``gt_status`` (:data:`GT_MATCHED` ...) and ``tr_status``, and
    ``gt_switched`` / ``tr_switched``: the row is one side of a match where the ground
    truth's identity switched.
    """

    frame_fp: np.ndarray
    frame_fn: np.ndarray
    frame_switches: np.ndarray
    switch_frame: np.ndarray
    switch_gt_id: np.ndarray
    switch_from_id: np.ndarray
    switch_to_id: np.ndarray
    track_gt_id: np.ndarray
    track_frames: np.ndarray
    track_matched: np.ndarray
    track_status: np.ndarray
    track_switches: np.ndarray
    track_fragments: np.ndarray
    track_assigned_id: np.ndarray
    gt_status: np.ndarray
    tr_status: np.ndarray
    gt_switched: np.ndarray
    tr_switched: np.ndarray


@dataclass
class TrackingReport:
    """TrackEval's results for every sequence (``sequences[name][metric][field]``) and over
    all of them (``combined``), with the per-sequence :class:`SequenceDetails`."""

    sequences: dict[str, dict[str, dict[str, Any]]]
    combined: dict[str, dict[str, Any]]
    details: dict[str, SequenceDetails] = field(default_factory=dict)

    def headline(self, name: str | None = None) -> dict[str, Any]:
        """The headline figures of one sequence, or combined when ``name`` is None."""
        metrics = self.combined if name is None else self.sequences[name]
        return {key: _number(metrics[m][f]) for key, (m, f) in HEADLINE.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: headline figures combined and per sequence, TrackEval's fields too
        (HOTA's per-alpha arrays as lists)."""
        return {
            "tracking": self.headline(),
            "sequences": {name: self.headline(name) for name in self.sequences},
            "trackeval": {
                "combined": _plain(self.combined),
                "sequences": {name: _plain(m) for name, m in self.sequences.items()},
            },
        }

    def summary_text(self) -> str:
        """A short table: one line per sequence and the combined line."""
        columns = {
            "HOTA": "HOTA",
            "MOTA": "MOTA",
            "IDF1": "IDF1",
            "num_switches": "IDSW",
            "num_false_positives": "FP",
            "num_misses": "FN",
        }
        keys = tuple(columns)
        lines = ["sequence".ljust(20) + "".join(c.rjust(10) for c in columns.values())]
        rows = [(name, self.headline(name)) for name in self.sequences]
        for name, values in [*rows, ("COMBINED", self.headline())]:
            cells = "".join(_cell(values[k]).rjust(10) for k in keys)
            lines.append(name[:20].ljust(20) + cells)
        return "\n".join(lines)


def _number(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.mean()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain(metrics: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        m: {f: v.tolist() if isinstance(v, np.ndarray) else _number(v) for f, v in fields.items()}
        for m, fields in metrics.items()
    }


def _cell(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
