"""Pages of objects (the patches view): ground-truth or predicted boxes, or evaluation patches.

A patch is one object of a dataset, a row of the planner's ``objects`` kind
(:func:`..plan.planner.plan_page`): the planner picks the route, the page cache keeps the
answer until the dataset's next write, and one statement gives the exact total and the
page. Its rows come from the grid's filter, read by the one parser and compiled by the one
compiler (:mod:`..query.filters`):

* the filter selects samples, as it does for the grid: a patch belongs to a selected sample;
* its label conditions that apply to the patches' source also hold for the object itself
  (:func:`..query.filters.label_match_sql`): ``{"labels": {"classes": ["cat"]}}`` pages cats,
  not every object of images that have a cat.

``kind`` picks the objects: ``objects`` (one ``source``: ground truth or a model) or
``evaluation`` (the evaluation ``evaluation`` names, or the latest of ``model``: its true
and false positives and the ground truth it missed, each with its status, IoU and the box it
matched). Objects with an ``evaluation`` each carry their ``status`` in it: the key of the
patch's colour, null where the evaluation did not judge the object.

An evaluation patch carries its partner, ``match`` (the other box of its pair, with its id,
source and IoU), when the evaluation recorded one: a true positive's matched ground truth; a
false positive's explaining ground truth (the one it duplicates, confuses or badly locates);
a missed ground truth's best-overlapping prediction among the false positives the evaluation
explained by it (its class confusion, or a badly located box). IoUs are the evaluation's own
(box or mask IoU, or OKS), so a pair's number is the one its status was decided by.

Columns are read by name. An object carries every declared label kind's answer fields
(:mod:`..records.label_kinds`, read by :class:`.object_fields.KindFields`): its ``bbox``
(and ``x``, ``y``, ``w``, ``h``), and where it has them a rotated box's corners (``obb``), a
polyline's points, its mask (``segmentation``: COCO polygons or RLE) and keypoints, as
:class:`orjson.Fragment` JSON text like a page of samples (:mod:`.label_reads`): its tile
draws them over the crop.

``version`` (a saved version's number) pages the objects as they were at that version: the
same statement over the relations :func:`..tables.labels_view.labels_shadowed` shadows on
the request's cursor, the version passed to the planner and the cache key as a parameter
(no state of the request's context). Evaluations and label-quality runs judged the current
labels, so a version's page has neither (asking for them is refused).

The sort is typed (:class:`..query.object_sort.ObjectSort`, parsed with the query): any box
column, ``iou`` (evaluation patches: the planner refuses it of other objects), ``lq_score`` /
``lq_<issue>`` (the label-quality run of ``lq_model``) or ``attributes.<key>`` (numeric
values), ascending or descending; ties by annotation id (offset paging: DuckDB's top-N keeps
only ``offset + limit`` rows).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import orjson

from ..plan.object_matches import object_match
from ..plan.planner import Plan, Strategy, forced, plan_page
from ..query.filter_model import Filter
from ..query.filter_parser import parse_filter
from ..query.filters import (
    FilterError,
    Params,
    annotation_field_sql,
    compile_parsed,
    source_clause,
)
from ..query.object_sort import ObjectSort
from ..store.catalog import Catalog, NotFoundError
from ..store.feature_reads import EVAL_RUNS, LQ_OBJECT_SCORES, LQ_RUNS, available, relation
from ..store.result_cache import params_key
from ..store.schema import GROUND_TRUTH
from ..tables.labels_view import labels_shadowed
from .evaluation_rows import (
    MATCH_KEYS,
    evaluation_rows_sql,
    id_range,
    latest_keys,
    missed_partners,
    rows_part,
)
from .label_reads import chosen_evaluation
from .object_fields import KindFields, kind_columns
from .patch_query import EVAL_STATUSES, KINDS, MAX_PAGE, PatchQuery, parse_patch_query

__all__ = ["EVAL_STATUSES", "KINDS", "MAX_PAGE", "PatchQuery", "parse_patch_query"]


def _lq_model(cur: duckdb.DuckDBPyConnection, dataset_id: int, q: PatchQuery) -> str | None:
    """The label-quality run to join: the one asked for, the patches' model's, or the newest
    (none at a version: the runs judged the current labels)."""
    if q.version is not None or not available(cur, LQ_RUNS):
        return None
    sql = f"SELECT model FROM {relation(LQ_RUNS)} r WHERE dataset_id = ? ORDER BY created_at DESC"  # noqa: S608
    runs = cur.execute(sql, [dataset_id]).fetchall()
    names = [r[0] for r in runs]
    for wanted in (q.lq_model, q.model, q.source):
        if wanted in names:
            return wanted
    if q.lq_model is not None:
        raise FilterError(f"no label-quality run against {q.lq_model!r} on this dataset")
    return names[0] if names else None


def _evaluation(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, dataset: str, q: PatchQuery
) -> tuple[list[str], str | None]:
    """The keys of the evaluation the page reads (none: it reads none) and its model: the
    one ``q.evaluation`` names (a key, or a model's latest), else the latest of ``q.model``
    for evaluation patches."""
    if q.evaluation is not None:
        key = chosen_evaluation(cur, dataset_id, q.evaluation)[1]
        runs = relation(EVAL_RUNS)
        ((model,),) = cur.execute(
            f"SELECT model FROM {runs} WHERE dataset_id = ? AND eval_key = ?",  # noqa: S608
            [dataset_id, key],
        ).fetchall()
        if q.kind == "evaluation" and q.model is not None and q.model != model:
            raise FilterError(f"evaluation {key!r} is of model {model!r}, not {q.model!r}")
        return [key], str(model)
    if q.kind != "evaluation":
        return [], None
    keys = latest_keys(cur, dataset_id, str(q.model))
    if not keys:
        raise NotFoundError(f"model {q.model!r} has no evaluation on dataset {dataset!r}")
    return keys, q.model


def _sort_sql(sort: ObjectSort, params: Params, lq: str | None) -> str:
    """The SQL of the sort key over the annotations ``a``, their evaluation rows ``e`` and
    label-quality scores ``q`` (run ``lq``: None, refused for a label-quality sort)."""
    if sort.evaluation:
        return "e.iou"
    if sort.quality_score:
        if lq is None:
            raise FilterError(
                f"cannot sort by {sort.field!r}: no label-quality run on this dataset"
            )
        return f"q.{sort.name}"  # score, or an issue's column (object_sort.LQ_ISSUES)
    if sort.kind == "attribute":
        return f"TRY_CAST({annotation_field_sql(sort.field, params)} AS DOUBLE)"
    return annotation_field_sql(sort.name, params)  # one of object_sort.SORTABLE_COLUMNS


def _joins(
    dataset_id: int, keys: list[str], lq: str | None, params: Params, colour: bool = False
) -> str:
    """The joins of the annotations ``a``: the per-box rows ``e`` of evaluations ``keys``
    (the model's latest, read first: a constant key keeps the join with the small
    table of evaluation runs off every per-box row; ``colour``: a LEFT JOIN, the status of
    the objects it judged), the label quality ``q``."""
    joins = ""
    if keys:
        join = "LEFT JOIN" if colour else "JOIN"
        joins += f" {join} {evaluation_rows_sql(dataset_id, keys, params)} e ON e.ann_id = a.ann_id"
    if lq is not None:
        joins += f"""
            LEFT JOIN (SELECT * FROM {relation(LQ_OBJECT_SCORES)} lq
                       WHERE dataset_id = {params.add(dataset_id)}
                       AND model = {params.add(lq)}) q ON q.ann_id = a.ann_id"""  # noqa: S608
    return joins


def _branches(q: PatchQuery, model: str | None) -> list[tuple[str, list[str]]]:
    """The parts of the patches, each one source of boxes ``a`` and (evaluation patches) the
    statuses of their rows ``e``: true and false positives are the model's boxes, a miss a
    ground-truth box. The parts share no row (their statuses differ); each scans only its
    source of ``a`` and, its statuses an IN list, only their rows of ``e``."""
    if q.kind != "evaluation":
        return [(q.source, [])]
    positives = [s for s in q.statuses if s != "fn"]
    out: list[tuple[str, list[str]]] = [(str(model), positives)] if positives else []
    return out + ([(GROUND_TRUTH, ["fn"])] if "fn" in q.statuses else [])


def _where(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: Filter,
    q: PatchQuery,
    model: str | None,
    branch: tuple[str, list[str]],
    params: Params,
) -> str:
    """The WHERE of one part of the patches (:func:`_branches`), values bound in text order:
    the objects' own label conditions, and the filter's samples (compiled without the
    registered shortcuts at a version, whose summaries are of the current labels)."""
    source, statuses = branch
    where = [f"a.dataset_id = {params.add(dataset_id)}"]
    if q.kind == "evaluation":
        where.append(f"a.source = {params.add(source)}")
        where.append(f"e.status IN ({', '.join(params.add(s) for s in statuses)})")
        sources = {str(model), GROUND_TRUTH}
    else:
        where.append(source_clause(q.source, params))
        sources = {q.source}
    own = [one for one in flt.labels if any(one.matches_source(s) for s in sources)]
    match = object_match(cur, dataset_id, Filter(labels=tuple(own)), params, q.version)
    if match is not None:
        where.append(match)
    if not flt.whole_dataset:
        compiled = compile_parsed(dataset_id, flt, shortcuts=not forced(q.version))
        samples = f"SELECT s.sample_id FROM samples s WHERE {compiled.where}"  # noqa: S608
        # and the rows ``e`` of those samples: fewer rows to join, unless the samples' own
        # conditions on boxes (a second pass over them) cost more than they spare
        e_too = q.kind == "evaluation" and not (flt.labels or flt.box_counts)
        for alias in ("a", "e") if e_too else ("a",):
            where.append(f"{alias}.sample_id IN ({samples})")
            params.values.extend(compiled.params)
    return " AND ".join(f"({w})" for w in where)


# the page's columns, by name: the object's own, every declared label kind's (object_fields)
_COLUMNS = ", ".join(
    (
        "a.ann_id, a.sample_id, a.source, a.label, a.score, a.area, a.iscrowd",
        "CAST(a.attributes AS VARCHAR) AS attributes, s.file_name",
        "s.width AS image_width, s.height AS image_height",
        kind_columns("a", as_text=True),
        "(SELECT t.tags FROM object_tags t WHERE t.dataset_id = a.dataset_id "
        "AND t.ann_id = a.ann_id) AS tags",
    )
)
_STATUS_COLUMNS = (
    ", e.status, e.iou, e.matched_ann_id, e.error_type, e.confused_with, "
    + ", ".join(f"m.{k} AS match_{k}" for k in MATCH_KEYS)
)
_LQ_COLUMNS = ", q.issue AS lq_issue, q.score AS lq_score, q.flagged AS lq_flagged"
_SORT_KEY = "page_sort_key"


def _matched(
    cur: duckdb.DuckDBPyConnection,
    plan: Plan,
    dataset_id: int,
    flt: Filter,
    q: PatchQuery,
    ev: tuple[list[str], str | None],
    sql: tuple[str, str, list[Any]],
) -> tuple[list[str], list[Any]]:
    """The parts of the rows of ``q`` (their ids ``ann_id`` and sort key ``k``) and their
    values, from the first route of ``plan`` that answers; ``sql``: the sort key, the joins
    and their values."""
    keys, model = ev
    key, joins, join_values = sql
    for route in plan.routes:
        parts: list[str] = []
        values: list[Any] = []
        for branch in _branches(q, model):
            params = Params()
            if route.strategy is Strategy.EVALUATION_ROWS:  # by IoU or id: the rows' orders
                span = id_range(cur, dataset_id, branch[0])
                if span is None:  # the rows alone do not say whether their boxes are there
                    break
                parts.append(rows_part(dataset_id, keys, key, branch[1], span, params))
                values += params.values
                continue
            where = _where(cur, dataset_id, flt, q, model, branch, params)
            parts.append(f"SELECT a.ann_id, {key} AS k FROM annotations a {joins} WHERE {where}")  # noqa: S608
            values += [*join_values, *params.values]
        else:
            return parts, values
    raise AssertionError("a plan ends with the SQL route, which always answers")


def patches_page(
    catalog: Catalog, dataset: str, spec: Mapping[str, Any] | Filter | None, q: PatchQuery
) -> dict[str, Any]:
    """The exact total of the patches of ``q`` under filter ``spec`` and one page of them
    (of the objects at ``q.version`` when it names one), as the planner plans a page of
    objects (:func:`..plan.planner.plan_page`); answers are kept in the catalog's page
    cache until the dataset's next write."""
    flt = parse_filter(spec)
    direction = q.sort.direction
    with catalog.cursor() as cur, labels_shadowed(catalog, cur, dataset, q.version):
        dataset_id = catalog.dataset_id(cur, dataset)
        # before the first statement on the dataset's rows: see result_cache.py
        written = catalog.version_of(dataset_id)
        ev = _evaluation(cur, dataset_id, dataset, q)
        lq = _lq_model(cur, dataset_id, q)
        cache_key = _cache_key(dataset_id, flt, q, ev[0], lq)
        cached = catalog.results.get(cache_key, written)
        if cached is not None:
            return cached
        evaluation = q.kind == "evaluation"
        plan = plan_page(
            flt, q.sort, direction, "objects", version=q.version, evaluation=evaluation
        )
        key_params, join_params = Params(), Params()
        key = _sort_sql(q.sort, key_params, lq)
        joins = _joins(dataset_id, ev[0] if evaluation else [], lq, join_params)
        parts, values = _matched(
            cur,
            plan,
            dataset_id,
            flt,
            q,
            ev,
            (key, joins, [*key_params.values, *join_params.values]),
        )
        page_params = Params()
        page_joins = _joins(dataset_id, ev[0], lq, page_params, colour=not evaluation)
        # the partner's box: read for the page's rows only, not joined over every match
        partner = "LEFT JOIN annotations m ON m.ann_id = e.matched_ann_id" if ev[0] else ""
        columns = _COLUMNS + (_STATUS_COLUMNS if ev[0] else "") + (_LQ_COLUMNS if lq else "")
        # one statement: the filter runs once for the total and the page; only the page's
        # rows read the wide columns (the sample's name, attributes)
        sql = f"""
            WITH matched AS MATERIALIZED ({" UNION ALL ".join(parts)}),
            page AS (SELECT ann_id, k FROM matched
                     ORDER BY k {direction} NULLS LAST, ann_id ASC LIMIT ? OFFSET ?)
            SELECT total.n AS page_total, p.* FROM (SELECT COUNT(*) AS n FROM matched) total
            LEFT JOIN (
                SELECT {columns}, page.k AS {_SORT_KEY} FROM page
                JOIN annotations a ON a.ann_id = page.ann_id AND a.dataset_id = ?
                {page_joins} {partner}
                JOIN samples s ON s.sample_id = a.sample_id
            ) p ON TRUE
            ORDER BY p.{_SORT_KEY} {direction} NULLS LAST, p.ann_id ASC
        """  # noqa: S608 - fixed SQL and whitelisted expressions; values bound
        values += [q.limit, q.offset, dataset_id, *page_params.values]
        result = cur.execute(sql, values)
        names = [d[0] for d in result.description or ()]
        rows = result.fetchall()
        fields = KindFields(names, orjson.Fragment)
        objects = [
            _patch(dict(zip(names, r, strict=True)), r, fields, ev[0], evaluation, lq)
            for r in rows
            if r[1] is not None
        ]
        if evaluation:
            missed_partners(cur, dataset_id, ev[0], objects)
    page = {
        "total": int(rows[0][0]) if rows else 0, "offset": q.offset, "limit": q.limit,
        "kind": q.kind, "source": q.source if q.kind == "objects" else ev[1],
        "lq_model": lq, "version": q.version, "evaluation": ev[0][0] if ev[0] else None,
        "objects": objects,
    }  # fmt: skip
    catalog.results.put(cache_key, written, page)
    return page


def _cache_key(
    dataset_id: int, flt: Filter, q: PatchQuery, keys: list[str], lq: str | None
) -> tuple[Any, ...]:
    """The page cache's key of a patches page: everything that decides its rows, the
    version read and the evaluation chosen included (the filter compiled, as the samples
    pages' keys are: :func:`..store.result_cache.filter_key`)."""
    compiled = compile_parsed(dataset_id, flt, shortcuts=False)
    return (
        "patches", dataset_id, compiled.where, params_key(compiled.params), q.version,
        q.kind, q.source, tuple(keys), q.statuses, lq, q.sort, q.offset, q.limit,
    )  # fmt: skip


def _patch(
    r: Mapping[str, Any],
    row: Sequence[Any],
    fields: KindFields,
    keys: list[str],
    evaluation: bool,
    lq: str | None,
) -> dict[str, Any]:
    """One patch of a page's row ``r`` (by column name; ``row``: the same row, which
    :class:`.object_fields.KindFields` reads every declared label kind's fields of)."""
    out: dict[str, Any] = {
        "ann_id": int(r["ann_id"]), "sample_id": int(r["sample_id"]), "source": r["source"],
        "label": r["label"], "x": r["x"], "y": r["y"], "w": r["w"], "h": r["h"],
        "score": r["score"], "area": r["area"], "iscrowd": bool(r["iscrowd"]),
        "attributes": json.loads(r["attributes"]) if r["attributes"] else {},
        "file_name": r["file_name"], "image_width": r["image_width"],
        "image_height": r["image_height"], "tags": sorted(r["tags"] or []),
    }  # fmt: skip
    # a tile draws the object's labels of every kind: the stored JSON text, never parsed here
    fields.add(out, row)
    if keys:
        out["status"] = r["status"]  # the key of the patch's colour (null: not judged)
    if evaluation:
        out.update(iou=r["iou"], error_type=r["error_type"], confused_with=r["confused_with"])
        matched = r["matched_ann_id"]
        out["matched_ann_id"] = None if matched is None else int(matched)
        out["match"] = None
        if matched is not None and r["match_ann_id"] is not None:
            out["match"] = {k: r[f"match_{k}"] for k in MATCH_KEYS}
            out["match"]["ann_id"] = int(out["match"]["ann_id"])
            out["match"]["iou"] = r["iou"]
    if lq is not None:
        out.update(lq_issue=r["lq_issue"], lq_score=r["lq_score"], lq_flagged=r["lq_flagged"])
    return out
