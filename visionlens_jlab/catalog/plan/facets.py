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
from typing import Any, Protocol, cast

import duckdb

from ..indexes.box_index import box_index
from ..indexes.field_columns import field_columns
from ..indexes.filtered_samples import FilteredSamples
from ..query.facet_places import FacetPlace, described, register_facet_places
from ..query.filter_parser import parse_filter
from ..query.filters import CompiledFilter, compile_filter, compile_parsed
from ..sql.facet_compute import facets_over
from ..sql.facet_exclusion import OwnCondition, own_conditions
from ..sql.facet_keys import FacetKeys, shown_facet_keys
from ..sql.facet_parts import part_of, read_parts, stored_parts, write_parts
from ..sql.facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES, MAX_FIELD_FACETS
from ..store.catalog import Catalog
from ..store.request_reads import reads_once
from ..store.result_cache import Version, filter_key, same_filter
from ..tables.labels_view import labels_at
from .facet_indexed import indexed_facets
from .planner import Plan, Strategy, forced, plan_facets

__all__ = [
    "FACET_HISTOGRAM_BINS",
    "MAX_CATEGORICAL_VALUES",
    "MAX_FIELD_FACETS",
    "FacetProvider",
    "facets",
    "register_facet_provider",
    "unregister_facet_provider",
]

FacetProvider = Callable[[duckdb.DuckDBPyConnection, int, str], list[dict[str, Any]]]
_FACET_PROVIDERS: list[FacetProvider] = []
_TAKES_FILTERED: set[FacetProvider] = set()  # the providers called with ``filtered``
_MULTI_PICK: dict[str, FacetProvider] = {}  # facet name -> the provider counting it


class FilteredFacetProvider(Protocol):
    """A provider registered with ``takes_filtered``: also given the samples as a mask."""

    def __call__(
        self,
        cur: duckdb.DuckDBPyConnection,
        dataset_id: int,
        samples_table: str,
        *,
        filtered: FilteredSamples | None = None,
    ) -> list[dict[str, Any]]: ...


def register_facet_provider(
    provider: FacetProvider,
    takes_filtered: bool = False,
    multi_pick: tuple[str, ...] = (),
    places: tuple[FacetPlace, ...] = (),
) -> None:
    """Let an engine module add facets (e.g. evaluation status).

    ``provider(cur, dataset_id, samples_table)`` runs on the facets' cursor, where
    ``samples_table`` names a table of the filtered samples (column ``sample_id``). With
    ``takes_filtered`` it is called with the keyword ``filtered``: the same samples as a
    :class:`.filtered_samples.FilteredSamples` mask when the box index answered, else None;
    given a mask, the provider calls ``filtered.register(cur, samples_table)`` before it
    reads the table (registering costs milliseconds that a provider answering from the
    mask, or with nothing to count, need not pay). ``multi_pick``: the provider's facets
    that :func:`.facet_exclusion.own_conditions` names, counted without their own
    condition like the built-in ones (over the samples of the wider filter). ``places``:
    where the provider's facets filter and what they count (:mod:`..query.facet_places`).
    """
    register_facet_places(*places)
    if provider not in _FACET_PROVIDERS:
        _FACET_PROVIDERS.append(provider)
        if takes_filtered:
            _TAKES_FILTERED.add(provider)
    for name in multi_pick:
        _MULTI_PICK[name] = provider


def unregister_facet_provider(provider: FacetProvider) -> None:
    """Remove a provider registered by :func:`register_facet_provider` (a test's own)."""
    if provider in _FACET_PROVIDERS:
        _FACET_PROVIDERS.remove(provider)
    _TAKES_FILTERED.discard(provider)
    for name in [n for n, p in _MULTI_PICK.items() if p is provider]:
        del _MULTI_PICK[name]


