"""The operation log as rows: what the REST API lists and ``ds.edit_log()`` shows.

One row per logged operation in ``seq`` order, the objects' (``edit_ops``), the sample
tags' (``sample_tag_ops``, :mod:`..catalog.tables.sample_tag_log`) and the image labels'
(``classification_ops``, :mod:`..catalog.tables.classification_log`) together: a batch that
tags samples lists its samples as rows of op :data:`SAMPLE_TAGS_OP`, one that changes image
labels as rows of op :data:`IMAGE_LABELS_OP`.
"""

from __future__ import annotations

import json
from typing import Any

from ..catalog import Catalog
from .errors import EditError, public_state
from .log_stacks import stacks

MAX_LOG_ROWS = 100_000

SAMPLE_TAGS_OP = "sample_tags"
"""The op of a row that changed a whole sample's tags (no object: ``annotation_id`` and
``source`` null; ``before`` / ``after``: ``{sample_id, tags}``)."""

IMAGE_LABELS_OP = "image_labels"
"""The op of a row that changed a sample's image labels of one source (``annotation_id``
null; ``before`` / ``after``: ``{sample_id, source, labels}``, the labels sorted)."""


def edit_log(
    catalog: Catalog, dataset: str, limit: int = 1000, before_seq: int | None = None
) -> dict[str, Any]:
    """The dataset's last ``limit`` operations, newest first (``before_seq``: only those
    older than it, to page back), each with its batch, kind, user, time and the object's
    state (or the sample's tags) before and after; plus ``undo`` / ``redo``: the batches
    they would invert."""
    if not 1 <= limit <= MAX_LOG_ROWS:
        raise EditError(f"limit must be from 1 to {MAX_LOG_ROWS}, got {limit}")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        # both tables number their rows from one counter: a seq names one row of the two
        rows = cur.execute(
            """
            SELECT o.seq, o.batch_id, b.kind, b.target, o.op, o.ann_id, o.sample_id, o.source,
                   o.before, o.after, o.tags_before, o.tags_after,
                   COALESCE(o.created_at, b.created_at), COALESCE(o.user_name, b.user_name)
            FROM (
                SELECT seq, batch_id, op, ann_id, sample_id, source, before, after,
                       NULL::VARCHAR[] AS tags_before, NULL::VARCHAR[] AS tags_after,
                       created_at, user_name
                FROM edit_ops WHERE dataset_id = $1 AND seq < $2
                UNION ALL
                SELECT seq, batch_id, $4, NULL, sample_id, NULL, NULL, NULL,
                       tags_before, tags_after, NULL, NULL
                FROM sample_tag_ops WHERE dataset_id = $1 AND seq < $2
                UNION ALL
                SELECT seq, batch_id, $5, NULL, sample_id, source, NULL, NULL,
                       list_sort(list_transform(rows_before, lambda r: r.label)),
                       list_sort(list_transform(rows_after, lambda r: r.label)), NULL, NULL
                FROM classification_ops WHERE dataset_id = $1 AND seq < $2
            ) o JOIN edit_batches b ON b.dataset_id = $1 AND b.batch_id = o.batch_id
            ORDER BY o.seq DESC LIMIT $3
            """,
            [
                dataset_id,
                before_seq if before_seq is not None else 2**62,
                limit,
                SAMPLE_TAGS_OP,
                IMAGE_LABELS_OP,
            ],
        ).fetchall()
        undoable, redoable = stacks(cur, dataset_id)
    operations = [_operation(r) for r in rows]
    return {
        "operations": operations,
        "undo": undoable[-1] if undoable else None,
        "redo": redoable[-1] if redoable else None,
    }


def _operation(r: tuple[Any, ...]) -> dict[str, Any]:
    """One row of the log as the API lists it."""
    sample_id = int(r[6])
    if r[4] == SAMPLE_TAGS_OP:
        before: Any = {"sample_id": sample_id, "tags": list(r[10])}
        after: Any = {"sample_id": sample_id, "tags": list(r[11])}
    elif r[4] == IMAGE_LABELS_OP:
        before = {"sample_id": sample_id, "source": r[7], "labels": list(r[10])}
        after = {"sample_id": sample_id, "source": r[7], "labels": list(r[11])}
    else:
        before = public_state(json.loads(r[8]) if r[8] else None)
        after = public_state(json.loads(r[9]) if r[9] else None)
    return {
        "seq": int(r[0]),
        "batch": int(r[1]),
        "kind": r[2],
        "target": r[3],
        "op": r[4],
        "annotation_id": None if r[5] is None else int(r[5]),
        "sample_id": sample_id,
        "source": r[7],
        "before": before,
        "after": after,
        "created_at": r[12].isoformat(),
        "user": r[13],
    }
