"""The reads the catalog makes of feature tables, by name: the feature owns the SQL.

A feature (the evaluation, label quality) keeps its rows in tables of its own, which the
catalog's pages and exports must read: a box's status, an object's label-quality
score. The catalog never names those tables. It names a *read* from :data:`READS` (the
columns it relies on), and the feature's manifest
(:class:`~visionlens_jlab.catalog.extensions.manifest.Manifest`) supplies the relation: a
``SELECT`` over its own tables with those columns. :func:`relation` gives it as a
parenthesized subquery to put after ``FROM`` or ``JOIN``; DuckDB inlines it, so filters on
it reach the feature's table as before.

A read no feature supplies, or whose tables this catalog lacks (a feature never installed
on it), is not :func:`available`: the catalog then answers without it (no status, no
score), as it did before when the table was missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..base.errors import CatalogError

EVAL_BOX_RESULTS = "evaluation.box_results"
EVAL_RUNS = "evaluation.runs"
LQ_OBJECT_SCORES = "label_quality.object_scores"
LQ_RUNS = "label_quality.runs"

READS = {
    EVAL_BOX_RESULTS: (
        "dataset_id", "eval_key", "ann_id", "sample_id", "status", "matched_ann_id", "iou",
        "error_type", "confused_with",
    ),
    EVAL_RUNS: ("dataset_id", "eval_key", "model", "latest"),
    LQ_OBJECT_SCORES: (
        "dataset_id", "model", "ann_id", "issue", "score", "flagged", "overlooked", "swapped",
        "badly_located", "spurious",
    ),
    LQ_RUNS: ("dataset_id", "model", "created_at"),
}  # fmt: skip
"""Every read the catalog makes through a feature, and the columns it reads (in order):

* ``evaluation.box_results``: one row per evaluated box (its status, match, IoU, error);
* ``evaluation.runs``: one row per evaluation (``latest``: the newest of its model);
* ``label_quality.object_scores``: one row per scored object of a model's last run;
* ``label_quality.runs``: one row per model's last label-quality run."""


@dataclass(frozen=True)
class Relation:
    """A feature's answer to one of :data:`READS`: ``sql`` selects exactly that read's
    columns from ``tables`` (the feature's tables it reads, which must all exist)."""

    sql: str
    tables: tuple[str, ...]


def columns_of(name: str, table: str) -> Relation:
    """The relation of read ``name`` from one ``table`` that has its columns by name."""
    return Relation(f"SELECT {', '.join(READS[name])} FROM {table}", (table,))  # noqa: S608 - the feature's names


_RELATIONS: dict[str, Relation] = {}


def register_relation(name: str, supplied: Relation) -> None:
    """Supply read ``name`` (one of :data:`READS`); the same relation again is a no-op, and
    a second feature supplying one read is a programming error."""
    if name not in READS:
        raise ValueError(f"the catalog makes no read {name!r} (known: {sorted(READS)})")
    known = _RELATIONS.get(name)
    if known is not None and known != supplied:
        raise ValueError(f"read {name!r} is supplied already, by tables {known.tables}")
    _RELATIONS[name] = supplied


def supplied_tables() -> set[str]:
    """Every table a registered relation reads: the names the catalog must never write."""
    return {table for found in _RELATIONS.values() for table in found.tables}


def available(cur: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether read ``name`` is supplied and this catalog has every table it reads."""
    found = _RELATIONS.get(name)
    if found is None:
        return False
    ((n,),) = cur.execute(
        "SELECT COUNT(DISTINCT table_name) FROM duckdb_tables() WHERE list_contains(?, table_name)",
        [list(found.tables)],
    ).fetchall()
    return int(n) == len(set(found.tables))


def relation(name: str) -> str:
    """Read ``name`` as a parenthesized subquery (its columns: ``READS[name]``)."""
    found = _RELATIONS.get(name)
    if found is None:
        raise CatalogError(
            f"no feature supplies the catalog's read {name!r}: call "
            "visionlens_jlab.features.load() before opening a catalog"
        )
    return f"({found.sql})"
