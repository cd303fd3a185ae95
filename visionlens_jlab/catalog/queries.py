"""Read queries behind the samples page, facets, id lists and annotation tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from .catalog import Catalog
from .filters import FilterError, Params, compile_filter, sample_field_sql
from .schema import GROUND_TRUTH

MAX_PAGE = 1000
FACET_HISTOGRAM_BINS = 20
MAX_FIELD_FACETS = 50
MAX_CATEGORICAL_VALUES = 200


def _order_by(sort: str | None, order: str | None, params: Params) -> str:
    direction = "DESC" if (order or "asc").lower() == "desc" else "ASC"
    if not sort:
        return "s.sample_id ASC"
    try:
        sql = sample_field_sql(sort, params)
    except FilterError as exc:
        raise FilterError(f"cannot sort by {sort!r}: {exc}") from exc
    return f"{sql} {direction} NULLS LAST, s.sample_id ASC"


def samples_page(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    *,
    offset: int = 0,
    limit: int = 100,
    sort: str | None = None,
    order: str | None = None,
    include_annotations: bool = True,
) -> dict[str, Any]:
    """The exact total of samples matching ``spec`` and one page of them, with their boxes."""
    if offset < 0 or limit < 0:
        raise FilterError("offset and limit must be non-negative")
    limit = min(limit, MAX_PAGE)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_filter(dataset_id, spec)
        total = cur.execute(
            f"SELECT COUNT(*) FROM samples s WHERE {flt.where}",  # noqa: S608 - compiled, parameterized
            flt.params,
        ).fetchone()
        order_params = Params()
        order_sql = _order_by(sort, order, order_params)
        rows = cur.execute(
            f"""
            SELECT s.sample_id, s.file_name, s.width, s.height, s.split, s.source_image_id,
                   s.tags, s.fields
            FROM samples s WHERE {flt.where}
            ORDER BY {order_sql} LIMIT ? OFFSET ?
            """,  # noqa: S608 - compiled, parameterized
            [*flt.params, *order_params.values, limit, offset],
        ).fetchall()
        samples = [
            {
                "sample_id": int(r[0]),
                "file_name": r[1],
                "width": r[2],
                "height": r[3],
                "split": r[4],
                "source_image_id": r[5],
                "tags": list(r[6] or []),
                "fields": json.loads(r[7]) if r[7] else {},
            }
            for r in rows
        ]
        if include_annotations and samples:
            boxes = annotations_for(cur, [s["sample_id"] for s in samples])
            for s in samples:
                s["annotations"] = boxes.get(s["sample_id"], [])
    return {
        "total": int(total[0]) if total else 0,
        "offset": offset,
        "limit": limit,
        "samples": samples,
    }


def annotations_for(
    cur: duckdb.DuckDBPyConnection, sample_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """The boxes of the given samples, grouped by sample id."""
    rows = cur.execute(
        """
        SELECT sample_id, ann_id, source, label, x, y, w, h, score, iscrowd, difficult
        FROM annotations WHERE sample_id IN (SELECT unnest(?::BIGINT[]))
        ORDER BY sample_id, source, ann_id
        """,
        [sample_ids],
    ).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(
            {
                "ann_id": int(r[1]),
                "source": r[2],
                "label": r[3],
                "bbox": [r[4], r[5], r[6], r[7]],
                "score": r[8],
                "iscrowd": bool(r[9]),
                "difficult": bool(r[10]),
            }
        )
    return out


def sample_detail(catalog: Catalog, dataset: str, sample_id: int) -> dict[str, Any]:
    """One sample with every field and every box (segmentation and attributes included)."""
    from .catalog import NotFoundError

    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            """
            SELECT sample_id, file_name, location, width, height, split, source_image_id,
                   tags, fields
            FROM samples WHERE dataset_id = ? AND sample_id = ?
            """,
            [dataset_id, sample_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no sample {sample_id} in dataset {dataset!r}")
        boxes = cur.execute(
            """
            SELECT ann_id, source, label, x, y, w, h, score, area, iscrowd, difficult,
                   source_ann_id, segmentation, attributes
            FROM annotations WHERE sample_id = ? ORDER BY source, ann_id
            """,
            [sample_id],
        ).fetchall()
    return {
        "sample_id": int(row[0]),
        "file_name": row[1],
        "width": row[3],
        "height": row[4],
        "split": row[5],
        "source_image_id": row[6],
        "tags": list(row[7] or []),
        "fields": json.loads(row[8]) if row[8] else {},
        "annotations": [
            {
                "ann_id": int(b[0]),
                "source": b[1],
                "label": b[2],
                "bbox": [b[3], b[4], b[5], b[6]],
                "score": b[7],
                "area": b[8],
                "iscrowd": bool(b[9]),
                "difficult": bool(b[10]),
                "source_ann_id": b[11],
                "segmentation": json.loads(b[12]) if b[12] else None,
                "attributes": json.loads(b[13]) if b[13] else {},
            }
            for b in boxes
        ],
    }


def sample_ids(catalog: Catalog, dataset: str, spec: dict[str, Any] | None) -> pa.Array:
    """Every sample id matching ``spec``, in id order, as an Arrow int64 array."""
    with catalog.cursor() as cur:
        flt = compile_filter(catalog.dataset_id(cur, dataset), spec)
        table = cur.sql(
            f"SELECT s.sample_id FROM samples s WHERE {flt.where} ORDER BY s.sample_id",  # noqa: S608 - compiled, parameterized
            params=flt.params,
        ).to_arrow_table()
    return table.column(0).combine_chunks()


def update_tags(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
) -> int:
    """Add and remove tags on every sample matching ``spec``; return how many matched."""
    add = [t for t in (add or []) if t]
    remove = [t for t in (remove or []) if t]
    for tag in add + remove:
        if not isinstance(tag, str) or len(tag) > 200:
            raise FilterError("tags must be strings of at most 200 characters")
    with catalog.write() as cur:
        flt = compile_filter(catalog.dataset_id(cur, dataset), spec)
        row = cur.execute(
            f"""
            UPDATE samples s SET tags = list_distinct(list_filter(
                list_concat(s.tags, ?::VARCHAR[]), lambda t: NOT list_contains(?::VARCHAR[], t)))
            WHERE {flt.where}
            """,  # noqa: S608 - compiled, parameterized
            [add, remove, *flt.params],
        ).fetchone()
    return int(row[0]) if row else 0


FacetProvider = Callable[[duckdb.DuckDBPyConnection, int, str], list[dict[str, Any]]]
_FACET_PROVIDERS: list[FacetProvider] = []


def register_facet_provider(provider: FacetProvider) -> None:
    """Let an engine module add facets (e.g. evaluation status).

    ``provider(cur, dataset_id, samples_table)`` runs on the facets' cursor, where
    ``samples_table`` is the temp table of the filtered samples (column ``sample_id``).
    """
    if provider not in _FACET_PROVIDERS:
        _FACET_PROVIDERS.append(provider)


def facets(catalog: Catalog, dataset: str, spec: dict[str, Any] | None) -> dict[str, Any]:
    """Value counts of categorical fields and histograms of numeric ones, over ``spec``'s samples.

    Covers the sample columns, every ``fields.<key>``, tags, label classes per source, the
    prediction score per model, ``attributes.<key>`` of boxes, and boxes per sample.
    """
    out: list[dict[str, Any]] = []
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_filter(dataset_id, spec)
        # only the columns facets read (providers get ``sample_id``): names and paths are
        # most of a sample's bytes
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _facet_samples AS "  # noqa: S608 - compiled, parameterized
            "SELECT s.sample_id, s.split, s.width, s.height, s.tags, s.fields "
            f"FROM samples s WHERE {flt.where}",
            flt.params,
        )
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE _facet_boxes AS
            SELECT a.ann_id, a.sample_id, a.source, a.label, a.score, a.attributes
            FROM annotations a JOIN _facet_samples s USING (sample_id)
            WHERE a.dataset_id = ?
            """,
            # only the columns facets read: copying segmentation polygons was most of the cost
            [dataset_id],
        )
        total = cur.execute("SELECT COUNT(*) FROM _facet_samples").fetchone()
        out.append(_categorical(cur, "split", "SELECT split FROM _facet_samples"))
        out.append(_numeric(cur, "width", "SELECT width FROM _facet_samples"))
        out.append(_numeric(cur, "height", "SELECT height FROM _facet_samples"))
        out.append(_categorical(cur, "tags", "SELECT unnest(tags) FROM _facet_samples"))
        keys = cur.execute(
            """
            SELECT DISTINCT unnest(json_keys(fields)) AS k FROM samples
            WHERE dataset_id = ? AND fields IS NOT NULL ORDER BY k LIMIT ?
            """,
            [dataset_id, MAX_FIELD_FACETS],
        ).fetchall()
        for (key,) in keys:
            out.append(_json_facet(cur, f"fields.{key}", "_facet_samples", "fields", key))
        sources = [
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT source FROM annotations WHERE dataset_id = ? ORDER BY source",
                [dataset_id],
            ).fetchall()
        ]
        # boxes per (sample, source) in one pass, for every source's box_count facet
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _facet_counts AS "
            "SELECT sample_id, source, COUNT(*) AS n FROM _facet_boxes GROUP BY ALL"
        )
        for source in sources:
            out.append(
                _categorical(
                    cur,
                    "label",
                    "SELECT label FROM _facet_boxes WHERE source = ?",
                    [source],
                    source=source,
                )
            )
            out.append(
                _numeric(
                    cur,
                    "box_count",
                    "SELECT COALESCE(c.n, 0) FROM _facet_samples s LEFT JOIN _facet_counts c "
                    "ON c.sample_id = s.sample_id AND c.source = ?",
                    [source],
                    source=source,
                )
            )
            if source != GROUND_TRUTH:
                out.append(
                    _numeric(
                        cur,
                        "score",
                        "SELECT score FROM _facet_boxes WHERE source = ?",
                        [source],
                        source=source,
                    )
                )
        attr_keys = cur.execute(
            """
            SELECT DISTINCT unnest(json_keys(attributes)) AS k FROM annotations
            WHERE dataset_id = ? AND attributes IS NOT NULL ORDER BY k LIMIT ?
            """,
            [dataset_id, MAX_FIELD_FACETS],
        ).fetchall()
        for (key,) in attr_keys:
            out.append(_json_facet(cur, f"attributes.{key}", "_facet_boxes", "attributes", key))
        for provider in _FACET_PROVIDERS:
            out.extend(provider(cur, dataset_id, "_facet_samples"))
        for table in (
            "_facet_boxes",
            "_facet_samples",
            "_facet_counts",
            "_facet_values",
            "_facet_json",
        ):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
    return {"total": int(total[0]) if total else 0, "facets": [f for f in out if f]}


