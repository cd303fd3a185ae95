"""Pages of objects (the patches view): ground-truth or predicted boxes, or evaluation patches.

A patch is one object of a dataset. Its rows come from the grid's filter, read by the one
parser and compiled by the one compiler (:mod:`..query.filters`):

* the filter selects samples, as it does for the grid: a patch belongs to a selected sample;
* its label conditions that apply to the patches' source also hold for the object itself
  (:func:`..query.filters.label_match_sql`): ``{"labels": {"classes": ["cat"]}}`` pages cats,
  not every object of images that have a cat.

``kind`` picks the objects: ``objects`` (one ``source``: ground truth or a model) or
``evaluation`` (the latest evaluation of ``model``: its true and false positives and the
ground truth it missed, each with its status, IoU and the box it matched).

An evaluation patch carries its partner, ``match`` (the other box of its pair, with its id,
source and IoU), when the evaluation recorded one: a true positive's matched ground truth; a
false positive's explaining ground truth (the one it duplicates, confuses or badly locates);
a missed ground truth's best-overlapping prediction among the false positives the evaluation
explained by it (its class confusion, or a badly located box). IoUs are the evaluation's own
(box or mask IoU, or OKS), so a pair's number is the one its status was decided by.

An object that has a mask or keypoints carries them as stored (``segmentation``: COCO
polygons or RLE; ``keypoints``: flat ``[x, y, v, ...]``), as :class:`orjson.Fragment` JSON
text like a page of samples (:mod:`.label_reads`): its tile draws them over the crop.

``version`` (a saved version's number) pages the objects as they were at that version: the
same statement over the relations :func:`..tables.labels_view.labels_at` shadows on the
request's cursor. Evaluations and label-quality runs judged the current labels, so a
version's page has neither (asking for them is refused).

The sort is any box column, ``iou`` (evaluation patches), ``lq_score`` / ``lq_<issue>``
(the label-quality run of ``lq_model``) or ``attributes.<key>`` (numeric values); ties by
annotation id. One statement gives the exact total and the page (offset paging: DuckDB's
top-N keeps only ``offset + limit`` rows, so a page at 1M objects reads the column once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from ..query.filter_model import ANNOTATION_COLUMNS, Filter
from ..query.filter_parser import parse_filter
from ..query.filters import (
    FilterError,
    Params,
    annotation_field_sql,
    compile_parsed,
    label_match_sql,
    sort_direction,
    source_clause,
)
from ..store.catalog import Catalog, NotFoundError
from ..store.feature_reads import LQ_OBJECT_SCORES, LQ_RUNS, available, relation
from ..store.schema import GROUND_TRUTH
from ..tables.labels_view import check_readable, labels_at, parse_version
from .evaluation_rows import (
    MATCH_KEYS,
    evaluation_rows_sql,
    id_range,
    latest_keys,
    missed_partners,
    rows_part,
)

KINDS = ("objects", "evaluation")
EVAL_STATUSES = ("tp", "fp", "fn")
LQ_ISSUES = ("overlooked", "swapped", "badly_located", "spurious")
MAX_PAGE = 1000
_SORTABLE = tuple(c for c in ANNOTATION_COLUMNS if c != "source")


@dataclass(frozen=True)
class PatchQuery:
    """Which objects a patches page shows and in which order (see the module docstring)."""

    kind: str = "objects"
    source: str = GROUND_TRUTH
    model: str | None = None
    statuses: tuple[str, ...] = EVAL_STATUSES
    lq_model: str | None = None
    sort: str | None = None
    order: str | None = None
    offset: int = 0
    limit: int = 100
    version: int | None = None


def parse_patch_query(body: Mapping[str, Any]) -> PatchQuery:
    """A :class:`PatchQuery` from a request's JSON (FilterError says what is wrong)."""
    kind = body.get("kind") or "objects"
    if kind not in KINDS:
        raise FilterError(f"'kind' must be one of {list(KINDS)}, not {kind!r}")
    source = body.get("source") or GROUND_TRUTH
    model = body.get("model")
    for name, value in (("source", source), ("model", model), ("lq_model", body.get("lq_model"))):
        if value is not None and (not isinstance(value, str) or not value):
            raise FilterError(f"'{name}' must be a non-empty string")
    if kind == "evaluation" and not model:
        raise FilterError("evaluation patches need 'model': the evaluated prediction set")
    statuses = body.get("statuses") or list(EVAL_STATUSES)
    if not isinstance(statuses, list) or any(s not in EVAL_STATUSES for s in statuses):
        raise FilterError(f"'statuses' must be a list of {list(EVAL_STATUSES)}")
    offset, limit = body.get("offset", 0), body.get("limit", 100)
    for name, value in (("offset", offset), ("limit", limit)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise FilterError(f"'{name}' must be a non-negative integer")
    sort = body.get("sort")
    if sort is not None and not isinstance(sort, str):
        raise FilterError("'sort' must be a field name")
    order = body.get("order")
    if order is not None and str(order).lower() not in ("asc", "desc"):
        raise FilterError("'order' must be 'asc' or 'desc'")
    version = parse_version(body.get("version"))
    check_readable(version, model if kind == "evaluation" else None, "kind 'evaluation'")
    if version is not None and (body.get("lq_model") or str(sort or "").startswith("lq_")):
        raise FilterError(
            f"label-quality scores are of the current labels: browse version {version} "
            "without 'lq_model' or an 'lq_' sort, or go back to the current labels"
        )
    return PatchQuery(
        kind, source, model, tuple(statuses), body.get("lq_model"), sort, order,
        offset, min(limit, MAX_PAGE), version,
    )  # fmt: skip


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


def _sort_sql(q: PatchQuery, params: Params, lq: str | None) -> str:
    sort = q.sort
    if not sort:
        return "a.ann_id"
    if sort == "iou":
        if q.kind != "evaluation":
            raise FilterError("sort by 'iou' needs evaluation patches (kind 'evaluation')")
        return "e.iou"
    if sort == "lq_score" or (sort.startswith("lq_") and sort[3:] in LQ_ISSUES):
        if lq is None:
            raise FilterError(f"cannot sort by {sort!r}: no label-quality run on this dataset")
        return "q.score" if sort == "lq_score" else f"q.{sort[3:]}"
    if sort.startswith("attributes.") and len(sort) > 11:
        return f"TRY_CAST({annotation_field_sql(sort, params)} AS DOUBLE)"
    if sort in _SORTABLE:
        return annotation_field_sql(sort, params)
    raise FilterError(
        f"cannot sort patches by {sort!r}: use one of {list(_SORTABLE)}, 'iou', 'lq_score', "
        f"'lq_<issue>' or 'attributes.<key>'"
    )


def _joins(dataset_id: int, keys: list[str], lq: str | None, params: Params) -> str:
    """The joins of the annotations ``a``: the per-box rows ``e`` of evaluations ``keys``
    (the model's latest, read first: a constant key keeps the join with the small
    table of evaluation runs off every per-box row), the label quality ``q``."""
    joins = ""
    if keys:
        joins += f" JOIN {evaluation_rows_sql(dataset_id, keys, params)} e ON e.ann_id = a.ann_id"
    if lq is not None:
        joins += f"""
            LEFT JOIN (SELECT * FROM {relation(LQ_OBJECT_SCORES)} lq
                       WHERE dataset_id = {params.add(dataset_id)}
                       AND model = {params.add(lq)}) q ON q.ann_id = a.ann_id"""  # noqa: S608
    return joins


def _branches(q: PatchQuery) -> list[tuple[str, list[str]]]:
    """The parts of the patches, each one source of boxes ``a`` and (evaluation patches) the
    statuses of their rows ``e``: true and false positives are the model's boxes, a miss a
    ground-truth box. The parts share no row (their statuses differ); each scans only its
    source of ``a`` and, its statuses an IN list, only their rows of ``e``."""
    if q.kind != "evaluation":
        return [(q.source, [])]
    positives = [s for s in q.statuses if s != "fn"]
    out: list[tuple[str, list[str]]] = [(str(q.model), positives)] if positives else []
    return out + ([(GROUND_TRUTH, ["fn"])] if "fn" in q.statuses else [])


def _where(
    dataset_id: int, flt: Filter, q: PatchQuery, branch: tuple[str, list[str]], params: Params
) -> str:
    """The WHERE of one part of the patches (:func:`_branches`), values bound in text order."""
    source, statuses = branch
    where = [f"a.dataset_id = {params.add(dataset_id)}"]
    if q.kind == "evaluation":
        where.append(f"a.source = {params.add(source)}")
        where.append(f"e.status IN ({', '.join(params.add(s) for s in statuses)})")
        sources = {str(q.model), GROUND_TRUTH}
    else:
        where.append(source_clause(q.source, params))
        sources = {q.source}
    own = [one for one in flt.labels if any(one.matches_source(s) for s in sources)]
    match = label_match_sql(Filter(labels=tuple(own)), params)
    if match is not None:
        where.append(match)
    if not flt.whole_dataset:
        compiled = compile_parsed(dataset_id, flt)
        samples = f"SELECT s.sample_id FROM samples s WHERE {compiled.where}"  # noqa: S608
        # and the rows ``e`` of those samples: fewer rows to join, unless the samples' own
        # conditions on boxes (a second pass over them) cost more than they spare
        e_too = q.kind == "evaluation" and not (flt.labels or flt.box_counts)
        for alias in ("a", "e") if e_too else ("a",):
            where.append(f"{alias}.sample_id IN ({samples})")
            params.values.extend(compiled.params)
    return " AND ".join(f"({w})" for w in where)


_COLUMNS = (
    "a.ann_id, a.sample_id, a.source, a.label, a.x, a.y, a.w, a.h, a.score, a.area, "
    "a.iscrowd, CAST(a.attributes AS VARCHAR), s.file_name, s.width, s.height, "
    "a.segmentation::VARCHAR, to_json(a.keypoints)::VARCHAR, "
    "(SELECT t.tags FROM object_tags t WHERE t.dataset_id = a.dataset_id AND t.ann_id = a.ann_id)"
)
_EVAL_COLUMNS = (
    ", e.status, e.iou, e.matched_ann_id, e.error_type, e.confused_with, "
    "m.ann_id, m.source, m.label, m.x, m.y, m.w, m.h, m.score"
)
_LQ_COLUMNS = ", q.issue, q.score, q.flagged"


def patches_page(
    catalog: Catalog, dataset: str, spec: Mapping[str, Any] | Filter | None, q: PatchQuery
) -> dict[str, Any]:
    """The exact total of the patches of ``q`` under filter ``spec`` and one page of them
    (of the objects at ``q.version`` when it names one)."""
    flt = parse_filter(spec)
    direction = sort_direction(q.order)
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, q.version):
        dataset_id = catalog.dataset_id(cur, dataset)
        keys = latest_keys(cur, dataset_id, str(q.model)) if q.kind == "evaluation" else []
        if q.kind == "evaluation" and not keys:
            raise NotFoundError(f"model {q.model!r} has no evaluation on dataset {dataset!r}")
        lq = _lq_model(cur, dataset_id, q)
        key_params, join_params = Params(), Params()
        key = _sort_sql(q, key_params, lq)
        joins = _joins(dataset_id, keys, lq, join_params)
        parts, values = [], []
        alone = keys and flt.whole_dataset and key in ("e.iou", "a.ann_id")
        for branch in _branches(q):
            params = Params()
            span = id_range(cur, dataset_id, branch[0]) if alone else None
            if span is not None:  # the rows' ids say that their boxes are there
                parts.append(rows_part(dataset_id, keys, key, branch[1], span, params))
                values += params.values
                continue
            where = _where(dataset_id, flt, q, branch, params)
            parts.append(f"SELECT a.ann_id, {key} AS k FROM annotations a {joins} WHERE {where}")  # noqa: S608
            values += [*key_params.values, *join_params.values, *params.values]
        # the partner's box: read for the page's rows only, not joined over every match
        partner = "LEFT JOIN annotations m ON m.ann_id = e.matched_ann_id" if keys else ""
        columns = _COLUMNS + (_EVAL_COLUMNS if q.kind == "evaluation" else "")
        columns += _LQ_COLUMNS if lq is not None else ""
        # one statement: the filter runs once for the total and the page; only the page's
        # rows read the wide columns (the sample's name, attributes)
        sql = f"""
            WITH matched AS MATERIALIZED ({" UNION ALL ".join(parts)}),
            page AS (SELECT ann_id, k FROM matched
                     ORDER BY k {direction} NULLS LAST, ann_id ASC LIMIT ? OFFSET ?)
            SELECT total.n, p.* FROM (SELECT COUNT(*) AS n FROM matched) total
            LEFT JOIN (
                SELECT {columns}, page.k AS k_ FROM page
                JOIN annotations a ON a.ann_id = page.ann_id AND a.dataset_id = ? {joins} {partner}
                JOIN samples s ON s.sample_id = a.sample_id
            ) p ON TRUE
            ORDER BY p.k_ {direction} NULLS LAST, p.ann_id ASC
        """  # noqa: S608 - fixed SQL and whitelisted expressions; values bound
        values += [q.limit, q.offset, dataset_id, *join_params.values]
        rows = cur.execute(sql, values).fetchall()
        objects = [_patch(r[1:-1], q.kind == "evaluation", lq) for r in rows if r[1] is not None]
        if q.kind == "evaluation":
            missed_partners(cur, dataset_id, str(q.model), objects)
    total = int(rows[0][0]) if rows else 0
    return {
        "total": total, "offset": q.offset, "limit": q.limit, "kind": q.kind,
        "source": q.source if q.kind == "objects" else q.model, "lq_model": lq,
        "objects": objects,
    }  # fmt: skip


