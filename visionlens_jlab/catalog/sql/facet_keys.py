"""Per-dataset facet keys: the ``fields`` keys, ``attributes`` keys and box sources.

Facets are computed over the samples a filter selects, but *which* facets there are is a
property of the whole dataset: every top-level key of ``samples.fields``, every top-level key
of ``annotations.attributes`` and every ``annotations.source``. Finding them takes a pass over
every sample and every box of the dataset (JSON parsing included), which used to run on
every facet request. They only change when the writer adds or replaces rows, so the writer
stores them in ``facet_keys`` (one row per dataset) in the same transaction as the rows:

* :func:`~visionlens_jlab.catalog.writes.dataset_writer.write_dataset` in its final transaction;
* :func:`~visionlens_jlab.catalog.writes.dataset_writer.write_predictions` after replacing a model's boxes.

Any new code that inserts, deletes or updates samples' ``fields`` or annotations must call
:func:`refresh_facet_keys` in its transaction. Catalogs written before this table existed
are filled in by migration step 3 (:func:`backfill_facet_keys`), and a dataset without a
row is still served, by computing the keys on the fly.
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
