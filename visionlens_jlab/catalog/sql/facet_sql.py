"""The SQL behind :func:`~visionlens_jlab.catalog.plan.facets.facets`: one statement for all facets.

Every facet is a number ``f`` (its position in the facet plan). A statement stacks the
facets' values into one relation ``freq``: per facet and distinct value, the facet's kind
``k``, the value as text ``sv`` and as a number ``nv``, and how often it occurs ``n``. Each
branch of ``freq`` counts its own values first, so ranges, value counts and histograms are
then computed over a few hundred rows rather than one row per sample or box, in the same
statement. Result rows, per facet that has values:

* ``('r', f, NULL, count, lo, hi, numeric)``: its range and whether it is numeric;
* ``('c', f, value, count, NULL, NULL, position)``: its most frequent values (categorical);
* ``('h', f, NULL, count, NULL, NULL, bin)``: its non-empty histogram bins (numeric).

It reads ``_facet_samples``: the filtered samples, with their JSON fields already
extracted. Only facet numbers and fixed SQL are formatted into the text: every value is a
bound parameter.
"""

from __future__ import annotations

from typing import Any

from ..query.filters import json_pointer
from ..store.schema import GROUND_TRUTH

FACET_HISTOGRAM_BINS = 20


MAX_CATEGORICAL_VALUES = 200
MAX_FIELD_FACETS = 50
"""At most this many ``fields.<key>`` and as many ``attributes.<key>`` facets (the first keys)."""

CATEGORICAL, NUMERIC, JSON = 0, 1, 2
"""Facet kinds; a JSON facet is numeric when every value it has casts to a *finite* number
(its ``nv``: ``CASE WHEN isfinite(TRY_CAST(v AS DOUBLE)) ...``). "nan" and "inf" are texts
there (a facet with one is categorical and shows it): as numbers they made the range NaN
or infinite, the histogram's ``CAST(FLOOR(NaN) AS INTEGER)`` failed, and with it every
ingest of such a field."""


def bin_width_sql(lo: str, hi: str) -> str:
    """SQL of the bin width of the range ``lo .. hi`` (fixed column names), as
    :func:`.mask_counts.bin_width` computes it."""
    b = FACET_HISTOGRAM_BINS
    return (
        f"COALESCE(NULLIF(CASE WHEN isfinite({hi} - {lo}) THEN ({hi} - {lo}) / {b} "
        f"ELSE {hi} / {b} - {lo} / {b} END, 0), 1.0)"
    )


_SUMMARY = """
freq AS MATERIALIZED ({union}),
sums AS (
    SELECT f, any_value(k) AS k, MIN(nv) AS lo, MAX(nv) AS hi,
           COALESCE(SUM(n) FILTER (WHERE nv IS NOT NULL), 0) AS n,
           COALESCE(SUM(n) FILTER (WHERE sv IS NOT NULL), 0) AS n_text
    FROM freq GROUP BY f),
ranges AS (
    SELECT f, n, lo, hi, k = {num} OR (k = {json} AND n_text > 0 AND n_text = n) AS numeric
    FROM sums),
counts AS (
    SELECT f, sv, n, row_number() OVER (PARTITION BY f ORDER BY n DESC, sv NULLS LAST) AS pos
    FROM freq WHERE f IN (SELECT f FROM ranges WHERE NOT numeric)
    QUALIFY pos <= {top}),
hist AS (
    -- the bin width facets have always used: the range / bins, or 1 if the range is empty
    -- (mask_counts.bin_width); x - lo past the largest double goes to the last bin
    SELECT q.f, LEAST(COALESCE(TRY_CAST(FLOOR((q.nv - r.lo) / {width}) AS INTEGER),
               {last_bin}), {last_bin}) AS bin,
           SUM(q.n) AS n
    FROM freq q JOIN ranges r USING (f)
    WHERE r.numeric AND q.nv IS NOT NULL{not_binned} GROUP BY ALL)
SELECT 'r', f, NULL, n, lo, hi, numeric::INTEGER FROM ranges
UNION ALL SELECT 'c', f, sv, n, NULL, NULL, pos FROM counts
UNION ALL SELECT 'h', f, NULL, n, NULL, NULL, bin FROM hist{binned}
"""

