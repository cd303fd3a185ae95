"""Where label-quality results live: per-object rows, per-image computed fields, the run.

The tables, their step and the fields are declared in the feature's manifest (:mod:`.manifest`).

* ``label_quality`` (migration step 11): one row per ground-truth and predicted object of
  the last run per (dataset, model): its four type scores, its most likely issue and that
  score, and whether it is flagged (score below its type's threshold).
* ``label_quality_runs`` (step 11): the last run's parameters and counts per model.
* Computed sample fields (``computed.lq_*``, no migration): the image score and the number of
  flagged objects per issue type, of the last run of any model (``params`` names it), so
  filters, facets and sort of the grid use them.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from ..catalog import NotFoundError
from ..catalog.extensions.computed import write_computed
from ..catalog.reads.result_basis import staleness
from .classification import SCORE_FIELD, stored_class_run
from .scores import ISSUES
from .semantic_masks import stored_semantic

if TYPE_CHECKING:
    from ..catalog import Catalog

OBJECTS_DDL = """
CREATE TABLE IF NOT EXISTS label_quality (
    dataset_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,          -- the prediction set the labels were scored against
    ann_id BIGINT NOT NULL,
    sample_id BIGINT NOT NULL,
    source VARCHAR NOT NULL,         -- 'ground_truth' or the model's name
    issue VARCHAR NOT NULL,          -- most likely issue: overlooked, swapped, ...
    score DOUBLE NOT NULL,           -- its score: lower = more likely wrong
    flagged BOOLEAN NOT NULL,        -- score below the issue's threshold
    overlooked DOUBLE, swapped DOUBLE, badly_located DOUBLE, spurious DOUBLE
)
"""
RUNS_DDL = """
CREATE TABLE IF NOT EXISTS label_quality_runs (
    dataset_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    summary JSON NOT NULL            -- thresholds, counts per issue, seconds
)
"""
FIELDS = {
    "lq_score": "label quality of the image against the last scored model (lower: worse)",
    **{
        f"lq_{name}": f"objects of the image flagged as {name.replace('_', ' ')}" for name in ISSUES
    },
}


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 11: the label-quality tables."""
    cur.execute(OBJECTS_DDL)
    cur.execute(RUNS_DDL)


def save(
    catalog: Catalog,
    dataset_id: int,
    model: str,
    objects: pa.Table,
    image_ids: np.ndarray,
    image_score: np.ndarray,
    image_counts: np.ndarray,
    summary: dict[str, Any],
) -> None:
    """Replace the model's rows and run, then the computed fields of every image.

    Two transactions (the computed fields have their own writer): the objects and the run
    first, so a failure in between leaves the run complete and the fields of the previous
    one, never half a table.
    """
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # no sample nor box changes
        for table in ("label_quality", "label_quality_runs"):
            cur.execute(
                f"DELETE FROM {table} WHERE dataset_id = ? AND model = ?",  # noqa: S608 - fixed names
                [dataset_id, model],
            )
        cur.register("_vl_label_quality", objects)
        try:
            cur.execute(
                "INSERT INTO label_quality SELECT ?, ?, annotation_id, sample_id, source, issue, score, "
                "flagged, overlooked, swapped, badly_located, spurious FROM _vl_label_quality",
                [dataset_id, model],
            )
        finally:
            cur.unregister("_vl_label_quality")
        cur.execute(
            "INSERT INTO label_quality_runs VALUES (?, ?, ?, ?)",
            [dataset_id, model, created, json.dumps(summary)],
        )
    fields: dict[str, tuple[np.ndarray, np.ndarray | list[str]]] = {
        "lq_score": (image_ids, image_score)
    }
    for k, name in enumerate(ISSUES):
        fields[f"lq_{name}"] = (image_ids, image_counts[:, k].astype(float))
    params = json.dumps({"model": model, "thresholds": summary["thresholds"]})
    write_computed(catalog, dataset_id, fields, producer="label_quality", params=params)


def stored(catalog: Catalog, dataset: str, model: str) -> dict[str, Any]:
    """The last stored result of ``model`` on ``dataset`` as the CLI prints it
    (``{"model", "boxes", "images", "summary", "created_at"}`` and whether it is ``stale``:
    samples or the ground truth's or the model's labels changed since, see
    :mod:`~..catalog.reads.result_basis`); NotFoundError if none. The rows of deleted
    samples went with them, so none is served."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        run = cur.execute(
            "SELECT summary, created_at FROM label_quality_runs WHERE dataset_id = ? AND model = ?",
            [dataset_id, model],
        ).fetchall()
        if not run and (found := stored_class(catalog, dataset_id, model)) is not None:
            return found
        if not run and (found := stored_semantic(catalog, dataset_id, model)) is not None:
            return found
        if not run:
            raise NotFoundError(
                f"no label quality of {dataset!r} against {model!r} yet: POST this path, or "
                f"run `visionlens label-quality {dataset} --model {model}`"
            )
        boxes = cur.sql(
            "SELECT ann_id AS annotation_id, sample_id, source, issue, score FROM label_quality "
            "WHERE dataset_id = ? AND model = ? ORDER BY score, ann_id",
            params=[dataset_id, model],
        ).to_arrow_table()
        images = cur.sql(
            "SELECT v.sample_id, v.num AS score FROM computed_values v "
            "WHERE v.dataset_id = ? AND v.field = 'lq_score' ORDER BY v.num, v.sample_id",
            params=[dataset_id],
        ).to_arrow_table()
        summary = json.loads(run[0][0])
        stale = staleness(cur, dataset_id, summary.pop("basis", None), run[0][1])
    if summary.get("model") != model or not _fields_of(catalog, dataset_id, model):
        images = images.slice(0, 0)  # the fields were overwritten by another model's run
    return {
        "model": model,
        "boxes": boxes.to_pylist(),
        "images": images.to_pylist(),
        "summary": summary,
        "created_at": run[0][1].isoformat(),
        **stale,
    }


def stored_class(catalog: Catalog, dataset_id: int, model: str) -> dict[str, Any] | None:
    """The last classification run's result in :func:`stored`'s shape (no boxes; the images'
    self-confidence, worst first), when it was ``model``'s; else None."""
    run = stored_class_run(catalog, dataset_id)
    if run is None or run.get("model") != model:
        return None
    with catalog.cursor() as cur:
        images = cur.sql(
            "SELECT sample_id, num AS score FROM computed_values WHERE dataset_id = ? "
            "AND field = ? ORDER BY num, sample_id",
            params=[dataset_id, SCORE_FIELD],
        ).to_arrow_table()
        created = run.pop("created_at")
        stale = staleness(cur, dataset_id, run.pop("basis", None), datetime.fromisoformat(created))
    return {"model": model, "boxes": [], "images": images.to_pylist(), "summary": run,
            "created_at": created, **stale}  # fmt: skip


def _fields_of(catalog: Catalog, dataset_id: int, model: str) -> bool:
    """Whether the dataset's ``lq_*`` fields come from ``model``'s run."""
    with catalog.cursor() as cur:
        row = cur.execute(
            "SELECT params FROM computed_fields WHERE dataset_id = ? AND field = 'lq_score'",
            [dataset_id],
        ).fetchall()
    return bool(row) and json.loads(row[0][0]).get("model") == model
