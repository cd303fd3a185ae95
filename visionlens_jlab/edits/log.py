"""The operation log as rows: what the REST API lists and ``ds.edit_log()`` shows."""

from __future__ import annotations

import json
from typing import Any

from ..catalog import Catalog
from .engine import stacks
from .errors import EditError, public_state

MAX_LOG_ROWS = 100_000


def edit_log(
    catalog: Catalog, dataset: str, limit: int = 1000, before_seq: int | None = None
) -> dict[str, Any]:
    """The dataset's last ``limit`` operations, newest first (``before_seq``: only those
    older than it, to page back), each with its batch, kind, user, time and the object's
    state before and after; plus ``undo`` / ``redo``: the batches they would invert."""
    if not 1 <= limit <= MAX_LOG_ROWS:
        raise EditError(f"limit must be from 1 to {MAX_LOG_ROWS}, got {limit}")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            """
            SELECT o.seq, o.batch_id, b.kind, b.target, o.op, o.ann_id, o.sample_id, o.source,
                   o.before, o.after, o.created_at, o.user_name
            FROM edit_ops o JOIN edit_batches b
              ON b.dataset_id = o.dataset_id AND b.batch_id = o.batch_id
            WHERE o.dataset_id = ? AND o.seq < ?
            ORDER BY o.seq DESC LIMIT ?
            """,
            [dataset_id, before_seq if before_seq is not None else 2**62, limit],
        ).fetchall()
        undoable, redoable = stacks(cur, dataset_id)
    operations = [
        {
            "seq": int(r[0]),
            "batch": int(r[1]),
            "kind": r[2],
            "target": r[3],
            "op": r[4],
            "annotation_id": int(r[5]),
            "sample_id": int(r[6]),
            "source": r[7],
            "before": public_state(json.loads(r[8]) if r[8] else None),
            "after": public_state(json.loads(r[9]) if r[9] else None),
            "created_at": r[10].isoformat(),
            "user": r[11],
        }
        for r in rows
    ]
    return {
        "operations": operations,
        "undo": undoable[-1] if undoable else None,
        "redo": redoable[-1] if redoable else None,
    }
