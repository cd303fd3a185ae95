"""Evaluate trackers: CLEAR, Identity and HOTA per sequence and combined, as TrackEval's
``MotChallenge2DBox`` with its defaults (pedestrians, preprocessing on)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .clear import ClearMatches, clear_sequence, combine_clear, fragments_per_track
from .hota import combine_hota, hota_sequence
from .identity import combine_identity, identity_sequence
from .preprocess import PreparedSequence, prepare_sequence
from .report import (
    GT_MATCHED,
    GT_MISSED,
    GT_NOT_EVALUATED,
    TR_FALSE_POSITIVE,
    TR_IGNORED,
    TR_MATCHED,
    TRACK_MOSTLY_LOST,
    TRACK_MOSTLY_TRACKED,
    TRACK_PARTIALLY_TRACKED,
    SequenceDetails,
    TrackingReport,
)
from .sequences import SequenceData


def evaluate_tracking(sequences: Iterable[SequenceData]) -> TrackingReport:
    """Evaluate every sequence and combine them; sequence names must be distinct."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    details: dict[str, SequenceDetails] = {}
    for seq in sequences:
        if seq.name in results:
            raise ValueError(f"sequence {seq.name} is given twice")
        prepared = prepare_sequence(seq)
        clear, matches = clear_sequence(prepared)
        identity, assigned = identity_sequence(prepared)
        results[seq.name] = {"CLEAR": clear, "Identity": identity, "HOTA": hota_sequence(prepared)}
        details[seq.name] = sequence_details(seq, prepared, matches, assigned)
    if not results:
        raise ValueError("no sequence to evaluate")
    per_seq = list(results.values())
    combined = {
        "CLEAR": combine_clear([r["CLEAR"] for r in per_seq]),
        "Identity": combine_identity([r["Identity"] for r in per_seq]),
        "HOTA": combine_hota([r["HOTA"] for r in per_seq]),
    }
    return TrackingReport(results, combined, details)


def sequence_details(
    seq: SequenceData, prep: PreparedSequence, m: ClearMatches, assigned: np.ndarray
) -> SequenceDetails:
    """Per-frame, per-switch, per-track and per-row results of one sequence."""
    n = prep.num_frames
    tp = np.bincount(m.frame, minlength=n)
    gt_id = prep.gt_index[m.gt_row]
    tr_id = prep.tr_index[m.tr_row]
    switched = np.flatnonzero(m.switch)
    previous = _previous_tracker(gt_id, tr_id, switched)
    present = np.bincount(prep.gt_index, minlength=prep.num_gt_ids)
    matched = np.bincount(gt_id, minlength=prep.num_gt_ids)
    ratio = matched / np.maximum(present, 1)
    status = np.where(
        ratio > 0.8,
        TRACK_MOSTLY_TRACKED,
        np.where(ratio >= 0.2, TRACK_PARTIALLY_TRACKED, TRACK_MOSTLY_LOST),
    )
    gt_status = np.full(len(seq.gt_frame), GT_NOT_EVALUATED, dtype=np.int8)
    gt_status[prep.gt_row] = GT_MISSED
    gt_status[prep.gt_row[m.gt_row]] = GT_MATCHED
    tr_status = np.full(len(seq.tr_frame), TR_IGNORED, dtype=np.int8)
    tr_status[prep.tr_row] = TR_FALSE_POSITIVE
    tr_status[prep.tr_row[m.tr_row]] = TR_MATCHED
    gt_switched = np.zeros(len(seq.gt_frame), dtype=bool)
    gt_switched[prep.gt_row[m.gt_row[switched]]] = True
    tr_switched = np.zeros(len(seq.tr_frame), dtype=bool)
    tr_switched[prep.tr_row[m.tr_row[switched]]] = True
    return SequenceDetails(
        frame_fp=np.diff(prep.tr_start) - tp,
        frame_fn=np.diff(prep.gt_start) - tp,
        frame_switches=np.bincount(m.frame[switched], minlength=n),
        switch_frame=m.frame[switched] + 1,
        switch_gt_id=prep.gt_ids[gt_id[switched]],
        switch_from_id=prep.tr_ids[previous],
        switch_to_id=prep.tr_ids[tr_id[switched]],
        track_gt_id=prep.gt_ids,
        track_frames=present,
        track_matched=matched,
        track_status=status.astype(np.int8),
        track_switches=np.bincount(gt_id[switched], minlength=prep.num_gt_ids),
        track_fragments=fragments_per_track(prep, m),
        track_assigned_id=np.where(assigned >= 0, prep.tr_ids[np.maximum(assigned, 0)], -1)
        if prep.num_tr_ids
        else np.full(prep.num_gt_ids, -1),
        gt_status=gt_status,
        tr_status=tr_status,
        gt_switched=gt_switched,
        tr_switched=tr_switched,
    )


def _previous_tracker(gt: np.ndarray, tr: np.ndarray, switched: np.ndarray) -> np.ndarray:
    """For each switching match, the tracker index the identity had at its previous match."""
    order = np.argsort(gt, kind="stable")
    position = np.empty(len(gt), dtype=np.int64)
    position[order] = np.arange(len(gt))
    return np.asarray(tr[order][position[switched] - 1], dtype=np.int64)