def facets(
    catalog: Catalog, dataset: str, spec: dict[str, Any] | None, version: int | None = None
) -> dict[str, Any]:
    """Value counts of categorical fields and histograms of numeric ones, over ``spec``'s samples.

    Covers the sample columns, every ``fields.<key>``, tags, label classes per source, the
    prediction score per model, ``attributes.<key>`` of boxes, and boxes per sample. A
    facet the filter conditions on is counted without its own condition (multi-pick, see
    :mod:`.facet_exclusion`): only that facet is computed again, over the wider filter,
    or taken from the cached answer of the wider filter (usually the unfiltered view's).
    Answers are cached until the next write (:mod:`.result_cache`). ``version``: count
    the labels as they were at that saved version (:mod:`..tables.labels_view`).
    """
    with (
        catalog.cursor() as cur,
        reads_once(cur),  # each small read once: request_reads.py
        labels_at(catalog, cur, dataset, version),
    ):
        dataset_id = catalog.dataset_id(cur, dataset)
        # before the first statement on the dataset's rows: see result_cache.py
        written = catalog.version_of(dataset_id)
        flt = compile_parsed(dataset_id, parse_filter(spec), shortcuts=not forced())
        key = filter_key("facets", dataset_id, flt)
        cached = catalog.results.get(key, written)
        if cached is not None:
            return cached
        keys = shown_facet_keys(cur, dataset_id)
        filtered: list[FilteredSamples] = []  # the index's mask, when it answered
        plan = plan_facets(flt.model)
        if plan.routes[0].strategy is Strategy.STORED_PARTS:
            out, total = _whole_dataset(catalog, cur, dataset_id, keys)
        else:
            out, total = _filtered(catalog, cur, dataset_id, flt, plan, keys, on_mask=filtered)
        built_in = {(f["name"], f.get("source")) for f in out if f}
        mask = filtered[0] if filtered else None  # else the samples table is registered
        for provider in _FACET_PROVIDERS:
            if provider in _TAKES_FILTERED:
                with_mask = cast(FilteredFacetProvider, provider)
                out.extend(with_mask(cur, dataset_id, "_facet_samples", filtered=mask))
            else:
                if mask is not None:
                    mask.register(cur, "_facet_samples")
                out.extend(provider(cur, dataset_id, "_facet_samples"))
        for own in own_conditions(flt.model):
            if (own.name, own.source) in built_in:
                entry = _wider_facet(catalog, cur, dataset_id, own, written)
            elif own.name in _MULTI_PICK:  # a provider's facet that says it is multi-pick
                entry = _wider_provided(catalog, cur, dataset_id, own, written)
            else:  # other provider facets: plain semantics
                continue
            if entry is None:
                continue
            same = [bool(f) and _names(f) == (own.name, own.source, own.model) for f in out]
            # a provider leaves out a facet with nothing to count: the wider one goes last
            out = [entry if hit else f for f, hit in zip(out, same, strict=True)]
            if not any(same):
                out.append(entry)
    answer = {"total": total, "facets": [described(f) for f in out if f]}
    catalog.results.put(key, written, answer)
    catalog.results.put(same_filter(key, "total"), written, total)
    return answer


