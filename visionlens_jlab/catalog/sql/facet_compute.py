"""Facet computation over a filter's samples: two statements on one cursor.

One statement reads the filtered samples' columns into Arrow, one computes every built-in
facet from them and from their boxes (:mod:`.facet_sql`). Used by :mod:`.facets` for a
request and by :mod:`.facet_parts` for the pre-aggregated unfiltered view (the same code,
so the same numbers).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..query.facet_places import FacetPlace, register_facet_places
from ..query.filters import CompiledFilter
from .facet_entries import Facet, assemble_entries
from .facet_sql import CATEGORICAL, JSON, NUMERIC, facets_sql, samples_table_sql


def facets_over(
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
    return assemble_entries(_plan(fields, sources, attributes), rows), samples.num_rows


def sql_entries(
    fields: list[str], attributes: list[str], rows: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The entries of a :mod:`.facet_sql` statement over no source."""
    return assemble_entries(_plan(fields, [], attributes), rows)


# where the built-in facets of :func:`_plan` filter and what they count
register_facet_places(
    *(FacetPlace(name, "sample", "samples") for name in ("split", "width", "height")),
    FacetPlace("fields.", "sample", "samples"),
    FacetPlace("tags", "tags", "samples"),  # the tags.any list
    FacetPlace("label", "labels.classes", "objects"),
    FacetPlace("box_count", "box_count", "samples"),
    FacetPlace("score", "labels.score", "objects"),
    FacetPlace("attributes.", "labels.where", "objects"),
)


def _plan(fields: list[str], sources: list[str], attributes: list[str]) -> list[Facet]:
    """The facets in output order; a facet's number ``f`` in the SQL is its index here."""
    plan = [
        Facet("split", CATEGORICAL),
        Facet("width", NUMERIC),
        Facet("height", NUMERIC),
        Facet("tags", CATEGORICAL),
    ]
    plan += [Facet(f"fields.{k}", JSON) for k in fields]
    for source in sources:  # three numbers per source, the score's unused for ground truth
        plan += [
            Facet("label", CATEGORICAL, source),
            Facet("box_count", NUMERIC, source),
            Facet("score", NUMERIC, source),
        ]
    plan += [Facet(f"attributes.{k}", JSON) for k in attributes]
    return plan
