"""The derived tables after a sample delete and after its undo (visionlens_jlab/edits/
sample_deletes.py): the delete rebuilds only the touched samples' per-sample derived rows
(box and evaluation summaries, field index, value lists) and recounts what counts the whole
dataset; every derived row must be exactly what a rebuild of the whole dataset from the
remaining rows writes (the delete's way before it rebuilt only the touched samples)."""

from __future__ import annotations

from typing import Any

from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.catalog import GROUND_TRUTH, Catalog
from visionlens_jlab.catalog.derived import Change, Kind, apply_change
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.edits.sample_delete_rules import DERIVED
from visionlens_jlab.vectors import EdgeVectorStore

from .test_bulk_delete_samples import VIEW, fill_every_table
from .test_bulk_subset import dataset_id, store  # noqa: F401 - the store fixture
from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1

COMPARED = tuple(t for t in DERIVED if t not in ("box_value_fields", "box_value_lists"))
"""The derived tables compared (a whole rebuild drops the value lists, built again on the
next range request; the touched samples' own lists are listed again instead)."""


def derived_rows(cat: Catalog, ds: int) -> dict[str, list[str]]:
    """The dataset's rows of every compared derived table, sorted (without the facets'
    ``index`` part: a token naming the write that built them)."""
    with cat.cursor() as cur:
        return {t: sorted(repr(r) for r in cur.execute(
                    f"SELECT * FROM {t} WHERE dataset_id = ?", [ds]).fetchall()  # noqa: S608 - fixed names
                    if t != "facet_parts" or r[1] != "index")
                for t in COMPARED}  # fmt: skip


def rebuilt_whole(cat: Catalog, ds: int) -> dict[str, list[str]]:
    """The derived rows a rebuild of the whole dataset writes, rolled back after."""
    rows: dict[str, list[str]] = {}

    class RolledBack(Exception):
        pass

    try:
        with cat.write(ds, keeps_derived=True) as cur:
            apply_change(cat, cur, Change(ds, Kind.SAMPLES_ADDED))
            for key, model in cur.execute(
                "SELECT eval_key, model FROM evaluations WHERE dataset_id = ? ORDER BY 1", [ds]
            ).fetchall():
                change = Change(ds, Kind.EVALUATION, sources=(GROUND_TRUTH, model), eval_key=key)
                apply_change(cat, cur, change)
            rows.update({t: sorted(repr(r) for r in cur.execute(
                f"SELECT * FROM {t} WHERE dataset_id = ?", [ds]).fetchall()  # noqa: S608 - fixed names
                if t != "facet_parts" or r[1] != "index") for t in COMPARED})  # fmt: skip
            raise RolledBack
    except RolledBack:
        pass
    return rows


def test_derived_rows_after_a_delete_and_its_undo_are_a_whole_rebuilds(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    fill_every_table(catalog)
    ds = dataset_id(catalog, "rich")
    before = derived_rows(catalog, ds)
    assert all(before[t] for t in ("box_summaries", "eval_summaries", "field_values"))
    chosen = queries.sample_ids(catalog, "rich", VIEW).to_pylist()
    assert chosen

    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    after: dict[str, Any] = derived_rows(catalog, ds)
    assert after != before  # the deleted samples' rows went
    assert after == rebuilt_whole(catalog, ds)
    with catalog.cursor() as cur:
        for table in ("box_summaries", "eval_summaries", "field_values"):
            ((left,),) = cur.execute(
                f"SELECT COUNT(*) FROM {table} WHERE dataset_id = ? "  # noqa: S608 - fixed names
                "AND list_contains(?, sample_id)",
                [ds, chosen],
            ).fetchall()
            assert left == 0, table

    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert derived_rows(catalog, ds) == before == rebuilt_whole(catalog, ds)
