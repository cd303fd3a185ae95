"""The regions of a semantic-mask label-quality run as rows: table ``semantic_regions``.

One row per region of the last run per (dataset, model) (migration step 29, declared in
:mod:`.manifest`), written in the transaction of the run's computed fields
(:func:`~..catalog.extensions.computed.write_computed`'s ``rows``), so the image scores,
the flagged-region counts and the rows never disagree.

Every region of at least :data:`~.semantic_masks.MIN_REGION_PIXELS` pixels is stored, not
only the flagged ones: a user filters and pages them by class, predicted class and score
(the regions the model mostly agrees with included). Smaller ones are left out: they are
never flagged, and an image's speckle at class boundaries can have thousands of them (the
rows would outnumber the images by far for no region anyone looks at).

A region's key is (model, ``sample_id``, ``region``): its number among the stored regions
of the image. Rows go with their samples (a per-sample table for deletes and copies,
:mod:`~..edits.sample_delete_rules`, :mod:`~..bulk.copy_rules`); like the box runs'
``label_quality`` rows they are a result, kept until the model's next run replaces them
(importing its masks again leaves them: rerun).

The sample condition ``{"sample": {"semantic_regions": {"model": "m", "class": ["road"],
"predicted": ["sidewalk"], "score": {"max": 0.3}, "flagged": true}}}`` keeps the samples
with a stored region of model ``m`` meeting every given part (``class``, ``predicted``:
any of the names; a region whose pixels the model gives no class has no ``predicted``
and meets no ``predicted`` list).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from ..catalog.query.filter_conditions import condition_sql
from ..catalog.query.filter_model import Condition
from ..catalog.query.filter_parser import parse_condition
from ..catalog.query.filters import FilterError, Params

REGIONS = "semantic_regions"
KEY = "semantic_regions"
"""The sample condition's key."""
DDL = """
CREATE TABLE IF NOT EXISTS semantic_regions (
    dataset_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,      -- the semantic model the ground truth was scored against
    sample_id BIGINT NOT NULL,
    region INTEGER NOT NULL,     -- its number among the image's stored regions
    class VARCHAR NOT NULL,      -- the ground-truth class of its pixels
    predicted VARCHAR,           -- the class the model gives most of them (NULL: none)
    pixels BIGINT NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
    score DOUBLE NOT NULL,       -- the fraction of its pixels the model agrees with
    flagged BOOLEAN NOT NULL
)
"""
COLUMNS = ("sample_id", "region", "class", "predicted", "pixels", "x", "y", "w", "h", "score",
           "flagged")  # fmt: skip
"""A stored region's columns after the dataset and the model, in the table's order."""
_TYPES = (pa.int64(), pa.int32(), pa.string(), pa.string(), pa.int64(), *([pa.int32()] * 4),
          pa.float64(), pa.bool_())  # fmt: skip

RegionCondition = tuple[
    str, tuple[str, ...] | None, tuple[str, ...] | None, Condition | None, bool | None
]
"""Parsed: model, classes, predicted classes (None: any), score condition, flagged."""
_KEYS = ("model", "class", "predicted", "score", "flagged")


def create_table(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 29: the table of semantic regions."""
    cur.execute(DDL)


def region_rows(regions: Sequence[dict[str, Any]]) -> pa.Table:
    """The rows of regions given as dicts with :data:`COLUMNS`' keys (class names)."""
    return pa.table(
        {c: pa.array([r[c] for r in regions], t) for c, t in zip(COLUMNS, _TYPES, strict=True)}
    )


def replace_regions(
    dataset_id: int, model: str, rows: pa.Table
) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """The write of a run's regions, for the fields' transaction: the model's rows replaced."""

    def write(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute(
            f"DELETE FROM {REGIONS} WHERE dataset_id = ? AND model = ?",  # noqa: S608 - fixed name
            [dataset_id, model],
        )
        cur.register("_vl_regions", rows)
        try:
            cur.execute(
                f"INSERT INTO {REGIONS} SELECT ?, ?, {', '.join(COLUMNS)} FROM _vl_regions",  # noqa: S608 - fixed names
                [dataset_id, model],
            )
        finally:
            cur.unregister("_vl_regions")

    return write


def flagged_regions(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str
) -> list[dict[str, Any]]:
    """The stored flagged regions of ``model``'s run, worst first, as the run's result lists
    them (``sample_id``, ``class``, ``pixels``, the box, ``score``, ``predicted``,
    ``flagged``)."""
    rows = cur.sql(
        f"SELECT sample_id, class, pixels, x, y, w, h, score, predicted, flagged FROM {REGIONS} "  # noqa: S608 - fixed name
        "WHERE dataset_id = ? AND model = ? AND flagged ORDER BY score, sample_id, y, x",
        params=[dataset_id, model],
    ).to_arrow_table()
    return rows.to_pylist()


def _names(value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FilterError(f"sample.{KEY}.{key} must be a class name or a list of them")
    return tuple(value)


def parse_regions(value: Any) -> RegionCondition:
    """The condition checked once, when the filter is parsed (:class:`FilterError` if bad)."""
    if not isinstance(value, dict) or not isinstance(value.get("model"), str):
        raise FilterError(
            f"sample.{KEY} must be an object with a 'model', e.g. "
            "{'model': 'm', 'class': ['road'], 'score': {'max': 0.3}, 'flagged': true}"
        )
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise FilterError(f"unknown sample.{KEY} keys {unknown} (known: {list(_KEYS)})")
    score = value.get("score")
    parsed = parse_condition(score, f"{KEY}.score") if score is not None else None
    flagged = value.get("flagged")
    if flagged is not None and not isinstance(flagged, bool):
        raise FilterError(f"sample.{KEY}.flagged must be true or false")
    classes = _names(value.get("class"), "class")
    return value["model"], classes, _names(value.get("predicted"), "predicted"), parsed, flagged


def region_where(cond: RegionCondition, params: Params, alias: str = "r") -> list[str]:
    """The parts of ``cond`` over one region row ``alias`` (its model included)."""
    model, classes, predicted, score, flagged = cond
    where = [f"{alias}.model = {params.add(model)}"]
    if classes is not None:
        where.append(f"list_contains({params.add(list(classes))}, {alias}.class)")
    if predicted is not None:
        where.append(f"list_contains({params.add(list(predicted))}, {alias}.predicted)")
    if score is not None:
        where.append(condition_sql(f"{alias}.score", score.ops, params))
    if flagged is not None:
        where.append(f"{alias}.flagged = {params.add(flagged)}")
    return where


def regions_sql(cond: RegionCondition, params: Params) -> str:
    """SQL over the sample alias ``s``: the sample has a stored region matching ``cond``."""
    where = ["r.dataset_id = s.dataset_id AND r.sample_id = s.sample_id",
             *region_where(cond, params)]  # fmt: skip
    return f"EXISTS (SELECT 1 FROM {REGIONS} r WHERE {' AND '.join(where)})"  # noqa: S608 - fixed columns, bound values
