"""Facets of the labels beyond the box: label types, mask areas, keypoint counts and
image-level classifications, per source.

Entries (each with its ``source``), over the filtered samples:

* ``label_type`` (categorical): ``mask`` / ``keypoints``, the objects that have one, and
  ``classification``, the image-level labels;
* ``mask_area``, ``num_keypoints`` and ``visible_keypoints`` (numeric): the objects' mask
  areas, labelled keypoints (v > 0) and visible ones (v = 2), binned like the box facets (:func:`.facet_entries.numeric_entry`);
* ``classification`` (categorical): the image-level labels by class, most frequent first;
* ``classification_score`` (numeric, models): their scores.

A source with none of these labels has no entry: a dataset without them (one ingested
before schema step 6 with boxes only included; step 16 measured its COCO masks) answers an
empty list. The unfiltered view's entries are
stored by the writer as the ``labels`` facet part (:mod:`..sql.facet_parts`), refreshed with
the rows they count; a dataset without that part (written before it existed, or whose part
migration step 8 or 16 dropped) is counted from its rows. An empty stored part answers every filter at once (most datasets have boxes
only: their facets requests pay one small read); others, one statement over the samples
table of the facets request.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from ...records.label_kinds import FILTER_WORDS, presence_sql
from ..derived import Change, Kind, Structure, Written, register_structure
from ..derived.sql_structures import FACET_PARTS
from ..indexes.filtered_samples import FilteredSamples
from ..plan.facets import register_facet_provider
from ..query.facet_places import FacetPlace
from ..query.filters import VISIBLE_KEYPOINTS_SQL
from ..sql.facet_entries import numeric_entry
from ..sql.facet_parts import store_part, stored_parts
from ..sql.facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES, bin_width_sql
from ..store.catalog import Catalog
from ..store.labels_position import labels_position
from ..store.registry import register_step

PART = "labels"
"""The ``facet_parts`` part of these facets over the whole dataset."""
NUMERIC_FACETS = ("mask_area", "num_keypoints", "visible_keypoints", "classification_score")

_LAST_BIN = FACET_HISTOGRAM_BINS - 1
# One flag and one count per object kind a filter can ask for (labels.type): its facet value
# is its filter word, counted over the objects that have it.
_HAS_KIND = ", ".join(f"{presence_sql(k)} AS has_{k.name}" for k in FILTER_WORDS.values())
_KINDS = list(FILTER_WORDS.values())
# The objects with a label beyond the box: one branch per kind, each leaving out the objects
# of the kinds before it. A bare "IS NOT NULL" lets DuckDB skip the row groups whose column
# is all NULL (a dataset of boxes with a few masks: 2 ms at 7M objects), an OR of them
# reads every row (23 ms).
_OBJS = "\n    UNION ALL ".join(
    f"SELECT a.sample_id, a.source, a.mask_area, a.num_keypoints, {_HAS_KIND}, "  # noqa: S608 - declared kinds
    f"{VISIBLE_KEYPOINTS_SQL} AS visible_keypoints FROM annotations a WHERE a.dataset_id = $ds "
    f"AND {' AND '.join([presence_sql(k), *(f'NOT ({presence_sql(p)})' for p in _KINDS[:i])])}"
    " {only_filtered}"
    for i, k in enumerate(_KINDS)
)
_CLS = (
    "SELECT c.sample_id, c.source, c.label, c.score FROM classifications c "
    "WHERE c.dataset_id = $ds {only_filtered}"
)
MASKED_ROWS = 200_000
"""Up to this many labelled objects and image labels in the dataset, a filter given as the
box index's mask keeps them in memory (:func:`label_facet_entries`) rather than joining the
filter's samples in SQL (a hash of every filtered sample: 40 ms at 1M images)."""
_TYPE_COUNTS = "\n    UNION ALL ".join(
    f"SELECT source, '{word}' AS value, COUNT(*) FILTER (WHERE has_{k.name}) AS n "  # noqa: S608 - declared words
    "FROM objs GROUP BY source"
    for word, k in FILTER_WORDS.items()
)
_SQL = f"""
WITH objs AS MATERIALIZED ({{objs}}),
cls AS MATERIALIZED ({{cls}}),
vals AS (
    SELECT 'mask_area' AS name, source, mask_area AS v FROM objs WHERE mask_area IS NOT NULL
    UNION ALL SELECT 'num_keypoints', source, num_keypoints::DOUBLE FROM objs
        WHERE num_keypoints IS NOT NULL
    UNION ALL SELECT 'visible_keypoints', source, visible_keypoints::DOUBLE FROM objs
        WHERE visible_keypoints IS NOT NULL
    UNION ALL SELECT 'classification_score', source, score FROM cls WHERE score IS NOT NULL),
ranges AS MATERIALIZED (
    SELECT name, source, COUNT(*) AS n, MIN(v) AS lo, MAX(v) AS hi FROM vals GROUP BY ALL),
hist AS (  -- the bins of the box facets: the same width, the last bin capped
    SELECT v.name, v.source,
           LEAST(COALESCE(TRY_CAST(FLOOR((v.v - r.lo) / {bin_width_sql("r.lo", "r.hi")})
                 AS INTEGER), {_LAST_BIN}), {_LAST_BIN}) AS bin,
           COUNT(*) AS n
    FROM vals v JOIN ranges r USING (name, source) GROUP BY ALL)
SELECT 'r' AS kind, name, source, NULL AS value, n, lo, hi FROM ranges
UNION ALL SELECT 'h', name, source, NULL, n, NULL, bin FROM hist
UNION ALL SELECT 't', 'label_type', source, t.value, t.n, NULL, NULL FROM (
    {_TYPE_COUNTS}
    UNION ALL SELECT source, 'classification', COUNT(*) FROM cls GROUP BY source) t
    WHERE t.n > 0
UNION ALL SELECT 'c', 'classification', source, label, COUNT(*), NULL, NULL FROM cls
    GROUP BY ALL
"""  # noqa: S608 - fixed SQL, values bound
_ONLY_FILTERED = "AND {alias}.sample_id IN (SELECT sample_id FROM {table})"
_TYPE_ORDER = {word: i for i, word in enumerate([*FILTER_WORDS, "classification"])}