def _patch(r: Sequence[Any], evaluation: bool, lq: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ann_id": int(r[0]), "sample_id": int(r[1]), "source": r[2], "label": r[3],
        "x": r[4], "y": r[5], "w": r[6], "h": r[7], "score": r[8], "area": r[9],
        "iscrowd": bool(r[10]), "attributes": json.loads(r[11]) if r[11] else {},
        "file_name": r[12], "image_width": r[13], "image_height": r[14],
        "tags": sorted(r[17] or []),
    }  # fmt: skip
    # a tile draws the object's mask and keypoints: the stored JSON text, never parsed here
    if r[15] is not None:
        out["segmentation"] = orjson.Fragment(r[15])
    if r[16] is not None:
        out["keypoints"] = orjson.Fragment(r[16])
    at = 18
    if evaluation:
        out.update(status=r[at], iou=r[at + 1], error_type=r[at + 3], confused_with=r[at + 4])
        out["matched_ann_id"] = None if r[at + 2] is None else int(r[at + 2])
        out["match"] = None
        if r[at + 2] is not None and r[at + 5] is not None:
            out["match"] = dict(zip(MATCH_KEYS, r[at + 5 : at + 13], strict=True))
            out["match"]["ann_id"] = int(out["match"]["ann_id"])
            out["match"]["iou"] = r[at + 1]
        at += 13
    if lq is not None:
        out.update(lq_issue=r[at], lq_score=r[at + 1], lq_flagged=r[at + 2])
    return out


