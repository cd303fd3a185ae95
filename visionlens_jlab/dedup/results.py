"""The last duplicates result of each dataset, and the computed fields it writes (both
declared in the feature's manifest, :mod:`.manifest`)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..catalog.extensions.computed import CATEGORICAL, NUMERIC

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


def save_result(catalog: Catalog, dataset_id: int, result: dict[str, Any]) -> None:
    """Replace the dataset's stored result."""
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute("DELETE FROM duplicate_results WHERE dataset_id = ?", [dataset_id])
        cur.execute(
            "INSERT INTO duplicate_results VALUES (?, ?, ?)",
            [dataset_id, created, json.dumps(result)],
        )


def last_result(catalog: Catalog, dataset: str) -> dict[str, Any] | None:
    """The dataset's last duplicates result, with ``created_at``; None while none was computed
    (NotFoundError: no such dataset)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            "SELECT result, created_at FROM duplicate_results WHERE dataset_id = ?",
            [dataset_id],
        ).fetchone()
    if row is None:
        return None
    out: dict[str, Any] = json.loads(row[0])
    out["created_at"] = row[1].isoformat()
    return out
