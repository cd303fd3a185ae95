"""Per-dataset facet keys: the ``fields`` keys, ``attributes`` keys and box sources.

Facets are computed over the samples a filter selects, but *which* facets there are is a
property of the whole dataset: every top-level key of ``samples.fields``, every top-level key
of ``annotations.attributes`` and every ``annotations.source``. Finding them takes a pass over
every sample and every box of the dataset (JSON parsing included), which used to run on
every facet request. They only change when the writer adds or replaces rows, so they are stored in ``facet_keys``
(one row per dataset) in the same transaction as the rows, by the registry of derived
structures (:mod:`..derived`): :func:`refresh_facet_keys` after an ingest or a model's
predictions, :func:`patch_facet_keys` after the boxes of a few samples were replaced.
Writers never call them. Catalogs written before this table existed are filled in by
migration step 3 (:func:`backfill_facet_keys`), and a dataset without a row is still
served, by computing the keys on the fly.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..store.registry import register_step
from .facet_sql import MAX_FIELD_FACETS

# The lists are sorted by DuckDB (``list(... ORDER BY ...)``), i.e. in the order the facets
# have always been listed in.
_KEYS_SQL = """
    SELECT
        (SELECT COALESCE(list(k ORDER BY k), []::VARCHAR[]) FROM (
            SELECT DISTINCT unnest(json_keys(fields)) AS k FROM samples
            WHERE dataset_id = $ds AND fields IS NOT NULL)),
        (SELECT COALESCE(list(k ORDER BY k), []::VARCHAR[]) FROM (
            SELECT DISTINCT unnest(json_keys(attributes)) AS k FROM annotations
            WHERE dataset_id = $ds AND attributes IS NOT NULL)),
        (SELECT COALESCE(list(source ORDER BY source), []::VARCHAR[]) FROM (
            SELECT DISTINCT source FROM annotations WHERE dataset_id = $ds))
"""


@dataclass(frozen=True)
class FacetKeys:
    """The keys that facets exist for, each list sorted."""

    fields: list[str]
    attributes: list[str]
    sources: list[str]


def facet_keys(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> FacetKeys:
    """The stored facet keys of a dataset, or (no row yet) the keys computed from its rows."""
    rows = cur.execute(
        "SELECT field_keys, attribute_keys, sources FROM facet_keys WHERE dataset_id = ?",
        [dataset_id],
    ).fetchall()
    if not rows:
        rows = cur.execute(_KEYS_SQL, {"ds": dataset_id}).fetchall()
    fields, attributes, sources = rows[0]
    return FacetKeys(list(fields), list(attributes), list(sources))


def shown_facet_keys(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> FacetKeys:
    """The keys facets are computed for: every source, the first ``MAX_FIELD_FACETS``
    fields and attribute keys."""
    keys = facet_keys(cur, dataset_id)
    fields, attributes = keys.fields[:MAX_FIELD_FACETS], keys.attributes[:MAX_FIELD_FACETS]
    return FacetKeys(fields, attributes, keys.sources)


def refresh_facet_keys(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Recompute a dataset's stored facet keys from its rows; call inside ``Catalog.write``."""
    cur.execute("DELETE FROM facet_keys WHERE dataset_id = ?", [dataset_id])
    cur.execute(
        f"INSERT INTO facet_keys SELECT $ds, * FROM ({_KEYS_SQL})",  # noqa: S608 - fixed SQL
        {"ds": dataset_id},
    )


def patch_facet_keys(cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: list[int]) -> None:
    """After the boxes of the sample ids ``samples`` were replaced (inside that write):
    add the sources and attribute keys of their new boxes, and drop those no box has any
    more (a ``LIMIT 1`` probe per key the new boxes lack, not a pass over every box)."""
    stored = cur.execute(
        "SELECT field_keys, attribute_keys, sources FROM facet_keys WHERE dataset_id = ?",
        [dataset_id],
    ).fetchall()
    if not stored:
        refresh_facet_keys(cur, dataset_id)
        return
    fields, attributes, sources = stored[0]
    ((new_attributes, new_sources),) = cur.execute(
        """
        SELECT (SELECT COALESCE(list(DISTINCT k), []::VARCHAR[]) FROM (
                    SELECT unnest(json_keys(attributes)) AS k FROM annotations
                    WHERE dataset_id = $ds AND sample_id IN (SELECT unnest($samples))
                      AND attributes IS NOT NULL)),
               (SELECT COALESCE(list(DISTINCT source), []::VARCHAR[]) FROM annotations
                WHERE dataset_id = $ds AND sample_id IN (SELECT unnest($samples)))
        """,
        {"ds": dataset_id, "samples": samples},
    ).fetchall()

    def kept(old: list[str], new: list[str], probe: str) -> list[str]:
        still = [k for k in old if k not in new and cur.execute(probe, [dataset_id, k]).fetchall()]
        return sorted({*new, *still})  # code point order: DuckDB's VARCHAR order

    attributes = kept(
        list(attributes),
        list(new_attributes),
        "SELECT 1 FROM annotations WHERE dataset_id = ? AND attributes IS NOT NULL "
        "AND list_contains(json_keys(attributes), ?) LIMIT 1",
    )
    sources = kept(
        list(sources),
        list(new_sources),
        "SELECT 1 FROM annotations WHERE dataset_id = ? AND source = ? LIMIT 1",
    )
    cur.execute("DELETE FROM facet_keys WHERE dataset_id = ?", [dataset_id])
    cur.execute(
        "INSERT INTO facet_keys VALUES (?, ?, ?, ?)", [dataset_id, fields, attributes, sources]
    )


def backfill_facet_keys(cur: duckdb.DuckDBPyConnection) -> None:
    """Store the keys of every dataset that has no row (catalogs from before the table)."""
    missing = cur.execute(
        "SELECT dataset_id FROM datasets WHERE dataset_id NOT IN "
        "(SELECT dataset_id FROM facet_keys) ORDER BY dataset_id"
    ).fetchall()
    for (dataset_id,) in missing:
        refresh_facet_keys(cur, int(dataset_id))


register_step(
    3, "store the facet keys of datasets written before the facet_keys table", backfill_facet_keys
)