def label_facet_entries(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    samples_table: str,
    *,
    filtered: FilteredSamples | None = None,
) -> list[dict[str, Any]]:
    """The facets of the module docstring over the samples of ``samples_table`` (a fixed
    identifier, the facets request's); the stored part when they are every sample."""
    if not samples_table.isidentifier():
        raise ValueError(f"not a table name: {samples_table!r}")
    # a saved version's read counts its own rows: the stored part is of the current labels
    found = None if labels_position() is not None else stored_parts(cur, dataset_id, [PART])
    stored = None if found is None else found[PART]
    if stored == []:  # no such label in the dataset (the part is exact): none in any filter
        return []
    if filtered is not None and filtered.mask.all():
        return stored if stored is not None else label_entries(cur, dataset_id, None)
    if filtered is not None and stored is not None and _rows_counted(stored) <= MASKED_ROWS:
        masked = _masked_entries(cur, dataset_id, filtered)  # no SQL over the samples
        if masked is not None:
            return masked
    if filtered is not None:
        filtered.register(cur, samples_table)
    if _whole_dataset(cur, dataset_id, samples_table):
        return stored if stored is not None else label_entries(cur, dataset_id, None)
    return label_entries(cur, dataset_id, samples_table)


def label_entries(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str | None
) -> list[dict[str, Any]]:
    """The entries counted from the rows: of the samples in ``samples_table``, or of the
    whole dataset (None)."""
    only_a = only_c = ""
    if samples_table is not None:
        only_a = _ONLY_FILTERED.format(alias="a", table=samples_table)
        only_c = _ONLY_FILTERED.format(alias="c", table=samples_table)
    sql = _SQL.format(
        objs=_OBJS.format(only_filtered=only_a), cls=_CLS.format(only_filtered=only_c)
    )
    rows = cur.execute(sql, {"ds": dataset_id}).fetchall()
    return _entries(rows)


def _rows_counted(stored: list[dict[str, Any]]) -> int:
    """The labelled objects and image labels of the whole dataset, at most: its stored
    ``label_type`` counts (an object of two kinds counted twice)."""
    return sum(v["count"] for e in stored if e["name"] == "label_type" for v in e["values"])


def _masked_entries(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, filtered: FilteredSamples
) -> list[dict[str, Any]] | None:
    """The entries of the filtered samples from the dataset's labelled rows kept by the
    box index's mask; None when a row's sample is not in the index (a newer sample)."""
    kept = []
    for rows_sql in (_OBJS, _CLS):
        table = cur.sql(
            rows_sql.format(only_filtered=""), params={"ds": dataset_id}
        ).to_arrow_table()
        positions = filtered.samples.positions(table.column("sample_id").to_numpy())
        if positions is None:
            return None
        kept.append(table.filter(pa.array(filtered.mask[positions], pa.bool_())))
    cur.register("_label_objs", kept[0])
    cur.register("_label_cls", kept[1])
    try:
        sql = _SQL.format(objs="SELECT * FROM _label_objs", cls="SELECT * FROM _label_cls")
        return _entries(cur.execute(sql).fetchall())
    finally:
        cur.unregister("_label_objs")
        cur.unregister("_label_cls")


