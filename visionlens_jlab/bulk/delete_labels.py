"""The labels of one source on a view's samples deleted as ONE batch of the edit log
(``visionlens delete NAME --filter ... --labels SOURCE``).

It is an ordinary edit (a bulk ``delete`` operation over every object of ``source`` on the
chosen samples): all or nothing in one transaction, undoable (``visionlens undo``),
recorded in the versions, and the evaluations comparing that source list themselves
``stale`` (``edited_since``) until run again, as after any edit. Image-level labels are not
objects of the log: they stay.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..catalog import Catalog
from ..catalog.reads.queries import sample_ids
from ..edits import EditError, apply_edits


def view_objects(
    catalog: Catalog, dataset: str, spec: dict[str, Any] | None, source: str
) -> list[int]:
    """The ids of the objects of ``source`` on the samples matching ``spec``."""
    chosen = sample_ids(catalog, dataset, spec)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        cur.register("_vl_chosen", pa.table({"sample_id": chosen}))
        try:
            rows = cur.execute(
                "SELECT ann_id FROM annotations WHERE dataset_id = ? AND source = ? "
                "AND sample_id IN (SELECT sample_id FROM _vl_chosen) ORDER BY ann_id",
                [dataset_id, source],
            ).fetchall()
        finally:
            cur.unregister("_vl_chosen")
    return [int(r[0]) for r in rows]


def delete_view_labels(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    source: str,
    user: str,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Delete every object of ``source`` on the samples matching ``spec`` as one batch by
    ``user``; returns the batch's answer (:func:`~..edits.apply_edits`) and ``deleted``.
    An object changed meanwhile is a conflict and nothing is written. ``dry_run``: only
    ``{deleted, source, dry_run}``, what a confirmation shows; nothing is written."""
    objects = view_objects(catalog, dataset, spec, source)
    if dry_run:
        return {"deleted": len(objects), "source": source, "dry_run": True}
    if not objects:
        raise EditError(f"the view has no labels of {source!r}: nothing to delete")
    answer = apply_edits(catalog, dataset, [{"op": "delete", "annotation_ids": objects}], user)
    return {**answer, "deleted": len(objects), "source": source}
