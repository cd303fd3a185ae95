"""Pre-aggregated facets of a dataset's unfiltered view, kept exact by the writer.

The unfiltered facets (what the sidebar shows when a dataset opens, and after every write)
are a pass over every sample and box of the dataset: about a second at 1M images. They
only change when the rows they count change, so each writer stores the facets of what it
changed, in the transaction that changes the rows (table ``facet_parts``, one row per
dataset and part):

* ``samples``: split, width, height and the ``fields.<key>`` facets; written with the
  dataset (:func:`~visionlens_jlab.catalog.writes.dataset_writer.write_dataset`);
* ``tags``: the tags facet; recomputed by every tag update (one grouped pass over the
  dataset's tag lists, a small part of the update's own cost);
* ``source:<name>``: labels, boxes per sample and scores of one source; written with the
  dataset (ground truth) and with each model's predictions;
* ``attributes``: the ``attributes.<key>`` facets of every box; written with the dataset
  and with each model's predictions.

A part is computed by the very code of a filtered request (:func:`.facet_compute.facets_over`
over the whole dataset), so the numbers are the same. A write that does not say it keeps
the parts (``Catalog.write(keeps_derived=True)``) deletes them in its transaction; a dataset
without every part is answered from its rows and its parts are then rebuilt
(:func:`rebuild_parts`, also the path of catalogs written before this table existed).
"""

from __future__ import annotations

from typing import Any

import duckdb
import orjson

from ..query.filters import compile_filter
from ..store.token_cache import TAGS_PART, new_token, new_token_text
from .facet_compute import facets_over
from .facet_keys import FacetKeys, shown_facet_keys
from .facet_sql import MAX_CATEGORICAL_VALUES

_TAGS_SQL = (
    "SELECT t, COUNT(*) AS n FROM (SELECT unnest(tags) AS t FROM samples WHERE dataset_id = ?) "
    "GROUP BY t ORDER BY n DESC, t NULLS LAST LIMIT ?"
)
"""The tags facet as :mod:`.facet_sql` computes it (most frequent first, ties by value)."""


def part_of(entry: dict[str, Any]) -> str:
    """The part a built-in facet entry belongs to."""
    if entry.get("source") is not None:
        return f"source:{entry['source']}"
    name = entry["name"]
    if name == "tags":
        return "tags"
    return "attributes" if name.startswith("attributes.") else "samples"


def needed_parts(keys: FacetKeys) -> list[str]:
    """Every part of a dataset with these facet keys, in answer order."""
    return ["samples", "tags", *(f"source:{s}" for s in keys.sources), "attributes"]


def read_parts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, keys: FacetKeys
) -> list[dict[str, Any]] | None:
    """The built-in facets of the whole dataset in answer order, or None if a part is
    missing (never written, or dropped by a write that did not keep it)."""
    parts = stored_parts(cur, dataset_id, needed_parts(keys))
    if parts is None:
        return None
    samples = parts["samples"]  # split, width, height, then the fields: tags go between
    out = samples[:3] + parts["tags"] + samples[3:]
    for source in keys.sources:
        out += parts[f"source:{source}"]
    return out + parts["attributes"]


def stored_parts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, parts: list[str]
) -> dict[str, list[dict[str, Any]]] | None:
    """The stored entries of every part in ``parts``, or None if one is missing."""
    rows = cur.execute(
        "SELECT part, entries FROM facet_parts WHERE dataset_id = ? AND list_contains(?, part)",
        [dataset_id, parts],
    ).fetchall()
    found = {part: orjson.loads(entries) for part, entries in rows}
    return found if len(found) == len(set(parts)) else None


def write_parts(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    keys: FacetKeys,
    only: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Compute and store parts of a dataset from its rows (all, or those in ``only``; the
    ``tags`` part alone is a cheap pass: see :func:`write_tags_part`); call inside a write.
    Returns the built-in facets computed."""
    wanted = needed_parts(keys) if only is None else only
    sources = [s for s in keys.sources if f"source:{s}" in wanted]
    fields = keys.fields if "samples" in wanted else []
    attributes = keys.attributes if "attributes" in wanted else []
    if set(wanted) <= {"attributes"} and not attributes:
        # a box write's attributes part, of a dataset whose boxes have none: empty, with no
        # pass over every sample (most of a one-box edit's time at 1M images otherwise)
        for part in wanted:
            store_part(cur, dataset_id, part, [])
        new_token(cur, dataset_id)
        return []
    flt = compile_filter(dataset_id, None)
    some = len(sources) < len(keys.sources)
    entries, _ = facets_over(cur, dataset_id, flt, fields, sources, attributes, some)
    cur.unregister("_facet_samples")
    grouped: dict[str, list[dict[str, Any]]] = {part: [] for part in wanted}
    for entry in entries:
        part = part_of(entry)
        if part in grouped:
            grouped[part].append(entry)
    for part, part_entries in grouped.items():
        store_part(cur, dataset_id, part, part_entries)
    new_token(cur, dataset_id)  # the rows changed (or were never indexed): see indexes/box_index.py
    return entries


def refresh_parts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, only: list[str] | None = None
) -> None:
    """Recompute the parts in ``only`` (default all) after a write changed their rows
    (call inside that write, after ``refresh_facet_keys`` when keys may have changed)."""
    write_parts(cur, dataset_id, shown_facet_keys(cur, dataset_id), only)


def write_tags_part(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> str:
    """Recompute and store the ``tags`` part with a new tags token
    (:data:`.token_cache.TAGS_PART`, returned); call inside the write that changed tags."""
    rows = cur.execute(_TAGS_SQL, [dataset_id, MAX_CATEGORICAL_VALUES]).fetchall()
    entry = {
        "name": "tags",
        "type": "categorical",
        "values": [{"value": t, "count": int(n)} for t, n in rows],
    }
    token = new_token_text()
    # both rows in two statements: a tag write is the most frequent write
    cur.execute(
        "DELETE FROM facet_parts WHERE dataset_id = ? AND part IN ('tags', ?)",
        [dataset_id, TAGS_PART],
    )
    cur.execute(
        "INSERT INTO facet_parts VALUES (?, 'tags', ?), (?, ?, ?)",
        [dataset_id, orjson.dumps([entry]).decode(), dataset_id, TAGS_PART, token],
    )
    return token


def store_part(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, part: str, entries: list[dict[str, Any]]
) -> None:
    """Store one part's facet entries (replacing it); call inside the write that changed
    its rows. Engine modules store theirs too (``eval:<key>``: :mod:`..evaluate.store`)."""
    cur.execute("DELETE FROM facet_parts WHERE dataset_id = ? AND part = ?", [dataset_id, part])
    cur.execute(
        "INSERT INTO facet_parts VALUES (?, ?, ?)",
        [dataset_id, part, orjson.dumps(entries).decode()],
    )
