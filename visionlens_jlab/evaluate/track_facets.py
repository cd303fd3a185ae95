"""Facets of the objects' tracking outcomes (``track_results``), one set per model with a
tracking evaluation, counted exactly over the objects of the filtered samples:

* ``track.status`` (categorical, per source: the ground truth's objects and the model's):
  matched, missed, false_positive, ignored, not_evaluated;
* ``track.switched`` (categorical, per source): whether the object is one side of an
  identity switch (true / false);
* ``track.track_switches`` (numeric, ground truth): its track's identity switches;
* ``track.track_status`` (categorical, ground truth): its track's MT / PT / ML.

Each entry names its ``model`` and ``source``; its place is the labels entry of its source,
``track`` condition of its model, the key after ``track.`` (:data:`FACET_PLACES`): picking
``missed`` sets ``{"labels": [{"source": "ground_truth", "track": {"model": M, "status":
["missed"]}}]}``. Counted over the filter's samples: a frame kept for one missed object
still counts its matched ones. Multi-pick, like the built-in facets: the facet a ``track``
condition's part stands for (:func:`track_facet_parts`) is counted without that part, so
that picking ``missed`` keeps ``matched`` visible with the objects it would add.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import duckdb

from ..catalog.query.facet_places import FacetPlace
from ..catalog.sql.facet_entries import integer_counts_entry
from ..catalog.store.schema import GROUND_TRUTH
from .track_results import TrackCondition

PREFIX = "track."
CATEGORICAL = ("status", "switched", "track_status")
NUMERIC = "track_switches"
NAMES = tuple(PREFIX + key for key in (*CATEGORICAL, NUMERIC))
_FIELDS = {"status": "status", "switched": "switched", "track_status": "track_status",
           NUMERIC: "switches"}  # fmt: skip
"""Each facet's key and the :class:`TrackCondition` field it sets."""

# Per model, source, facet and value: the objects of the filtered samples with that outcome
# (track_switches and track_status are NULL on the model's own objects: no row then).
_COUNTS = """
SELECT r.model, a.source, f.facet, f.value, COUNT(*) AS n
FROM {samples} x
JOIN track_results r ON r.dataset_id = ? AND r.sample_id = x.sample_id
JOIN annotations a ON a.dataset_id = r.dataset_id AND a.ann_id = r.ann_id,
LATERAL (SELECT 'status' AS facet, r.status AS value
         UNION ALL SELECT 'switched', CAST(r.switched AS VARCHAR)
         UNION ALL SELECT 'track_status', r.track_status
         UNION ALL SELECT 'track_switches', CAST(r.track_switches AS VARCHAR)) f
WHERE f.value IS NOT NULL
GROUP BY ALL
"""


def track_facet_entries(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str
) -> list[dict[str, Any]]:
    """The tracking-outcome facets of the samples in ``samples_table`` (a fixed
    identifier), per model with a tracking evaluation and source (ground truth first);
    none for a dataset without one. A model's facets are all there, counts 0 included,
    also when the filter keeps none of its objects."""
    if not samples_table.isidentifier():
        raise ValueError(f"not a table name: {samples_table!r}")
    models = [
        str(m)
        for (m,) in cur.execute(
            "SELECT DISTINCT model FROM track_results WHERE dataset_id = ? ORDER BY model",
            [dataset_id],
        ).fetchall()
    ]
    if not models:
        return []
    rows = cur.execute(_COUNTS.format(samples=samples_table), [dataset_id]).fetchall()
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for model, source, facet, value, n in rows:
        counts.setdefault((str(model), str(source), str(facet)), {})[str(value)] = int(n)
    out: list[dict[str, Any]] = []
    for model in models:
        for source in (GROUND_TRUTH, model):
            truth = source == GROUND_TRUTH
            for facet in CATEGORICAL:
                if facet == "track_status" and not truth:
                    continue
                values = counts.get((model, source, facet), {})
                out.append({
                    "name": PREFIX + facet, "type": "categorical", "source": source,
                    "model": model,
                    "values": [
                        {"value": v == "true" if facet == "switched" else v, "count": n}
                        for v, n in sorted(values.items(), key=lambda vn: (-vn[1], vn[0]))
                    ],
                })  # fmt: skip
            if truth:
                switches = counts.get((model, source, NUMERIC), {})
                entry = integer_counts_entry(
                    PREFIX + NUMERIC, {int(v): n for v, n in switches.items()}
                )
                out.append({**entry, "source": source, "model": model})
    return out


def track_facet_parts(cond: TrackCondition) -> Iterator[tuple[str, str | None, Any]]:
    """The facet each part of a ``track`` condition of one model stands for, with the
    condition less that part (None: nothing but the model is left, no condition). A
    condition over any model's evaluation stands for no one facet."""
    if cond.model is None:
        return
    for key, name in _FIELDS.items():
        if getattr(cond, name) is None:
            continue
        rest = replace(cond, **{name: None})
        left = any(getattr(rest, other) is not None for other in _FIELDS.values())
        yield PREFIX + key, cond.model, rest if left else None


FACET_PLACES = (FacetPlace(PREFIX, "labels.track", "objects"),)
"""The ``track.`` facets filter by their source's labels entry's ``track`` condition."""
