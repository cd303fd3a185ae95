"""Facets: value counts of categorical fields and histograms of numeric ones over a filter's samples.

Whatever the number of facets, the work is two statements on one cursor: one reads the
filtered samples' columns into Arrow, one computes every built-in facet from them and from
their boxes (:mod:`.facet_sql`); registered providers then add theirs. Which facets exist
(the ``fields`` and ``attributes`` keys, the box sources) is read from ``facet_keys``, which
the writer maintains (:mod:`.facet_keys`). This replaced two temp tables and some thirty
small queries (four per numeric facet, three per JSON key), whose fixed costs were most of
the time; the output is the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from .catalog import Catalog
from .facet_exclusion import OwnCondition, own_conditions
from .facet_keys import facet_keys
from .facet_sql import (
    CATEGORICAL,
    FACET_HISTOGRAM_BINS,
    JSON,
    MAX_CATEGORICAL_VALUES,
    NUMERIC,
    facets_sql,
    samples_table_sql,
)
from .filters import CompiledFilter, compile_filter
from .result_cache import Version, filter_key
from .schema import GROUND_TRUTH

__all__ = [
    "FACET_HISTOGRAM_BINS",
    "MAX_CATEGORICAL_VALUES",
    "MAX_FIELD_FACETS",
    "FacetProvider",
    "facets",
    "register_facet_provider",
]

MAX_FIELD_FACETS = 50

FacetProvider = Callable[[duckdb.DuckDBPyConnection, int, str], list[dict[str, Any]]]
_FACET_PROVIDERS: list[FacetProvider] = []


def register_facet_provider(provider: FacetProvider) -> None:
    """Let an engine module add facets (e.g. evaluation status).

    ``provider(cur, dataset_id, samples_table)`` runs on the facets' cursor, where
    ``samples_table`` names a table of the filtered samples (column ``sample_id``).
    """
    if provider not in _FACET_PROVIDERS:
        _FACET_PROVIDERS.append(provider)


@dataclass(frozen=True)
class _Facet:
    name: str
    kind: int
    source: str | None = None


def facets(catalog: Catalog, dataset: str, spec: dict[str, Any] | None) -> dict[str, Any]:
    """Value counts of categorical fields and histograms of numeric ones, over ``spec``'s samples.

    Covers the sample columns, every ``fields.<key>``, tags, label classes per source, the
    prediction score per model, ``attributes.<key>`` of boxes, and boxes per sample. A
    facet the filter conditions on is counted without its own condition (multi-pick, see
    :mod:`.facet_exclusion`): only that facet is computed again, over the wider filter,
    or taken from the cached answer of the wider filter (usually the unfiltered view's).
    Answers are cached until the next write (:mod:`.result_cache`).
    """
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        # before the first statement on the dataset's rows: see result_cache.py
        version = catalog.version_of(dataset_id)
        flt = compile_filter(dataset_id, spec)
        key = filter_key("facets", dataset_id, flt)
        cached = catalog.results.get(key, version)
        if cached is not None:
            return cached
        keys = facet_keys(cur, dataset_id)
        fields, attributes = keys.fields[:MAX_FIELD_FACETS], keys.attributes[:MAX_FIELD_FACETS]
        out, total = _facets_over(cur, dataset_id, flt, fields, keys.sources, attributes)
        built_in = {(f["name"], f.get("source")) for f in out if f}
        for provider in _FACET_PROVIDERS:
            out.extend(provider(cur, dataset_id, "_facet_samples"))
        for own in own_conditions(spec):
            if (own.name, own.source) not in built_in:  # provider facets: plain semantics
                continue
            entry = _wider_facet(catalog, cur, dataset_id, own, version)
            if entry is None:
                continue
            out = [
                entry if f and (f["name"], f.get("source")) == (own.name, own.source) else f
                for f in out
            ]
    answer = {"total": total, "facets": [f for f in out if f]}
    catalog.results.put(key, version, answer)
    catalog.results.put(filter_key("total", dataset_id, flt), version, total)
    return answer


def _wider_facet(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    own: OwnCondition,
    version: Version,
) -> dict[str, Any] | None:
    """Facet ``own`` over the filter without its own condition: from the cached facets
    answer of that filter when there is one (the same numbers: a facet is computed the same
    way alone or with the others), else computed alone (and cached alone)."""
    name, source = own.name, own.source
    flt = compile_filter(dataset_id, own.reduced)
    wider = catalog.results.get(filter_key("facets", dataset_id, flt), version)
    if wider is None:
        key = filter_key("facet", dataset_id, flt, name, source)
        single = catalog.results.get(key, version)
        if single is not None:
            return single
        only_fields = [name[7:]] if name.startswith("fields.") else []
        sources = [source] if source else []
        wider, _ = _facets_over(cur, dataset_id, flt, only_fields, sources, [], True)
        entry = next(
            (e for e in wider if e and (e["name"], e.get("source")) == (name, source)), None
        )
        catalog.results.put(key, version, entry)
        return entry
    facets_list = wider["facets"]
    return next((e for e in facets_list if (e["name"], e.get("source")) == (name, source)), None)


def _facets_over(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: CompiledFilter,
    fields: list[str],
    sources: list[str],
    attributes: list[str],
    some_sources: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """The built-in facets of ``flt``'s samples (sample columns and tags always, the given
    fields, sources and attributes), and how many samples; the samples stay registered as
    ``_facet_samples`` on ``cur`` for the providers. ``some_sources``: ``sources`` is a
    subset of the dataset's (only their boxes are read)."""
    # Arrow rather than a temp table: as fast to build, its row count is the total, and
    # nothing needs dropping after (the registration ends with the cursor).
    sql, params = samples_table_sql(flt.where, fields)
    samples = cur.sql(sql, params=[*params, *flt.params]).to_arrow_table()
    cur.register("_facet_samples", samples)
    sql, named = facets_sql(
        len(fields),
        dataset_id,
        sources,
        attributes,
        samples.num_rows,
        whole_dataset=flt.whole_dataset,
        some_sources=some_sources,
    )
    rows = cur.execute(sql, named).fetchall()
    return _assemble(_plan(fields, sources, attributes), rows), samples.num_rows


