"""The last duplicates result of each dataset, and the computed fields it writes (both
declared in the feature's manifest, :mod:`.manifest`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..catalog.extensions.computed import CATEGORICAL, NUMERIC
from ..catalog.reads.result_basis import present_ids, staleness

if TYPE_CHECKING:
    from ..catalog import Catalog

RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS duplicate_results (
    dataset_id INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    result JSON NOT NULL            -- what POST .../duplicates returned (groups, pairs, leaks)
)
"""

FIELDS = {
    "dup_group": (
        CATEGORICAL,
        "the smallest sample id of the sample's duplicate group (unset: no duplicate)",
    ),
    "dup_count": (NUMERIC, "how many other samples are duplicates of this one (its group)"),
    "nearest_similarity": (NUMERIC, "cosine similarity to the most similar other sample"),
    "uniqueness": (NUMERIC, "1 - nearest_similarity, clipped to [0, 1]"),
}


def save_result(
    catalog: Catalog, dataset_id: int, result: dict[str, Any], basis: dict[str, Any]
) -> None:
    """Replace the dataset's stored result; ``basis`` is what it was computed over
    (:func:`~..catalog.reads.result_basis.basis`, kept beside it, never answered)."""
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute("DELETE FROM duplicate_results WHERE dataset_id = ?", [dataset_id])
        cur.execute(
            "INSERT INTO duplicate_results VALUES (?, ?, ?)",
            [dataset_id, created, json.dumps({**result, "basis": basis})],
        )


def last_result(catalog: Catalog, dataset: str) -> dict[str, Any] | None:
    """The dataset's last duplicates result, with ``created_at`` and whether it is ``stale``
    (samples deleted, restored or added since: :mod:`~..catalog.reads.result_basis`); None
    while none was computed (NotFoundError: no such dataset).

    Samples deleted since are left out of the groups, pairs and leaks (a group left with
    one sample is no group), ``deleted_members`` says how many were; the counts stay those
    computed."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            "SELECT result, created_at FROM duplicate_results WHERE dataset_id = ?",
            [dataset_id],
        ).fetchone()
        if row is None:
            return None
        out: dict[str, Any] = json.loads(row[0])
        out.update(staleness(cur, dataset_id, out.pop("basis", None), row[1]))
        named = [s for g in out["groups"] for s in g]
        named += [r[k] for r in out.get("pair_list", []) for k in ("sample_id", "duplicate_id")]
        named += [r[k] for r in out.get("leaks", []) for k in ("sample_id", "duplicate_id")]
        present = present_ids(cur, dataset_id, named)
    out["created_at"] = row[1].isoformat()
    out["deleted_members"] = len(set(named) - present)
    if out["deleted_members"]:
        groups = ([s for s in g if s in present] for g in out["groups"])
        out["groups"] = [g for g in groups if len(g) > 1]
        for key in ("pair_list", "leaks"):
            if key in out:
                out[key] = [
                    r
                    for r in out[key]
                    if r["sample_id"] in present and r["duplicate_id"] in present
                ]
    return out