def patch_samples(
    catalog: Catalog, dataset: str, ann_ids: Sequence[int], version: int | None = None
) -> list[int]:
    """The samples (ids, ascending, each once) of the objects ``ann_ids`` of ``dataset``
    (at saved ``version``: of its objects): where a patch selection goes in the shared
    selection. Ids of no object are ignored."""
    ids = _checked_ids(ann_ids)
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT DISTINCT sample_id FROM annotations WHERE dataset_id = ? "
            "AND ann_id IN (SELECT unnest(?::BIGINT[])) ORDER BY sample_id",
            [dataset_id, ids],
        ).fetchall()
    return [int(r[0]) for r in rows]


def patch_box(
    catalog: Catalog, dataset: str, ann_id: int, version: int | None = None
) -> tuple[int, float, float, float, float]:
    """``(sample_id, x, y, w, h)`` of one object of ``dataset`` (at saved ``version``: where
    it was then; NotFoundError when it has no such object)."""
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            "SELECT sample_id, x, y, w, h FROM annotations WHERE dataset_id = ? AND ann_id = ?",
            [dataset_id, ann_id],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no object {ann_id} in dataset {dataset!r}")
    return int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4])


def _checked_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list | tuple) or any(
        not isinstance(i, int) or isinstance(i, bool) for i in ids
    ):
        raise FilterError("'ann_ids' must be a list of integer object ids")
    return [int(i) for i in ids]
