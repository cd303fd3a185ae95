"""The samples of a view deleted as ONE batch of the edit log (``visionlens delete-samples
NAME --filter ... --yes``): every row of theirs in every table and their vectors in every
vector space go, all or nothing, and ``visionlens undo`` puts back exactly what went
(:mod:`..edits.sample_deletes`). The evaluations of the dataset list themselves ``stale``
until run again (their summaries counted the deleted samples).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog
from ..catalog.reads.queries import sample_ids
from ..edits import EditError, delete_samples
from ..edits.sample_deletes import Vectors


def view_counts(catalog: Catalog, dataset: str, chosen: np.ndarray) -> dict[str, int]:
    """How many samples and labels (objects and image-level labels of every source) go
    with the samples ``chosen``: what a confirmation shows."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        cur.register("_vl_chosen", pa.table({"sample_id": pa.array(chosen, pa.int64())}))
        try:
            ((labels,),) = cur.execute(
                """
                SELECT (SELECT COUNT(*) FROM annotations WHERE dataset_id = $ds
                        AND sample_id IN (SELECT sample_id FROM _vl_chosen))
                     + (SELECT COUNT(*) FROM classifications WHERE dataset_id = $ds
                        AND sample_id IN (SELECT sample_id FROM _vl_chosen))
                """,
                {"ds": dataset_id},
            ).fetchall()
        finally:
            cur.unregister("_vl_chosen")
    return {"samples": len(chosen), "labels": int(labels)}


def delete_view_samples(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    user: str,
    *,
    vectors: Vectors = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Delete the samples matching ``spec`` (a samples filter) as one batch by ``user``;
    ``vectors`` opens the vector store (needed when the dataset has embeddings). Returns
    the batch's answer (:func:`~..edits.delete_samples`: ``samples``, ``labels``,
    ``vectors``, ``batch``...). ``dry_run``: only ``{samples, labels, dry_run}``, what a
    confirmation shows; nothing is written."""
    chosen = np.asarray(sample_ids(catalog, dataset, spec).to_numpy(), dtype=np.int64)
    if dry_run:
        return {**view_counts(catalog, dataset, chosen), "dry_run": True}
    if not len(chosen):
        raise EditError("the view has no samples: nothing to delete")
    return delete_samples(catalog, dataset, chosen, user, vectors)
