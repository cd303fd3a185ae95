"""A batch's image-label operations (``classify``, ``unclassify``) as one change of rows.

The operations apply in order to the samples' ground-truth image labels read once (later
operations see earlier ones); the change is, per sample whose labels end other than they
began, its rows before the batch and after it
(:data:`~..catalog.tables.classification_log.CLASSIFICATION_CHANGES`), which the engine
checks again, writes and logs in its transaction (:mod:`.engine`).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from ..catalog import GROUND_TRUTH
from ..catalog.tables.classification_log import CLASSIFICATION_CHANGES
from ..catalog.writes.classification_edits import Rows, labels_of, read_classifications
from .errors import EditError, ImageLabelConflict
from .operations import IMAGE_LABEL_OPS, Operation


def classification_changes(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ops: Sequence[Operation]
) -> pa.Table:
    """The change the image-label operations of ``ops`` make (the first problem raises:
    an unknown sample, a label the sample lacks, a conflict with ``expected``)."""
    image_ops = [op for op in ops if op.op in IMAGE_LABEL_OPS]
    if not image_ops:
        return CLASSIFICATION_CHANGES.empty_table()
    ids = sorted({int(op.sample_id or 0) for op in image_ops})
    present = {
        int(r[0])
        for r in cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? "
            "AND list_contains(?::BIGINT[], sample_id)",
            [dataset_id, ids],
        ).fetchall()
    }
    for op in image_ops:
        if op.sample_id not in present:
            raise EditError(f"{op.op}: no sample {op.sample_id} in this dataset", op.index)
    first = read_classifications(cur, dataset_id, ((i, GROUND_TRUTH) for i in ids))
    states = dict(first)
    for op in image_ops:
        key = (int(op.sample_id or 0), GROUND_TRUTH)
        states[key] = _applied(op, states[key])
    changed = [key for key in sorted(states) if labels_of(states[key]) != labels_of(first[key])]
    return pa.table(
        {
            "sample_id": [k[0] for k in changed],
            "source": [k[1] for k in changed],
            "rows_before": [first[k] for k in changed],
            "rows_after": [states[k] for k in changed],
        },
        schema=CLASSIFICATION_CHANGES,
    )


def _applied(op: Operation, rows: Rows) -> Rows:
    """The rows after ``op`` (checked against its ``expected`` first)."""
    labels = labels_of(rows) or []
    if op.expected is not None and labels != op.expected["labels"]:
        raise ImageLabelConflict(int(op.sample_id or 0), GROUND_TRUTH, labels, op.index)
    if op.op == "classify":
        kept = {r["label"]: r for r in rows}  # a label kept keeps its row
        return [kept.get(label, {"label": label, "score": None, "scores": None})
                for label in op.labels or ()]  # fmt: skip
    if op.label is not None:
        if op.label not in labels:
            raise EditError(
                f"unclassify: sample {op.sample_id} has no image label {op.label!r} "
                f"(its labels: {labels})",
                op.index,
            )
        return [r for r in rows if r["label"] != op.label]
    if not labels:
        raise EditError(f"unclassify: sample {op.sample_id} has no image labels", op.index)
    return []