def _filtered(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: CompiledFilter,
    plan: Plan,
    keys: FacetKeys,
    some_sources: bool = False,
    on_mask: list[FilteredSamples] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The built-in facets of ``flt``'s samples by the first route of ``plan`` that
    answers: the in-memory box index (:mod:`.facet_indexed`, the same numbers) when it
    holds them, else the SQL; ``some_sources``: only ``keys.sources``' facets are wanted;
    ``on_mask``: gets the index's mask of the samples when the index answered."""
    if plan.routes[0].strategy is Strategy.MASK:
        boxes = box_index(catalog, cur, dataset_id)
        if boxes is not None:
            only_sources = some_sources and bool(keys.sources)
            field_cols = field_columns(catalog, cur, dataset_id)
            masks: list[FilteredSamples] = []
            fast = indexed_facets(
                catalog, cur, dataset_id, flt.model, keys.fields, keys.sources,
                keys.attributes, boxes, field_cols, only_sources, masks.append,
            )  # fmt: skip
            if fast is not None:
                if on_mask is not None:
                    on_mask.extend(masks)
                return fast
    return facets_over(
        cur, dataset_id, flt, keys.fields, keys.sources, keys.attributes, some_sources
    )


def _whole_dataset(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, keys: FacetKeys
) -> tuple[list[dict[str, Any]], int]:
    """The built-in facets of the unfiltered view from the writer's pre-aggregates
    (:mod:`.facet_parts`), rebuilt first if a part is missing; the dataset's sample ids
    stay registered as ``_facet_samples`` for the providers."""
    ids = cur.sql(
        "SELECT sample_id FROM samples WHERE dataset_id = ?", params=[dataset_id]
    ).to_arrow_table()
    entries = read_parts(cur, dataset_id, keys)
    if entries is None and not catalog.read_only:
        # computed inside the write that stores it: the parts match the rows they count
        with catalog.write_derived(dataset_id) as wcur:
            entries = write_parts(wcur, dataset_id, keys)
    if entries is None:  # a read-only catalog: computed, not stored
        flt = compile_filter(dataset_id, None)
        entries, _ = facets_over(cur, dataset_id, flt, keys.fields, keys.sources, keys.attributes)
        cur.unregister("_facet_samples")
    cur.register("_facet_samples", ids)
    return entries, ids.num_rows


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
    flt = compile_parsed(dataset_id, own.reduced, shortcuts=not forced())
    wider = catalog.results.get(filter_key("facets", dataset_id, flt), version)
    if wider is None and flt.whole_dataset:  # the writer's pre-aggregate of that facet
        part = part_of({"name": name, "source": source})
        stored = stored_parts(cur, dataset_id, [part])
        if stored is not None:
            wider = {"facets": stored[part]}
    if wider is None:
        key = filter_key("facet", dataset_id, flt, name, source)
        single = catalog.results.get(key, version)
        if single is not None:
            return single
        only_fields = [name[7:]] if name.startswith("fields.") else []
        sources = [source] if source else []
        plan = plan_facets(flt.model, stored=False)
        wider, _ = _filtered(
            catalog, cur, dataset_id, flt, plan, FacetKeys(only_fields, [], sources), True
        )
        entry = next(
            (e for e in wider if e and (e["name"], e.get("source")) == (name, source)), None
        )
        catalog.results.put(key, version, entry)
        return entry
    facets_list = wider["facets"]
    return next((e for e in facets_list if (e["name"], e.get("source")) == (name, source)), None)


def _wider_provided(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    own: OwnCondition,
    version: Version,
) -> dict[str, Any] | None:
    """A multi-pick provider's facet ``own`` over the filter without its own condition:
    the provider called on the samples of that filter (cached alone)."""
    flt = compile_parsed(dataset_id, own.reduced, shortcuts=not forced())
    key = filter_key("facet", dataset_id, flt, own.name, own.source, own.model)
    cached = catalog.results.get(key, version)
    if cached is not None:
        return cached
    table = "_facet_wider"
    ids = cur.sql(
        f"SELECT s.sample_id FROM samples s WHERE {flt.where}",  # noqa: S608 - compiled filter
        params=flt.params,
    ).to_arrow_table()
    cur.register(table, ids)
    provider = _MULTI_PICK[own.name]
    entries = provider(cur, dataset_id, table)  # ``filtered`` defaults to None: the table
    cur.unregister(table)
    entry = next((e for e in entries if _names(e) == (own.name, own.source, own.model)), None)
    catalog.results.put(key, version, entry)
    return entry


def _names(facet: dict[str, Any]) -> tuple[Any, Any, Any]:
    """What tells a facet from the others: its name, source and model (a tracking
    evaluation's facets come one set per model)."""
    return facet["name"], facet.get("source"), facet.get("model")
