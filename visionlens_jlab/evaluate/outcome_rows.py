"""The per-box rows an evaluation stores (``box_evaluations``' columns after ``eval_key``,
and each object's TIDE error), from its outcomes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .analysis import ERROR_NAMES, STATUS_NAMES, BoxOutcomes
from .boxes import Boxes
from .code_names import names_of
from .load import EvalInput
from .tide_rows import tide_column


def outcome_table(inp: EvalInput, out: BoxOutcomes) -> pa.Table:
    """The per-box rows to store (ground truth first, then predictions)."""
    gt, dt = inp.gt, inp.dt
    classes = list(inp.classes)

    def other_ids(index: np.ndarray, boxes: Boxes) -> pa.Array:
        ids = np.where(index >= 0, boxes.ann_id[np.maximum(index, 0)] if len(boxes) else 0, 0)
        return pa.array(ids, pa.int64(), mask=index < 0)

    gt_rows = {
        "ann_id": pa.array(gt.ann_id, pa.int64()),
        "sample_id": pa.array(inp.gt_sample, pa.int64()),
        "status": names_of(out.gt_status, STATUS_NAMES),
        "matched_ann_id": other_ids(out.gt_other, dt),
        "iou": pa.array(out.gt_iou, pa.float64(), mask=out.gt_other < 0),
        "error_type": names_of(np.full(len(gt), -1), ERROR_NAMES),
        "confused_with": names_of(out.gt_confused, classes),
    }
    has_iou = (out.dt_other >= 0) | (out.dt_iou > 0)
    dt_rows = {
        "ann_id": pa.array(dt.ann_id, pa.int64()),
        "sample_id": pa.array(inp.dt_sample, pa.int64()),
        "status": names_of(out.dt_status, STATUS_NAMES),
        "matched_ann_id": other_ids(out.dt_other, gt),
        "iou": pa.array(out.dt_iou, pa.float64(), mask=~has_iou),
        "error_type": names_of(out.dt_error, ERROR_NAMES),
        "confused_with": names_of(out.dt_confused, classes),
    }
    rows = pa.concat_tables([pa.table(gt_rows), pa.table(dt_rows)])
    return rows.append_column("tide_error", tide_column(out.tide, len(gt), len(dt)))
