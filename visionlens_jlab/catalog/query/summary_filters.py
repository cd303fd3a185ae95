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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..tables.box_summaries import MASK_WORDS, SUMMARY_FIELDS

SourceSql = Callable[[Any], str]
"""``source_sql(source)``: the compiled source condition over the alias ``a`` (its values
bound as it is called)."""

_EVAL_KEYS = {"key", "model", "status"}
_STATUSES = {"tp", "fp", "fn", "ignored"}
"""The statuses of ``box_evaluations``; any other value goes to the plain path, which
reports it."""


@dataclass
class SummaryClause:
    """A label filter over one summary table ``a``: conditions (their values bound in
    order) and whether a sample has at most one row meeting them."""

    table: str
    where: list[str]
    unique: bool
    eval_keys: str | None = None
    """For ``eval_summaries``: SQL over ``a.eval_key`` of the evaluations it reads (its
    values bound right after the source's); a sample has one row per evaluation when the
    source and the status are single (:func:`~.summary_pages.summary_page` probes it)."""


def label_clause(
    spec: Mapping[str, Any], dataset_id: int, add: Callable[[Any], str], source_sql: SourceSql
) -> str | None:
    """An EXISTS over the summaries equivalent to the label filter ``spec``, or None.

    ``add(value)`` binds a value and returns its placeholder, in the order of the SQL."""
    found = label_summary(spec, dataset_id, add, source_sql)
    if found is None:
        return None
    conditions = " AND ".join(["a.sample_id = s.sample_id", *found.where])
    return f"EXISTS (SELECT 1 FROM {found.table} a WHERE {conditions})"  # noqa: S608 - fixed SQL, values bound


def label_summary(
    spec: Mapping[str, Any], dataset_id: int, add: Callable[[Any], str], source_sql: SourceSql
) -> SummaryClause | None:
    """The summary conditions equivalent to the label filter ``spec``, or None (binding
    values only when it returns conditions)."""
    keys = set(spec) - {"source"}
    classes = spec.get("classes")
    if classes is not None and not (
        isinstance(classes, list) and all(isinstance(c, str) for c in classes)
    ):
        return None  # the plain path reports the error
    source = spec.get("source")
    one_source = isinstance(source, str) and source != "predictions"
    if keys <= {"classes"}:
        where = [source_sql(source)]
        if classes is not None:
            where.append(_has_any(classes, dataset_id, add))
        return SummaryClause("box_summaries", where, one_source)
    if keys <= {"classes", "eval"} and "eval" in keys:
        return _eval_clause(spec, classes, dataset_id, add, source_sql)
    bound = _one_bound(spec, keys)
    if bound is None:
        return None
    column, op, value = bound
    where = [source_sql(source)]
    cmp = ">=" if op == "min" else "<="
    stored = f"a.{column}_max" if op == "min" else f"a.{column}_min"
    where.append(f"{stored} {cmp} {add(float(value))}")
    return SummaryClause("box_summaries", where, one_source)


def summarised_count(spec: Mapping[str, Any]) -> bool:
    """True when a ``box_count`` filter counts the boxes of its source only (no class or
    box conditions): its count is the summed summaries (:func:`count_test_sql`)."""
    return not set(spec) - {"source", "min", "max"}


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


def _eval_clause(
    spec: Mapping[str, Any], classes: list[str] | None, dataset_id: int,
    add: Callable[[Any], str], source_sql: SourceSql,
) -> SummaryClause | None:  # fmt: skip
    cond = spec["eval"]
    if not isinstance(cond, Mapping) or set(cond) - _EVAL_KEYS:
        return None
    key, model, status = cond.get("key"), cond.get("model"), cond.get("status")
    if (key is not None and not isinstance(key, str)) or (
        model is not None and not isinstance(model, str)
    ):
        return None
    if status is not None and not (
        isinstance(status, list) and all(v in _STATUSES for v in status)
    ):
        return None
    source = spec.get("source")
    where = [source_sql(source)]
    if key is not None:
        where.append(f"a.eval_key = {add(key)}")
    else:
        # the dataset's own latest evaluations: keys name no dataset, so another
        # dataset's latest key may be a stale key here
        latest = (
            "SELECT v.eval_key FROM evaluations v "  # noqa: S608 - fixed SQL, values bound
            f"WHERE v.latest AND v.dataset_id = {add(dataset_id)}"
        )
        if model is not None:
            latest += f" AND v.model = {add(model)}"
        where.append(f"a.eval_key IN ({latest})")
    single = isinstance(source, str) and source != "predictions" and len(status or []) == 1
    if status is not None:
        where.append(f"list_contains({add(list(status))}::VARCHAR[], a.status)")
    if classes is not None:
        where.append(_has_any(classes, dataset_id, add))
    # several evaluations, sources or statuses may each give a sample a row
    return SummaryClause(
        "eval_summaries", where, unique=False, eval_keys=where[1] if single else None
    )


def _one_bound(spec: Mapping[str, Any], keys: set[str]) -> tuple[str, str, float] | None:
    """(field, 'min' | 'max', value) when ``spec`` holds exactly one bound on one summarised
    numeric field (``score`` or ``where: {field: ...}``) and nothing else but its source."""
    if keys == {"score"}:
        column, cond = "score", spec["score"]
    elif keys == {"where"} and isinstance(spec["where"], Mapping) and len(spec["where"]) == 1:
        ((column, cond),) = spec["where"].items()
    else:
        return None
    if column not in SUMMARY_FIELDS or not isinstance(cond, Mapping):
        return None
    bounds = {k: v for k, v in cond.items() if not (k in ("min", "max") and v is None)}
    if len(bounds) != 1:
        return None
    ((op, value),) = bounds.items()
    if op not in ("min", "max") or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value:  # NaN: the plain path reports it
        return None
    return column, op, float(value)


def _has_any(classes: list[str], dataset_id: int, add: Callable[[Any], str]) -> str:
    """Some class of ``classes`` is present: a bit of a mask word (each word's bits of the
    classes looked up once per statement), or the name among the classes past the bits."""
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
