"""Read queries behind the samples page, facets, id lists and annotation tables."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from ..extensions.computed import computed_values_for
from ..plan.facets import FacetProvider, facets, register_facet_provider
from ..plan.object_matches import object_match
from ..plan.page_routes import run_page
from ..plan.planner import forced, plan_page
from ..query.filter_model import Filter
from ..query.filter_parser import parse_filter
from ..query.filters import (
    CompiledFilter,
    FilterError,
    Params,
    compile_filter,
    compile_parsed,
)
from ..query.sample_sort import SampleSort, parse_sample_sort, sort_key_sql
from ..store.catalog import Catalog
from ..store.request_reads import reads_once
from ..store.result_cache import filter_key
from ..tables.labels_view import check_readable, labels_at
from .label_reads import (
    annotations_for,
    chosen_evaluation,
    classifications_for,
    sample_annotations,
)

__all__ = [
    "FacetProvider",
    "annotations_for",
    "facets",
    "register_facet_provider",
    "sample_detail",
    "sample_details",
    "sample_ids",
    "samples_page",
]

MAX_PAGE = 1000


def samples_page(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | Filter | None,
    *,
    offset: int = 0,
    limit: int = 100,
    sort: SampleSort | str | None = None,
    order: str | None = None,
    include_annotations: bool = True,
    eval_status: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """The exact total of samples matching ``spec`` and one page of them, with their boxes.

    ``eval_status``: an evaluation's key, or a model (its latest evaluation); each box then
    carries its ``status`` in that evaluation (a 404 :class:`NotFoundError` if there is none). ``version``: read the
    labels as they were at that saved version (:mod:`..tables.labels_view`; None: current).
    ``sort``: typed (:func:`..query.sample_sort.parse_sample_sort`, its direction included),
    or a sample field's word parsed here with ``order``."""
    if offset < 0 or limit < 0:
        raise FilterError("offset and limit must be non-negative")
    check_readable(version, eval_status)
    limit = min(limit, MAX_PAGE)
    typed = sort if isinstance(sort, SampleSort) else parse_sample_sort(sort, order)
    with (
        catalog.cursor() as cur,
        reads_once(cur),  # the tokens once: request_reads.py
        labels_at(catalog, cur, dataset, version),
    ):
        dataset_id = catalog.dataset_id(cur, dataset)
        # before the first statement on the dataset's rows: see result_cache.py
        written = catalog.version_of(dataset_id)
        flt = compile_parsed(dataset_id, parse_filter(spec), shortcuts=not forced())
        total_key = filter_key("total", dataset_id, flt)
        page_key = filter_key(
            "page", dataset_id, flt, typed, offset, limit, include_annotations, eval_status
        )
        cached = catalog.results.get(page_key, written)
        if cached is not None:
            return cached
        evaluation = chosen_evaluation(cur, dataset_id, eval_status) if eval_status else None
        if limit == 0:  # a count: any page or facets answer of this filter knows it
            known = catalog.results.get(total_key, written)
            if known is not None:
                return {"total": known, "offset": offset, "limit": 0, "samples": []}
        plan = plan_page(flt.model, typed, typed.direction)
        found = run_page(plan, catalog, cur, dataset_id, flt.model, offset, limit)
        if found is not None:
            total, samples = found[0], _samples_by_id(cur, dataset_id, found[1])
        else:
            total, samples = _filtered_page(cur, dataset_id, flt, typed, offset, limit)
        if include_annotations and samples:
            ids = [s["sample_id"] for s in samples]
            match_params = Params()
            match_sql = object_match(cur, dataset_id, flt.model, match_params)
            match = None if match_sql is None else (match_sql, match_params.values)
            boxes = annotations_for(cur, ids, match, evaluation)
            labels = classifications_for(cur, dataset_id, ids)
            for s in samples:
                s["annotations"] = boxes.get(s["sample_id"], [])
                s["classifications"] = labels.get(s["sample_id"], [])
        if samples:
            computed = computed_values_for(cur, dataset_id, [s["sample_id"] for s in samples])
            for s in samples:
                s["computed"] = computed.get(s["sample_id"], {})
    page = {"total": total, "offset": offset, "limit": limit, "samples": samples}
    catalog.results.put(page_key, written, page)
    catalog.results.put(total_key, written, total)
    return page


_SAMPLE_COLUMNS = "sample_id, file_name, width, height, split, source_image_id, tags, fields"


def _sample_row(r: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "sample_id": int(r[0]),
        "file_name": r[1],
        "width": r[2],
        "height": r[3],
        "split": r[4],
        "source_image_id": r[5],
        "tags": list(r[6] or []),
        "fields": json.loads(r[7]) if r[7] else {},
    }


