"""A model deleted from a dataset, every kind of its predictions at once (``visionlens delete
NAME --model M --yes``): what FiftyOne's ``delete_sample_field("predictions")`` does.

In ONE transaction, nothing written on a failure: the model's rows in every label table
(objects, image labels, label maps and their encoding), the rows tied to its objects (object
tags and attributes, label quality, tracking and evaluation rows naming them), the rows of
every table keeping rows of the model by name (label quality and tracking runs, semantic
regions, a feature's per-model rows, a result computed over the dataset from it such as a
blind-spot run), its evaluations with their per-object rows and summaries, and its ``models``
row; the box summaries and facet keys are refreshed, the stored facet parts dropped (counted
from the rows until a label write stores them again). The name is free afterwards, for
predictions of any kind.

Like an import, it is a write outside the edit log: ``visionlens undo`` does not bring the
model back, and the copies of browsed versions are dropped. A saved version is rebuilt from
the current labels and the log at its next browse, so it no longer shows the model's
objects, except those an edit of the log changed after that version (their logged state is
put back, as after a model imported again). The edit log itself is kept as it was.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..catalog import GROUND_TRUTH, Catalog, CatalogError, NotFoundError
from ..catalog.derived import Change, Kind, apply_change
from ..catalog.reads.model_kinds import LABEL_MAP_TABLE, kinds_by_model, label_counts
from ..catalog.store.registry import dataset_tables, model_tables
from ..records.label_kinds import LABEL_TABLES
from ..semantic.records import SOURCES as ENCODINGS
from . import copy_rules

COUNTS = {
    "annotations": "objects",
    "classifications": "image_labels",
    LABEL_MAP_TABLE: "label_maps",
}
"""A label table → the count naming its rows in the answer."""

_OBJECT_COLUMNS = ("ann_id", "matched_ann_id")


def model_names(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """The dataset's models: its ``models`` rows and the sources holding labels (a catalog
    written by an older VisionLens may hold labels without a row), ground truth left out."""
    rows = cur.execute("SELECT name FROM models WHERE dataset_id = ?", [dataset_id]).fetchall()
    return sorted({str(r[0]) for r in rows} | set(kinds_by_model(cur, dataset_id)))


def delete_model(
    catalog: Catalog, dataset: str, model: str, *, dry_run: bool = False
) -> dict[str, Any]:
    """Delete ``model`` from ``dataset``: every prediction of it, the rows tied to them, its
    evaluations and its ``models`` row, in one transaction. Returns ``{dataset, model,
    objects, image_labels, label_maps, evaluations}`` (what went, or with ``dry_run`` what
    would go: nothing is written). Refuses the ground truth (:class:`CatalogError`: its
    labels are deleted as an undoable edit, ``delete --labels``) and a model the dataset
    does not have (:class:`NotFoundError` naming its models)."""
    if model == GROUND_TRUTH:
        raise CatalogError(
            f"{GROUND_TRUTH!r} is the dataset's own labels, not a model: delete them as an "
            f"undoable edit (visionlens delete {dataset} --labels {GROUND_TRUTH} --yes)"
        )
    if dry_run:
        with catalog.cursor() as cur:
            return _counts(cur, catalog.dataset_id(cur, dataset), dataset, model)
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        catalog.scope_write(dataset_id)
        counts = _counts(cur, dataset_id, dataset, model)
        _delete_rows(cur, dataset_id, model)
        apply_change(catalog, cur, Change(dataset_id, Kind.PREDICTIONS, sources=(model,)))
        # predictions left outside the log: the copies of browsed versions go (made again)
        catalog.scope_write(dataset_id, keeps_derived=False)
    return counts


def _counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, dataset: str, model: str
) -> dict[str, Any]:
    names = model_names(cur, dataset_id)
    if model not in names:
        raise NotFoundError(
            f"{dataset!r} has no model {model!r}; its models: {', '.join(names) or 'none'}"
        )
    counts: dict[str, Any] = {"dataset": dataset, "model": model}
    held = label_counts(cur, dataset_id, model)
    counts.update({name: held.get(table, 0) for table, name in COUNTS.items()})
    ((n,),) = cur.execute(
        "SELECT COUNT(*) FROM evaluations WHERE dataset_id = ? AND model = ?", [dataset_id, model]
    ).fetchall()
    counts["evaluations"] = int(n)
    return counts


def _columns(cur: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = cur.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(str(table), set()).add(str(column))
    return columns


def _delete_rows(cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str) -> None:
    """Every row of ``model`` and tied to it. The tables are found by the copy rules'
    classes and their columns, so a table a feature adds is swept without a list here:
    rows of a sample or an object (a ``source``, a ``model``, an object id or an
    ``eval_key`` naming what goes), the dataset's own rows naming the model (its runs,
    its evaluations) and the results over the whole dataset naming it or its evaluations
    by ``model`` or ``eval_key`` (blind spots); the derived rows are refreshed after, the
    history is kept."""
    columns = _columns(cur)
    owned = set(dataset_tables()) & {*copy_rules.PER_SAMPLE, *copy_rules.PER_OBJECT}
    params = {"d": dataset_id, "m": model}
    keys = [r[0] for r in cur.execute(
        "SELECT eval_key FROM evaluations WHERE dataset_id = $d AND model = $m", params
    ).fetchall()]  # fmt: skip
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_doomed AS SELECT ann_id FROM annotations "
        "WHERE dataset_id = $d AND source = $m",
        params,
    )
    try:
        for table in sorted(owned):  # before the objects themselves: they name them
            have = columns.get(table, set())
            doomed = "IN (SELECT ann_id FROM _vl_doomed)"  # fixed column names below
            where = [f"{c} {doomed}" for c in _OBJECT_COLUMNS if c in have]
            where += [f"{c} = $m" for c in ("source", "model") if c in have]
            if "eval_key" in have:
                where.append("list_contains($k, eval_key)")
            if where and table not in LABEL_TABLES:
                _delete(cur, table, " OR ".join(where), {**params, "k": keys})
    finally:
        cur.execute("DROP TABLE IF EXISTS _vl_doomed")
    for table in (*LABEL_TABLES, ENCODINGS):
        _delete(cur, table, "source = $m", params)
    # results computed over the whole dataset (not copied) that name the model or its
    # evaluation (a blind-spot run): they describe predictions that no longer exist; the
    # history among those tables names labels by ``source``, never by these, and is kept
    for table in sorted(set(dataset_tables()) & set(copy_rules.NOT_COPIED)):
        have = columns.get(table, set())
        where = ["model = $m"] if "model" in have else []
        where += ["list_contains($k, eval_key)"] if "eval_key" in have else []
        if where:
            _delete(cur, table, " OR ".join(where), {**params, "k": keys})
    for table, column in {**model_tables(), "label_quality_runs": "model"}.items():
        _delete(cur, table, f"{column} = $m", params)
    # eval_summaries: not refreshed per key; the facet parts (its ``eval:`` ones too) are
    # derived rows, all dropped at the commit (the write does not keep them exact)
    for table in ("eval_summaries", "evaluations"):
        _delete(cur, table, "list_contains($k, eval_key)", {**params, "k": keys})
    cur.execute("DELETE FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, model])


def _delete(cur: duckdb.DuckDBPyConnection, table: str, where: str, params: dict[str, Any]) -> None:
    used = {k: v for k, v in params.items() if f"${k}" in where or k == "d"}
    cur.execute(f"DELETE FROM {table} WHERE dataset_id = $d AND ({where})", used)  # noqa: S608 - registered table names, fixed conditions