_SAMPLE_FREQ = [
    "SELECT 0 AS f, {cat} AS k, split AS sv, NULL::DOUBLE AS nv, COUNT(*) AS n "
    "FROM _facet_samples GROUP BY split",
    "SELECT 1, {num}, NULL, width, COUNT(*) FROM _facet_samples GROUP BY width",
    "SELECT 2, {num}, NULL, height, COUNT(*) FROM _facet_samples GROUP BY height",
    "SELECT 3, {cat}, t, NULL, COUNT(*) FROM (SELECT unnest(tags) AS t FROM _facet_samples) "
    "GROUP BY t",
]
_FIELDS_FREQ = (  # named like the first branch: it is the first without facets 0-3
    "SELECT 3 + j AS f, {json} AS k, v AS sv, "
    "CASE WHEN isfinite(TRY_CAST(v AS DOUBLE)) THEN TRY_CAST(v AS DOUBLE) END AS nv, "
    "COUNT(*) AS n FROM "
    "(SELECT unnest(fx) AS v, generate_subscripts(fx, 1) AS j FROM _facet_samples) GROUP BY j, v"
)

_BOX_CTES = """
boxes AS NOT MATERIALIZED (  -- the filtered samples' boxes, only the columns facets read
    SELECT a.sample_id, a.source, a.label, a.score FROM annotations a
    WHERE a.dataset_id = $ds{only_filtered}{only_sources}),
box_counts AS MATERIALIZED (  -- (source, boxes in a sample) -> samples
    SELECT source, n, COUNT(*) AS samples
    FROM (SELECT sample_id, source, COUNT(*) AS n FROM boxes GROUP BY ALL) GROUP BY ALL),
"""
_ONLY_FILTERED = " AND a.sample_id IN (SELECT sample_id FROM _facet_samples)"
_ONLY_SOURCES = " AND list_contains($sources::VARCHAR[], a.source)"
_SOURCE_INDEX = "(list_position($sources::VARCHAR[], source) - 1)"
"""``{i}`` in the branches: a source's index in ``$sources``, taken on grouped rows (a few
per source) rather than joined to every box."""
_BOX_FREQ = [
    "SELECT {src} + 3 * {i} AS f, {cat} AS k, label AS sv, NULL::DOUBLE AS nv, n FROM "
    "(SELECT source, label, COUNT(*) AS n FROM boxes GROUP BY ALL)",
    "SELECT {src} + 3 * {i} + 1, {num}, NULL, n, samples FROM box_counts",
    # every filtered sample has a box count for every source: the samples without a box
    """SELECT {src} + 3 * {i} + 1, {num}, NULL, 0, $total - COALESCE(c.n, 0)
       FROM (SELECT unnest($sources::VARCHAR[]) AS source)
       LEFT JOIN (SELECT source, SUM(samples) AS n FROM box_counts GROUP BY source) c
         USING (source)
       WHERE $total > COALESCE(c.n, 0)""",
]
_SCORE_CTES = """
score_range AS MATERIALIZED (  -- per model: its scores' range, binned without a freq row
    SELECT source, MIN(score) AS lo, MAX(score) AS hi, COUNT(score) AS n
    FROM boxes WHERE source <> $gt GROUP BY source),
score_hist AS (  -- the same bins as ``hist`` (same lo, hi and width), counted from the boxes
    SELECT {src} + 3 * {i} + 2 AS f, bin, n FROM (
        SELECT b.source, LEAST(COALESCE(TRY_CAST(FLOOR((b.score - r.lo) / {width}) AS INTEGER),
                   {last_bin}), {last_bin}) AS bin,
               COUNT(*) AS n
        FROM boxes b JOIN score_range r USING (source)
        WHERE b.score IS NOT NULL GROUP BY ALL)),
"""
"""Prediction scores are nearly all distinct: as ``freq`` rows (one per distinct value) they
were most of the facets' time (400K of 400K scores distinct at 100K images: 438 of 526 ms).
Their facet's range comes from ``score_range`` (two ``freq`` rows: the lowest score with
the count, the highest with 0) and its bins from ``score_hist``, computed with the range
and width formula of ``hist``: the same numbers."""
_SCORE_FREQ = (  # predictions only: ground truth has no score facet
    "SELECT {src} + 3 * {i} + 2, {num}, NULL, lo, n FROM score_range WHERE n > 0 "
    "UNION ALL SELECT {src} + 3 * {i} + 2, {num}, NULL, hi, 0 FROM score_range WHERE n > 0"
)
_SCORE_BINNED = " AND q.f NOT IN (SELECT f FROM score_hist)"
_SCORE_HIST_ROWS = "\nUNION ALL SELECT 'h', f, NULL, n, NULL, NULL, bin FROM score_hist"
_ATTRS_CTE = """
attrs AS (
    SELECT json_extract_string(COALESCE(attributes, '{{}}'), $attr_paths::VARCHAR[]) AS ax
    FROM annotations a
    WHERE a.dataset_id = $ds{only_filtered}),
"""
_ATTRS_FREQ = (  # named: the first branch without facets 0-3 and fields
    "SELECT {attr} + j - 1 AS f, {json} AS k, v AS sv, "
    "CASE WHEN isfinite(TRY_CAST(v AS DOUBLE)) THEN TRY_CAST(v AS DOUBLE) END AS nv, "
    "COUNT(*) AS n FROM "
    "(SELECT unnest(ax) AS v, generate_subscripts(ax, 1) AS j FROM attrs) GROUP BY j, v"
)


