"""The writer of a model run: predictions that a job computes here, appended as it goes.

An imported prediction set is written in one transaction
(:func:`~visionlens_jlab.catalog.writes.dataset_writer.write_predictions`). A model run on the dataset's own images takes
minutes to hours, so its rows are appended in chunks (:func:`append_model_predictions`),
each one transaction with its ``models`` row and the derived structures, and a cancelled or
killed run resumes where it stopped: :func:`model_run_state` says which samples a run with
the same parameters already did. The rows are those of an imported set (``annotations``
with ``source`` = the model name, or ``classifications``), so evaluation, blind spots and
label quality read them the same way; the ``models`` row's ``format`` is
:data:`MODEL_RUN_FORMAT` and its report keeps the run's parameters. The samples a run
processed without a prediction (those have no row to show that they were done) are rows of
``model_run_empty_samples`` (schema step 12; before it, an id list in the report JSON,
rewritten whole by every chunk), declared with its step by the model runs' manifest
(:mod:`.manifest`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..catalog.base.errors import CatalogError
from ..catalog.derived import Change, Kind, apply_change
from ..catalog.reads.model_kinds import OBJECTS
from ..catalog.store.catalog import Catalog, validate_name
from ..catalog.store.schema import GROUND_TRUTH
from ..catalog.writes.model_rows import record_model

MODEL_RUN_FORMAT = "model-run"
"""The ``models.format`` of predictions computed by a model job."""

BOX_COLUMNS = ("sample_id", "label", "x", "y", "w", "h", "score")
"""A chunk of boxes: absolute pixels of the stored image size, top-left corner and size."""
MASK_COLUMNS = ("segmentation", "mask_area", "source_ann_id")
"""Columns a chunk of boxes may add: the mask (JSON text: COCO RLE), its pixel area, and
the object it was made from (the box-to-mask job, :mod:`visionlens_jlab.segment.box_job`)."""
CLASSIFICATION_COLUMNS = ("sample_id", "label", "score", "scores")
"""A chunk of image labels: ``scores`` is JSON text ``{class: score}`` or null."""


EMPTY_SAMPLES_DDL = """
CREATE TABLE IF NOT EXISTS model_run_empty_samples (
    dataset_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,          -- the run's name (models.name)
    sample_id BIGINT NOT NULL        -- processed by the run, no prediction
)
"""


def move_resume_lists(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 12: the model runs' ``run.empty_sample_ids`` report lists become rows
    of ``model_run_empty_samples`` and leave the report."""
    cur.execute(EMPTY_SAMPLES_DDL)
    runs = cur.execute(
        "SELECT dataset_id, name, report FROM models WHERE format = ?", [MODEL_RUN_FORMAT]
    ).fetchall()
    for dataset_id, model, text in runs:
        report = json.loads(text)
        empty = report.get("run", {}).pop("empty_sample_ids", [])
        if empty:
            cur.executemany(
                "INSERT INTO model_run_empty_samples VALUES (?, ?, ?)",
                [[dataset_id, model, int(sample_id)] for sample_id in sorted(set(empty))],
            )
        cur.execute(
            "UPDATE models SET report = ? WHERE dataset_id = ? AND name = ?",
            [json.dumps(report), dataset_id, model],
        )