def _entries(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Entries by source (ground truth first, then models by name), then facet."""
    ranges: dict[tuple[str, str], tuple[int, Any, Any]] = {}
    bins: dict[tuple[str, str], dict[int, int]] = {}
    values: dict[tuple[str, str], list[tuple[Any, int]]] = {}
    for kind, name, source, value, n, lo, hi in rows:
        key = (name, source)
        if kind == "r":
            ranges[key] = (int(n), lo, hi)
        elif kind == "h":
            bins.setdefault(key, {})[int(hi)] = int(n)
        else:
            values.setdefault(key, []).append((value, int(n)))
    sources = sorted({s for _, s in [*ranges, *values]}, key=_source_order)
    out: list[dict[str, Any]] = []
    for source in sources:
        types = values.get(("label_type", source))
        if types:
            types.sort(key=lambda v: _TYPE_ORDER[v[0]])
            out.append(_categorical("label_type", source, types))
        for name in NUMERIC_FACETS:
            found = ranges.get((name, source))
            if found is not None:
                entry = numeric_entry(name, *found, bins.get((name, source), {}))
                out.append({**entry, "source": source})
        labels = values.get(("classification", source))
        if labels:
            labels.sort(key=lambda v: (-v[1], v[0]))
            out.append(_categorical("classification", source, labels[:MAX_CATEGORICAL_VALUES]))
    return out


def _categorical(name: str, source: str, counts: list[tuple[Any, int]]) -> dict[str, Any]:
    return {
        "name": name,
        "type": "categorical",
        "values": [{"value": v, "count": n} for v, n in counts],
        "source": source,
    }


def _source_order(source: str) -> tuple[bool, str]:
    return source != "ground_truth", source


def _whole_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str) -> bool:
    ((n_filtered,),) = cur.execute(f"SELECT COUNT(*) FROM {samples_table}").fetchall()  # noqa: S608 - checked identifier
    ((n_dataset,),) = cur.execute(
        "SELECT COUNT(*) FROM samples WHERE dataset_id = ?", [dataset_id]
    ).fetchall()
    return bool(n_filtered == n_dataset)


def _store_part(_: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written) -> None:
    """The whole dataset's entries, stored in the write that changed the rows they count."""
    store_part(cur, change.dataset_id, PART, label_entries(cur, change.dataset_id, None))


def drop_stored_parts(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 8 (and step 16): drop every dataset's stored label facet part, so
    catalogs written before ``visible_keypoints`` (or before mask areas) facet them too:
    their label facets are counted from the rows, and the next write of a dataset's labels
    stores its part again. Not counted here: :func:`label_entries` reads every label column
    of today's schema, which later steps add (``obb`` is step 17's), so a recount inside a
    migration from version 6-15 failed and left the catalog unopenable."""
    cur.execute("DELETE FROM facet_parts WHERE part = ?", [PART])


def install() -> None:
    """Register the facets and their stored part (on import)."""
    register_facet_provider(
        label_facet_entries,
        takes_filtered=True,
        multi_pick=("label_type", "classification", "classification_score"),
        places=(
            # object types of a labels entry and, for "classification", its classifications entry
            FacetPlace("label_type", "labels.type", "labels"),
            *(
                FacetPlace(name, "labels.where", "objects")
                for name in ("mask_area", "num_keypoints", "visible_keypoints")
            ),
            FacetPlace("classification", "classifications.classes", "image labels"),
            FacetPlace("classification_score", "classifications.score", "image labels"),
        ),
    )
    register_structure(
        Structure(
            "label facet part",
            frozenset(
                {
                    Kind.SAMPLES_ADDED,
                    Kind.SAMPLES_REMOVED,
                    Kind.PREDICTIONS,
                    Kind.LABELS,
                    Kind.IMAGE_LABELS,
                }
            ),  # fmt: skip
            _store_part,
            after=(FACET_PARTS,),
        )
    )
    register_step(8, "facet the visible keypoints of stored label facets", drop_stored_parts)


install()