def _categorical(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    values_sql: str,
    params: list[Any] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    rows = cur.execute(
        f"SELECT v, COUNT(*) AS n FROM ({values_sql}) t(v) GROUP BY v "  # noqa: S608 - fixed SQL
        "ORDER BY n DESC, v NULLS LAST LIMIT ?",
        [*(params or []), MAX_CATEGORICAL_VALUES],
    ).fetchall()
    facet: dict[str, Any] = {
        "name": name,
        "type": "categorical",
        "values": [{"value": r[0], "count": int(r[1])} for r in rows],
    }
    if source is not None:
        facet["source"] = source
    return facet


def _numeric(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    values_sql: str,
    params: list[Any] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    # The values are read twice (range, then histogram): materialize them once, since
    # they can be a join (box counts) or JSON extraction over every filtered row.
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _facet_values AS SELECT v FROM ({values_sql}) t(v)",  # noqa: S608 - fixed SQL
        params or [],
    )
    values_sql, params = "SELECT v FROM _facet_values", []
    row = cur.execute(
        f"SELECT MIN(v), MAX(v), COUNT(v) FROM ({values_sql}) t(v)",  # noqa: S608 - fixed SQL
        params,
    ).fetchone()
    lo, hi, count = (row[0], row[1], int(row[2])) if row else (None, None, 0)
    bins: list[dict[str, Any]] = []
    if count and lo is not None and hi is not None:
        lo, hi = float(lo), float(hi)
        width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
        rows = cur.execute(
            f"""
            SELECT LEAST(CAST(FLOOR((v - ?) / ?) AS INTEGER), ?) AS b, COUNT(*)
            FROM ({values_sql}) t(v) WHERE v IS NOT NULL GROUP BY b ORDER BY b
            """,  # noqa: S608 - fixed SQL
            [lo, width, FACET_HISTOGRAM_BINS - 1, *params],
        ).fetchall()
        counts = {int(b): int(n) for b, n in rows}
        n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
        bins = [
            {
                "lo": lo + i * width,
                "hi": lo + (i + 1) * width if hi > lo else hi,
                "count": counts.get(i, 0),
            }
            for i in range(n_bins)
        ]
    facet: dict[str, Any] = {
        "name": name,
        "type": "numeric",
        "min": lo,
        "max": hi,
        "count": count,
        "histogram": bins,
    }
    if source is not None:
        facet["source"] = source
    return facet


def _json_facet(
    cur: duckdb.DuckDBPyConnection, name: str, table: str, column: str, key: str
) -> dict[str, Any]:
    from .filters import json_pointer

    pointer = json_pointer(key)
    # extract once: the type check and the facet itself both read the values
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _facet_json AS "  # noqa: S608 - fixed identifiers
        f"SELECT json_extract_string({column}, ?) AS v FROM {table}",
        [pointer],
    )
    values = "SELECT v FROM _facet_json"
    row = cur.execute(
        f"SELECT COUNT(v), COUNT(TRY_CAST(v AS DOUBLE)) FROM ({values}) t(v)",  # noqa: S608
    ).fetchone()
    numeric = bool(row and row[0] and row[0] == row[1])
    if numeric:
        as_numbers = f"SELECT TRY_CAST(v AS DOUBLE) FROM ({values}) t(v)"  # noqa: S608 - fixed SQL
        return _numeric(cur, name, as_numbers)
    return _categorical(cur, name, values)