def _plan(fields: list[str], sources: list[str], attributes: list[str]) -> list[_Facet]:
    """The facets in output order; a facet's number ``f`` in the SQL is its index here."""
    plan = [
        _Facet("split", CATEGORICAL),
        _Facet("width", NUMERIC),
        _Facet("height", NUMERIC),
        _Facet("tags", CATEGORICAL),
    ]
    plan += [_Facet(f"fields.{k}", JSON) for k in fields]
    for source in sources:  # three numbers per source, the score's unused for ground truth
        plan += [
            _Facet("label", CATEGORICAL, source),
            _Facet("box_count", NUMERIC, source),
            _Facet("score", NUMERIC, source),
        ]
    plan += [_Facet(f"attributes.{k}", JSON) for k in attributes]
    return plan


def _assemble(plan: list[_Facet], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The facets in ``plan`` order from the rows of the :mod:`.facet_sql` statements."""
    ranges: dict[int, tuple[int, Any, Any, bool]] = {}
    counts: dict[int, list[tuple[int, Any, int]]] = {}
    hist: dict[int, dict[int, int]] = {}
    for row_type, f, sv, n, lo, hi, extra in rows:
        if row_type == "r":
            ranges[f] = (int(n), lo, hi, bool(extra))
        elif row_type == "c":
            counts.setdefault(f, []).append((int(extra), sv, int(n)))
        else:
            hist.setdefault(f, {})[int(extra)] = int(n)
    out: list[dict[str, Any]] = []
    for f, facet in enumerate(plan):
        if facet.name == "score" and facet.source == GROUND_TRUTH:
            continue
        count, lo, hi, numeric = ranges.get(f, (0, None, None, facet.kind == NUMERIC))
        if numeric:
            entry = _numeric(facet.name, count, lo, hi, hist.get(f, {}))
        else:
            values = sorted(counts.get(f, []), key=lambda c: c[0])
            entry = {
                "name": facet.name,
                "type": "categorical",
                "values": [{"value": v, "count": c} for _, v, c in values],
            }
        if facet.source is not None:
            entry["source"] = facet.source
        out.append(entry)
    return out


def _numeric(name: str, count: int, lo: Any, hi: Any, counts: dict[int, int]) -> dict[str, Any]:
    bins: list[dict[str, Any]] = []
    if count and lo is not None and hi is not None:
        lo, hi = float(lo), float(hi)
        # the same width as the SQL's, so that bin i is [lo + i*width, lo + (i+1)*width)
        width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
        n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
        bins = [
            {
                "lo": lo + i * width,
                "hi": lo + (i + 1) * width if hi > lo else hi,
                "count": counts.get(i, 0),
            }
            for i in range(n_bins)
        ]
    return {
        "name": name,
        "type": "numeric",
        "min": lo,
        "max": hi,
        "count": count,
        "histogram": bins,
    }