def samples_table_sql(
    where: str, fields: list[str], sample_columns: bool = True
) -> tuple[str, list[Any]]:
    """The query of the filtered samples' columns that facets read, and its leading
    parameters (the filter's follow): names and paths, most of a sample's bytes, are left
    out, and the JSON fields are parsed once for all keys (column ``fx``).
    ``sample_columns``: False reads only the ids and the fields (the box index answers
    the rest)."""
    columns = "s.sample_id, s.split, s.width, s.height, s.tags" if sample_columns else "s.sample_id"
    if not fields:
        return f"SELECT {columns} FROM samples s WHERE {where}", []  # noqa: S608 - compiled
    fx = "json_extract_string(COALESCE(s.fields, '{}'), ?::VARCHAR[]) AS fx"
    sql = f"SELECT {columns}, {fx} FROM samples s WHERE {where}"  # noqa: S608 - compiled
    return sql, [[json_pointer(k) for k in fields]]


def facets_sql(
    n_fields: int,
    dataset_id: int,
    sources: list[str],
    attributes: list[str],
    total: int,
    whole_dataset: bool = False,
    some_sources: bool = False,
    sample_columns: bool = True,
) -> tuple[str, dict[str, Any]]:
    """The statement computing every facet over ``_facet_samples`` (``total`` rows), and its
    parameters. Facets 0-3 are split, width, height and tags, ``4 .. 3 + n_fields`` the
    fields; then, from ``first = 4 + n_fields``, per source ``first + 3*i`` its labels,
    ``+1`` its box counts, ``+2`` its scores (predictions only); then the attributes.
    ``whole_dataset``: the filter selects every sample of the dataset, so that all the
    dataset's boxes count without a join (a third of the unfiltered facets' time).
    ``some_sources``: ``sources`` is not every source of the dataset (one facet computed
    again for multi-pick), so only those sources' boxes are read. ``sample_columns``: False
    leaves facets 0-3 out (they come from the box index: :mod:`.facet_indexed`)."""
    first = 4 + n_fields
    numbers = {"src": first, "attr": first + 3 * len(sources)}
    params: dict[str, Any] = {}
    freq = list(_SAMPLE_FREQ if sample_columns else [])
    freq += [_FIELDS_FREQ] if n_fields else []
    ctes = ""
    if sources or attributes:
        params["ds"] = dataset_id
    if sources:
        ctes = _BOX_CTES
        freq += _BOX_FREQ
        params.update(sources=sources, total=total)
    binned = any(source != GROUND_TRUTH for source in sources)
    if binned:
        ctes += _SCORE_CTES
        freq.append(_SCORE_FREQ)
        params["gt"] = GROUND_TRUTH
    if attributes:
        ctes += _ATTRS_CTE
        freq.append(_ATTRS_FREQ)
        params["attr_paths"] = [json_pointer(k) for k in attributes]
    only_filtered = "" if whole_dataset else _ONLY_FILTERED
    only_sources = _ONLY_SOURCES if some_sources else ""
    fixed = {
        "only_filtered": only_filtered,
        "only_sources": only_sources,
        "bins": FACET_HISTOGRAM_BINS,
        "width": bin_width_sql("r.lo", "r.hi"),
        "last_bin": FACET_HISTOGRAM_BINS - 1,
        "i": _SOURCE_INDEX,
        **numbers,
    }
    ctes = ctes.format(**fixed)
    return "WITH " + ctes + summary_sql(freq, numbers, binned), params


def summary_sql(freq: list[str], numbers: dict[str, int], binned: bool) -> str:
    """The statement's tail after its own CTEs: ``freq`` (the union of the branches
    formatted with the kinds and ``numbers``) and the range, value and bin rows of every
    facet in it. ``binned``: prediction scores are binned by ``score_hist``."""
    numbers = {"cat": CATEGORICAL, "num": NUMERIC, "json": JSON, **numbers}
    union = "\nUNION ALL ".join(branch.format(i=_SOURCE_INDEX, **numbers) for branch in freq)
    return _SUMMARY.format(
        union=union,
        top=MAX_CATEGORICAL_VALUES,
        bins=FACET_HISTOGRAM_BINS,
        width=bin_width_sql("r.lo", "r.hi"),
        last_bin=FACET_HISTOGRAM_BINS - 1,
        not_binned=_SCORE_BINNED if binned else "",
        binned=_SCORE_HIST_ROWS if binned else "",
        **numbers,
    )
