"""The catalog's record of vector spaces per dataset: what made them, and whether complete.

A row is written when an embedding job ends (done or cancelled), in one transaction, after
its vectors: a job killed mid-way leaves vectors in the store but no row, so no half-written
space is visible; the next run embeds only the samples without a vector and writes the row.
Vectors are upserted by sample id, so re-sending a batch after a crash is harmless. Rows go
with their dataset (a table of schema 1, declared in the embeddings' catalog manifest,
:mod:`.manifest`).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..vectors import VectorStore

SPACES_DDL = """
CREATE TABLE IF NOT EXISTS vector_spaces (
    dataset_id INTEGER NOT NULL,
    space VARCHAR NOT NULL,          -- the vector store's space name (model + version)
    model VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    dim INTEGER NOT NULL,
    preprocessing VARCHAR NOT NULL,
    info JSON NOT NULL,              -- device, dtype, failures of the last run
    count BIGINT NOT NULL,           -- vectors of this dataset in the space at the last run
    complete BOOLEAN NOT NULL,       -- every sample had a vector (or an unreadable image)
    updated_at TIMESTAMP NOT NULL
)
"""


def record_space(
    catalog: Catalog,
    dataset_id: int,
    *,
    space: str,
    model: str,
    version: str,
    dim: int,
    preprocessing: str,
    count: int,
    complete: bool,
    info: dict[str, Any],
) -> None:
    """Write (replace) the row of ``(dataset, space)``: the last step of an embedding job."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute(
            "DELETE FROM vector_spaces WHERE dataset_id = ? AND space = ?", [dataset_id, space]
        )
        cur.execute(
            "INSERT INTO vector_spaces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                dataset_id,
                space,
                model,
                version,
                dim,
                preprocessing,
                json.dumps(info),
                count,
                complete,
                now,
            ],
        )


def recorded_spaces(catalog: Catalog, dataset_id: int | None = None) -> list[dict[str, Any]]:
    """The recorded rows (of one dataset, or all), ordered by dataset and space."""
    sql = (
        "SELECT dataset_id, space, model, version, dim, preprocessing, info, count, complete, "
        "updated_at FROM vector_spaces"
    )
    params: list[Any] = []
    if dataset_id is not None:
        sql += " WHERE dataset_id = ?"
        params.append(dataset_id)
    with catalog.cursor() as cur:
        rows = cur.execute(sql + " ORDER BY dataset_id, space", params).fetchall()
    return [
        {
            "dataset_id": int(r[0]),
            "space": r[1],
            "model": r[2],
            "version": r[3],
            "dim": int(r[4]),
            "preprocessing": r[5],
            "info": json.loads(r[6]),
            "count": int(r[7]),
            "complete": bool(r[8]),
            "updated_at": r[9].isoformat(),
        }
        for r in rows
    ]


def sample_count(cur: Any, dataset_id: int) -> int:
    """How many samples the dataset has (a space holding that many vectors is complete)."""
    ((count,),) = cur.execute(
        "SELECT count(*) FROM samples WHERE dataset_id = ?", [dataset_id]
    ).fetchall()
    return int(count)


def dataset_spaces(
    catalog: Catalog, store: VectorStore | None, dataset: str
) -> list[dict[str, Any]]:
    """``[{space, model, version, dim, count, complete, preprocessing}]`` of a dataset.

    ``count`` is read from the store now; ``complete`` holds only if the last run finished
    and every sample still has a vector (samples added since make it false).
    """
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        num_samples = sample_count(cur, dataset_id)
    out = []
    for row in recorded_spaces(catalog, dataset_id):
        count = row["count"]
        if store is not None:
            try:
                count = store.count(row["space"], dataset_id)
            except Exception:  # space gone from the store: reconcile drops the row
                count = 0
        failed = int(row["info"].get("failed", 0))
        out.append(
            {
                "space": row["space"],
                "model": row["model"],
                "version": row["version"],
                "dim": row["dim"],
                "preprocessing": row["preprocessing"],
                "count": count,
                "complete": bool(row["complete"]) and count + failed >= num_samples,
                "updated_at": row["updated_at"],
            }
        )
    return out


def reconcile_spaces(catalog: Catalog, store: VectorStore) -> dict[str, Any]:
    """The catalog side of reconcile: drop rows whose space is gone from the store, and
    refresh every row's count and ``complete`` from the store."""
    existing = {info.name for info in store.spaces()}
    dropped: list[dict[str, Any]] = []
    refreshed = 0
    for row in recorded_spaces(catalog):
        if row["space"] not in existing:
            with catalog.write(row["dataset_id"], keeps_derived=True) as cur:
                cur.execute(
                    "DELETE FROM vector_spaces WHERE dataset_id = ? AND space = ?",
                    [row["dataset_id"], row["space"]],
                )
            dropped.append({"dataset_id": row["dataset_id"], "space": row["space"]})
            continue
        count = store.count(row["space"], row["dataset_id"])
        with catalog.cursor() as cur:
            num = int(
                cur.execute(
                    "SELECT count(*) FROM samples WHERE dataset_id = ?", [row["dataset_id"]]
                ).fetchall()[0][0]
            )
        complete = count + int(row["info"].get("failed", 0)) >= num and row["complete"]
        if count != row["count"] or complete != row["complete"]:
            with catalog.write(row["dataset_id"], keeps_derived=True) as cur:
                cur.execute(
                    "UPDATE vector_spaces SET count = ?, complete = ? "
                    "WHERE dataset_id = ? AND space = ?",
                    [count, complete, row["dataset_id"], row["space"]],
                )
            refreshed += 1
    return {"rows_dropped": dropped, "rows_refreshed": refreshed}


def reconcile_all(catalog: Catalog, store: VectorStore, *, dry_run: bool = False) -> dict[str, Any]:
    """Repair drift both ways: vectors without a catalog sample are deleted
    (:func:`visionlens_jlab.vectors.reconcile`), space rows without a store space are dropped
    and the others' counts refreshed; samples without vectors are reported per space."""
    from ..vectors import reconcile

    report = reconcile(catalog, store, dry_run=dry_run).to_json()
    report["space_rows"] = (
        {"rows_dropped": [], "rows_refreshed": 0} if dry_run else reconcile_spaces(catalog, store)
    )
    return report