def _samples_by_id(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: list[int]
) -> list[dict[str, Any]]:
    """The page rows of ``ids``, in that order."""
    if not ids:
        return []
    rows = cur.execute(
        f"SELECT {_SAMPLE_COLUMNS} FROM samples "  # noqa: S608 - fixed columns
        "WHERE dataset_id = ? AND sample_id IN (SELECT unnest(?::BIGINT[]))",
        [dataset_id, ids],
    ).fetchall()
    by_id = {int(r[0]): _sample_row(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def _filtered_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: CompiledFilter,
    sort: SampleSort,
    offset: int,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """The total and page of any filter and sort, in one statement."""
    key_params = Params()
    key, direction = sort_key_sql(sort, key_params), sort.direction
    # One statement: the filter (box subqueries and all) runs once for the total and the
    # page, instead of once for a COUNT and again for the page; only the page's rows
    # read the wide columns (names, tags, JSON fields). The one-row total is left-joined
    # with the page, so it comes back even when the page is empty.
    rows = cur.execute(
        f"""
        WITH matched AS MATERIALIZED (
            SELECT s.sample_id, {key} AS k FROM samples s WHERE {flt.where}),
        page AS (
            SELECT sample_id, k FROM matched
            ORDER BY k {direction} NULLS LAST, sample_id ASC LIMIT ? OFFSET ?)
        SELECT total.n, p.sample_id, p.file_name, p.width, p.height, p.split,
               p.source_image_id, p.tags, p.fields
        FROM (SELECT COUNT(*) AS n FROM matched) total
        LEFT JOIN (
            SELECT page.k, s.* FROM page
            JOIN samples s ON s.sample_id = page.sample_id AND s.dataset_id = ?
        ) p ON TRUE
        ORDER BY p.k {direction} NULLS LAST, p.sample_id ASC
        """,  # noqa: S608 - compiled, parameterized
        [*key_params.values, *flt.params, limit, offset, dataset_id],
    ).fetchall()
    total = int(rows[0][0]) if rows else 0
    return total, [_sample_row(r[1:]) for r in rows if r[1] is not None]


MAX_DETAILS = 64
"""The most samples one :func:`sample_details` call reads (a video player's window is 8)."""

_INT64 = (-(1 << 63), (1 << 63) - 1)
"""The ids a sample can have (``samples.sample_id`` is a BIGINT)."""


def sample_detail(
    catalog: Catalog,
    dataset: str,
    sample_id: int,
    eval_status: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """One sample with every field, every object (segmentation, keypoints and attributes
    included) and its image-level classifications; with ``eval_status`` (an evaluation's key,
    or a model) each object's ``status`` in that evaluation, as :func:`samples_page`;
    ``version``: its objects as they were at that saved version. :func:`sample_details` of
    one id."""
    return sample_details(catalog, dataset, [sample_id], eval_status, version)[0]


def sample_details(
    catalog: Catalog,
    dataset: str,
    sample_ids: list[int],
    eval_status: str | None = None,
    version: int | None = None,
) -> list[dict[str, Any]]:
    """What :func:`sample_detail` answers for each of ``sample_ids``, in their order, read
    together: one statement per table for all of them (a video player asks a window of
    frames at once). At most :data:`MAX_DETAILS` ids (else a :class:`FilterError`, HTTP
    400); an id that is no sample of ``dataset`` is a :class:`NotFoundError` (HTTP 404)
    naming every such id, rather than an answer short of what was asked."""
    from ..store.catalog import NotFoundError

    if len(sample_ids) > MAX_DETAILS:
        raise FilterError(
            f"{len(sample_ids)} sample ids asked: at most {MAX_DETAILS} in one request"
        )
    check_readable(version, eval_status)
    if not sample_ids:
        return []
    # each once in the statements; an id past 64 bits names no sample (it is reported
    # missing below, not handed to DuckDB's BIGINT)
    ids = list(dict.fromkeys(sample_ids))
    stored = [i for i in ids if _INT64[0] <= i <= _INT64[1]]
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT {_SAMPLE_COLUMNS} FROM samples "  # noqa: S608 - fixed columns
            "WHERE dataset_id = ? AND sample_id IN (SELECT unnest(?::BIGINT[]))",
            [dataset_id, stored],
        ).fetchall()
        found = {int(r[0]): _sample_row(r) for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            listed = ", ".join(map(str, missing))
            raise NotFoundError(f"no sample {listed} in dataset {dataset!r}")
        evaluation = chosen_evaluation(cur, dataset_id, eval_status) if eval_status else None
        annotations = sample_annotations(cur, ids, evaluation)
        labels = classifications_for(cur, dataset_id, ids)
        computed = computed_values_for(cur, dataset_id, ids)
    return [
        {
            **found[i],
            "annotations": annotations.get(i, []),
            "classifications": labels.get(i, []),
            "computed": computed.get(i, {}),  # computed fields (duplicates, captions, plugin)
        }
        for i in sample_ids
    ]


def sample_ids(
    catalog: Catalog, dataset: str, spec: dict[str, Any] | None, version: int | None = None
) -> pa.Array:
    """Every sample id matching ``spec``, in id order, as an Arrow int64 array; ``version``:
    the labels (and tags) as they were at that saved version (None: current)."""
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        flt = compile_filter(catalog.dataset_id(cur, dataset), spec)
        table = cur.sql(
            f"SELECT s.sample_id FROM samples s WHERE {flt.where} ORDER BY s.sample_id",  # noqa: S608 - compiled, parameterized
            params=flt.params,
        ).to_arrow_table()
    return table.column(0).combine_chunks()