@dataclass
class ModelRunState:
    """What a model (by name) already has on a dataset."""

    dataset_id: int
    exists: bool = False
    params: dict[str, Any] | None = None
    done: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Sample ids a run with :attr:`params` processed (with or without a prediction)."""


def _check_name(model: str) -> None:
    validate_name(model, "model")
    if model in (GROUND_TRUTH, "predictions"):
        raise CatalogError(f"{model!r} is reserved; choose another model name")


def model_run_state(catalog: Catalog, dataset: str, model: str) -> ModelRunState:
    """The run state of ``model`` on ``dataset``; :class:`CatalogError` when ``model`` names
    predictions that were imported (a run would replace them: the user picks another name)."""
    _check_name(model)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        found = cur.execute(
            "SELECT format, report FROM models WHERE dataset_id = ? AND name = ?",
            [dataset_id, model],
        ).fetchall()
        if not found:
            return ModelRunState(dataset_id)
        row = found[0]
        if row[0] != MODEL_RUN_FORMAT:
            raise CatalogError(
                f"{dataset!r} already has imported predictions named {model!r}; give the run "
                "another name (--name) or delete them first"
            )
        report = json.loads(row[1])
        done = cur.execute(
            "SELECT DISTINCT sample_id FROM annotations WHERE dataset_id = ? AND source = ? "
            "UNION SELECT DISTINCT sample_id FROM classifications "
            "WHERE dataset_id = ? AND source = ? "
            "UNION SELECT sample_id FROM model_run_empty_samples "
            "WHERE dataset_id = ? AND model = ?",
            [dataset_id, model] * 3,
        ).fetchnumpy()["sample_id"]
    ids = np.unique(np.asarray(done, np.int64))
    return ModelRunState(dataset_id, True, report.get("run", {}).get("params"), ids)


def start_model_run(
    catalog: Catalog, dataset_id: int, model: str, source: str, params: dict[str, Any]
) -> None:
    """Begin a run of ``model`` from nothing: its previous rows (a run with other
    parameters) go, and an empty ``models`` row with ``params`` takes their place."""
    _check_name(model)
    with catalog.write(dataset_id) as cur:
        for labels in ("annotations", "classifications"):
            cur.execute(
                f"DELETE FROM {labels} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
                [dataset_id, model],
            )
        cur.execute(
            "DELETE FROM model_run_empty_samples WHERE dataset_id = ? AND model = ?",
            [dataset_id, model],
        )
        report = {
            "errors": [],
            "warnings": [],
            "counts": {"predictions": 0},
            "run": {"params": params},
        }
        record_model(
            cur,
            dataset_id,
            model,
            kind=OBJECTS,
            model_format=MODEL_RUN_FORMAT,
            source=source,
            predictions=0,
            report=report,
        )
        apply_change(catalog, cur, Change(dataset_id, Kind.PREDICTIONS, sources=(model,)))


def append_model_predictions(
    catalog: Catalog,
    dataset_id: int,
    model: str,
    processed: np.ndarray,
    boxes: pa.Table | None = None,
    classifications: pa.Table | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> int:
    """Append one chunk of a run, all or nothing: the predictions of the samples
    ``processed`` (rows of those samples written before, by a run cut off after its write,
    are replaced, so a chunk written twice counts once). ``warnings`` replace the run's
    report warnings. Returns the model's prediction count after the chunk."""
    ids = pa.array(np.asarray(processed, np.int64))
    with catalog.write(dataset_id) as cur:
        found = cur.execute(
            "SELECT report FROM models WHERE dataset_id = ? AND name = ? AND format = ?",
            [dataset_id, model, MODEL_RUN_FORMAT],
        ).fetchall()
        if not found:
            raise CatalogError(f"no run of {model!r} was started on this dataset")
        cur.register("_vl_done", pa.table({"sample_id": ids}))
        for labels in ("annotations", "classifications"):
            cur.execute(
                f"DELETE FROM {labels} WHERE dataset_id = ? AND source = ? "  # noqa: S608 - fixed identifiers
                "AND sample_id IN (SELECT sample_id FROM _vl_done)",
                [dataset_id, model],
            )
        has_rows: set[int] = set()
        if boxes is not None and boxes.num_rows:
            first = catalog.next_annotation_id(cur)
            extra = [c for c in MASK_COLUMNS if c in boxes.column_names]
            cur.register("_vl_boxes", boxes.select([*BOX_COLUMNS, *extra]))
            names = "".join(f", {c}" for c in extra)
            values = "".join(f", {c}::JSON" if c == "segmentation" else f", {c}" for c in extra)
            insert = (  # the column names are MASK_COLUMNS', never the caller's text
                "INSERT INTO annotations (ann_id, sample_id, dataset_id, source, label, x, y, "  # noqa: S608
                f"w, h, score, area, iscrowd, difficult{names}) "
                "SELECT ? + row_number() OVER () - 1, sample_id, ?, ?, label, x, y, w, h, "
                f"score, w * h, FALSE, FALSE{values} FROM _vl_boxes"
            )
            cur.execute(insert, [first, dataset_id, model])
            cur.unregister("_vl_boxes")
            has_rows.update(boxes.column("sample_id").to_pylist())
        if classifications is not None and classifications.num_rows:
            cur.register("_vl_cls", classifications.select(list(CLASSIFICATION_COLUMNS)))
            cur.execute(
                "INSERT INTO classifications (dataset_id, sample_id, source, label, score, "
                "scores) SELECT ?, sample_id, ?, label, score, scores::JSON FROM _vl_cls",
                [dataset_id, model],
            )
            cur.unregister("_vl_cls")
            has_rows.update(classifications.column("sample_id").to_pylist())
        # the chunk's samples without a prediction are done too: they get a row here
        cur.execute(
            "DELETE FROM model_run_empty_samples WHERE dataset_id = ? AND model = ? "
            "AND sample_id IN (SELECT sample_id FROM _vl_done)",
            [dataset_id, model],
        )
        empty = sorted(set(ids.to_pylist()) - has_rows)
        if empty:
            cur.register("_vl_empty", pa.table({"sample_id": pa.array(empty, pa.int64())}))
            cur.execute(
                "INSERT INTO model_run_empty_samples SELECT ?, ?, sample_id FROM _vl_empty",
                [dataset_id, model],
            )
            cur.unregister("_vl_empty")
        cur.unregister("_vl_done")
        report = json.loads(found[0][0])
        ((count,),) = cur.execute(
            "SELECT (SELECT count(*) FROM annotations WHERE dataset_id = ? AND source = ?) + "
            "(SELECT count(*) FROM classifications WHERE dataset_id = ? AND source = ?)",
            [dataset_id, model, dataset_id, model],
        ).fetchall()
        report["counts"] = {"predictions": int(count)}
        if warnings is not None:
            report["warnings"] = warnings
        cur.execute(
            "UPDATE models SET num_predictions = ?, report = ? WHERE dataset_id = ? AND name = ?",
            [int(count), json.dumps(report), dataset_id, model],
        )
        apply_change(catalog, cur, Change(dataset_id, Kind.PREDICTIONS, sources=(model,)))
    return int(count)


def dataset_class_names(catalog: Catalog, dataset_id: int) -> list[str]:
    """The dataset's category names in category order."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT name FROM categories WHERE dataset_id = ? ORDER BY category_id", [dataset_id]
        ).fetchall()
    return [str(r[0]) for r in rows]
