"""Filters and sort keys compiled to the per-sample summaries (:mod:`.box_summaries`).

Only where the summary answer is *exactly* the box-table answer (the randomised tests in
``tests/test_box_summaries.py`` compare both paths):

* a label filter with a source and classes only: some box of that source has one of the
  classes <=> the (sample, source) class list has one of them;
* a label filter with a source and one bound on one numeric box field (``score: {min}``,
  ``where: {area: {max}}``...), no classes: some box has ``field >= t`` <=> the max is
  ``>= t`` (and ``<= t`` against the min);
* a label filter with a source, classes and an evaluation status (``eval: {status, model |
  key}``): some box of the classes has the status <=> the (sample, evaluation, source,
  status) class list has one of the classes;
* ``box_count`` of a source (no class or box condition): the summed counts;
* the sample fields ``box_count.<source>``, ``box_max.<field>.<source>`` and
  ``box_min...``: the summed counts, the max of the maxima, the min of the minima.

Everything else (two bounds on a field, classes with a score, attribute conditions...)
returns None and the caller compiles the plain subquery over the boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from ..tables.box_summaries import MASK_WORDS, SUMMARY_FIELDS
from .filter_model import LabelCondition

SourceSql = Callable[[Any], str]
"""``source_sql(source)``: the compiled source condition over the alias ``a`` (its values
bound as it is called)."""
Add = Callable[[Any], str]
"""``add(value)`` binds a value and returns its placeholder, in the order of the SQL."""


@dataclass
class SummaryClause:
    """A label filter over one summary table ``a``: conditions (their values bound in
    order) and whether a sample has at most one row meeting them."""

    table: str
    where: list[str]
    unique: bool
    probe: Callable[[duckdb.DuckDBPyConnection], bool] | None = None
    """When not ``unique``: a read telling whether this request's rows are unique after
    all (one evaluation read...), so a page needs no DISTINCT over 1M ids."""


LabelSummary = Callable[[LabelCondition, int, Add, SourceSql], "SummaryClause | None"]
_SUMMARIES: dict[str, LabelSummary] = {}


def register_label_summary(key: str, summary: LabelSummary) -> None:
    """Let the module of registered label condition ``key`` answer a label condition with
    it from a summary table of its own: ``summary(label, dataset_id, add, source_sql)``
    returns the clause (binding values only then) or None."""
    _SUMMARIES[key] = summary


def label_clause(
    label: LabelCondition, dataset_id: int, add: Add, source_sql: SourceSql, shortcuts: bool = True
) -> str | None:
    """An EXISTS over the summaries equivalent to ``label``, or None (``shortcuts``: the
    registered summaries may answer too)."""
    found = label_summary(label, dataset_id, add, source_sql, shortcuts)
    if found is None:
        return None
    conditions = " AND ".join(["a.sample_id = s.sample_id", *found.where])
    return f"EXISTS (SELECT 1 FROM {found.table} a WHERE {conditions})"  # noqa: S608 - fixed SQL, values bound


def label_summary(
    label: LabelCondition,
    dataset_id: int,
    add: Add,
    source_sql: SourceSql,
    shortcuts: bool = True,
) -> SummaryClause | None:
    """The summary conditions equivalent to ``label``, or None (binding values only when
    it returns conditions)."""
    if label.class_only:
        where = [source_sql(label.source)]
        if label.classes is not None:
            where.append(has_any(list(label.classes), dataset_id, add))
        return SummaryClause("box_summaries", where, label.one_source)
    if label.label_types is not None:  # no summary counts objects by label type
        return None
    if len(label.extras) == 1 and label.score is None and not label.where:
        summary = _SUMMARIES.get(label.extras[0].key) if shortcuts else None
        return None if summary is None else summary(label, dataset_id, add, source_sql)
    bound = label.one_bound
    if bound is None:
        return None
    column, op, value = bound
    where = [source_sql(label.source)]
    cmp = ">=" if op == "min" else "<="
    stored = f"a.{column}_max" if op == "min" else f"a.{column}_min"
    where.append(f"{stored} {cmp} {add(value)}")
    return SummaryClause("box_summaries", where, label.one_source)


def count_test_sql(test: str, source: Any, source_sql: SourceSql) -> str:
    """``test`` (SQL over ``c.n``, its values bound already) on the box count of ``source``
    on sample ``s``."""
    return (
        f"(SELECT {test} FROM (SELECT CAST(COALESCE(SUM(a.n), 0) AS BIGINT) AS n "  # noqa: S608 - fixed SQL
        f"FROM box_summaries a WHERE a.sample_id = s.sample_id AND {source_sql(source)}) c)"
    )


def count_sql(source: Any, source_sql: SourceSql) -> str:
    """The number of boxes of ``source`` on sample ``s``."""
    return (
        "(SELECT CAST(COALESCE(SUM(a.n), 0) AS BIGINT) FROM box_summaries a "  # noqa: S608 - fixed SQL
        f"WHERE a.sample_id = s.sample_id AND {source_sql(source)})"
    )


def extreme_sql(agg: str, column: str, source: Any, source_sql: SourceSql) -> str:
    """``MAX`` / ``MIN`` (``agg``) of box field ``column`` over the boxes of ``source`` on
    sample ``s`` (NULL when it has none)."""
    if column not in SUMMARY_FIELDS or agg not in ("MAX", "MIN"):
        raise ValueError(f"no summary of {agg}({column})")
    stored = f"a.{column}_{agg.lower()}"
    return (
        f"(SELECT {agg}({stored}) FROM box_summaries a "  # noqa: S608 - fixed SQL
        f"WHERE a.sample_id = s.sample_id AND {source_sql(source)})"
    )


def has_any(classes: list[str], dataset_id: int, add: Add) -> str:
    """Some class of ``classes`` is present in the summary row ``a``: a bit of a mask word
    (each word's bits of the classes looked up once per statement), or the name among the
    classes past the bits."""
    if not classes:
        return "FALSE"
    tests = []
    for k in range(MASK_WORDS):
        word = f"c.bit // 64 = {k}"
        bits = (
            "(SELECT COALESCE(bit_or(1::UBIGINT << (c.bit % 64)), 0::UBIGINT) "  # noqa: S608 - fixed SQL, values bound
            f"FROM summary_classes c WHERE c.dataset_id = {add(dataset_id)} AND {word} "
            f"AND list_contains({add(list(classes))}::VARCHAR[], c.label))"
        )
        tests.append(f"(a.mask{k} & {bits}) <> 0")
    rest = " OR ".join(f"list_contains(a.rest, {add(c)})" for c in classes)
    tests.append(f"(a.rest IS NOT NULL AND ({rest}))")
    return "(" + " OR ".join(tests) + ")"
