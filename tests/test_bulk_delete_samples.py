"""A view's samples deleted as one batch of the edit log (visionlens_jlab/bulk/
delete_samples.py, visionlens_jlab/edits/sample_deletes.py): every row of theirs in every
table and their vectors (a real Qdrant Edge store) go; undo puts every row and vector back
so that pages, facets, evaluations and searches answer as before; redo deletes again; a
failure inside the catalog's write changes nothing, one between the catalog's write and the
vectors' delete loses nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import visionlens_jlab.edits.sample_deletes as sample_deletes_module
from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.registry import dataset_tables
from visionlens_jlab.edits import sample_delete_rules
from visionlens_jlab.evaluate import list_evaluations
from visionlens_jlab.vectors import EdgeVectorStore
from visionlens_jlab.vectors.reconcile import reconcile

from .test_bulk_subset import dataset_id, sample_ids, store  # noqa: F401 - the store fixture
from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1

VIEW = {"tags": {"any": ["t1"]}}
LOG_TABLES = ("edit_batches", "deleted_samples")
"""What a delete and its undo add (the log's batches and the kept rows)."""


def table_rows(cat: Catalog) -> dict[str, list[str]]:
    """Every row of every dataset table but the log's batches, sorted (the facets' ``index``
    part is a token naming the write that built them, new at every write)."""
    with cat.cursor() as cur:
        return {t: sorted(repr(r) for r in cur.execute(f"SELECT * FROM {t}").fetchall()  # noqa: S608 - registered names
                          if t != "facet_parts" or r[1] != "index")
                for t in dataset_tables() if t not in LOG_TABLES}  # fmt: skip


def answers(cat: Catalog, vectors: EdgeVectorStore) -> dict[str, Any]:
    """What the user sees of "rich": pages, facets, filters, evaluations, a search."""
    ds = dataset_id(cat, "rich")
    space = vectors.spaces()[0].name
    _, query = vectors.get_vectors(space, sample_ids(cat, ds)[:1])
    hits = vectors.search(space, query[0], k=50, dataset_id=ds, exact=True)
    return {
        "page": queries.samples_page(cat, "rich", None, limit=500),
        "facets": queries.facets(cat, "rich", None),
        "view_facets": queries.facets(cat, "rich", VIEW),
        "m1": queries.samples_page(cat, "rich", {"labels": {"source": "m1"}})["total"],
        "evaluations": [
            {k: v for k, v in e.items() if k not in ("stale", "edited_since")}
            for e in list_evaluations(cat, "rich")
        ],  # fmt: skip
        "datasets": [{k: v for k, v in d.items() if k != "versions"} for d in cat.list_datasets()],
        "search": [(h.sample_id, round(h.score, 5)) for h in hits],
    }


def points(vectors: EdgeVectorStore, ids: list[int]) -> tuple[list[int], np.ndarray]:
    space = vectors.spaces()[0].name
    found, matrix = vectors.get_vectors(space, ids)
    return found.tolist(), matrix


def referencing(cat: Catalog, chosen: list[int]) -> dict[str, int]:
    """Rows still naming a deleted sample, per table with a ``sample_id``."""
    left = {}
    with cat.cursor() as cur:
        for table in sample_delete_rules.PER_SAMPLE:
            n = cur.execute(f"SELECT COUNT(*) FROM {table} WHERE list_contains(?, sample_id)",  # noqa: S608 - fixed names
                            [chosen]).fetchall()[0][0]  # fmt: skip
            if n:
                left[table] = n
    return left


def test_every_dataset_table_has_a_delete_rule() -> None:
    assert set(dataset_tables()) <= sample_delete_rules.ruled()
    with pytest.raises(Exception, match="no delete rule"):
        sample_delete_rules.check_rules([*dataset_tables(), "a_new_feature_table"])


def test_delete_a_views_samples_then_undo_and_redo(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    ds = dataset_id(catalog, "rich")
    everyone = sample_ids(catalog, ds)
    chosen = queries.sample_ids(catalog, "rich", VIEW).to_pylist()
    assert 0 < len(chosen) < len(everyone) and referencing(catalog, chosen)
    rows_before, seen_before = table_rows(catalog), answers(catalog, store)
    vectors_before = points(store, everyone)
    assert not list_evaluations(catalog, "rich")[0]["stale"]

    counted = delete_view_samples(catalog, "rich", VIEW, "tester", dry_run=True)
    assert counted["samples"] == len(chosen) and counted["labels"] > 0
    assert table_rows(catalog) == rows_before  # a dry run writes nothing
    answer = delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    assert answer["kind"] == "delete_samples" and answer["samples"] == len(chosen)
    assert answer["labels"] == counted["labels"] and answer["sample_ids"] == sorted(chosen)
    assert referencing(catalog, chosen) == {}
    kept = sorted(set(everyone) - set(chosen))
    assert sample_ids(catalog, ds) == kept
    assert points(store, everyone)[0] == kept  # the vectors went with them
    (space,) = answer["vectors"]
    assert answer["vectors"][space] == len(chosen)
    seen = answers(catalog, store)
    assert seen["page"]["total"] == len(kept)
    assert {h for h, _ in seen["search"]} <= set(kept)
    (listed,) = (d for d in seen["datasets"] if d["name"] == "rich")
    assert listed["num_samples"] == len(kept)
    assert list_evaluations(catalog, "rich")[0]["stale"]  # its summary counted them
    with pytest.raises(edits.EditError, match="no samples"):
        delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)

    undone = edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert undone["kind"] == "undo" and undone["restored"]
    assert table_rows(catalog) == rows_before  # every row of every table, as it was
    assert answers(catalog, store) == seen_before
    got_ids, got = points(store, everyone)
    assert got_ids == vectors_before[0] and np.allclose(got, vectors_before[1], atol=1e-6)

    redone = edits.redo(catalog, "rich", "tester", vectors=lambda: store)
    assert redone["kind"] == "redo" and sample_ids(catalog, ds) == kept
    assert points(store, everyone)[0] == kept
    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_before and answers(catalog, store) == seen_before
    with pytest.raises(edits.EditError, match="no vector store"):
        delete_view_samples(catalog, "rich", VIEW, "tester")


def test_a_failure_in_the_catalogs_write_changes_nothing(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everyone = sample_ids(catalog, dataset_id(catalog, "rich"))
    rows_before, vectors_before = table_rows(catalog), points(store, everyone)[0]

    def fail(*_: Any) -> None:
        raise RuntimeError("planted failure")

    monkeypatch.setattr(sample_deletes_module, "_rebuild", fail)  # after every row is gone
    with pytest.raises(RuntimeError, match="planted failure"):
        delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_before and points(store, everyone)[0] == vectors_before
    with catalog.cursor() as cur:  # no batch was logged
        assert not cur.execute(
            "SELECT * FROM edit_batches WHERE kind = 'delete_samples'"
        ).fetchall()


def test_a_failure_between_the_catalog_and_the_vectors_loses_nothing(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = dataset_id(catalog, "rich")
    everyone = sample_ids(catalog, ds)
    chosen = queries.sample_ids(catalog, "rich", VIEW).to_pylist()
    rows_before, seen_before = table_rows(catalog), answers(catalog, store)
    vectors_before = points(store, everyone)

    def fail(*_: Any, **__: Any) -> None:
        raise RuntimeError("planted failure")

    monkeypatch.setattr(store, "delete", fail)  # the catalog has committed by then
    answer = delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    monkeypatch.undo()
    assert answer["vectors_pending"] and referencing(catalog, chosen) == {}
    assert points(store, everyone)[0] == everyone  # orphans, for now
    # the store's reconcile (run whenever it opens) removes them...
    report = reconcile(catalog, store)
    assert sum(s.removed for s in report.spaces.values()) == len(chosen)
    assert points(store, everyone)[0] == sorted(set(everyone) - set(chosen))
    # ...and the undo puts back every row and vector, from the batch's kept values
    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_before and answers(catalog, store) == seen_before
    got_ids, got = points(store, everyone)
    assert got_ids == vectors_before[0] and np.allclose(got, vectors_before[1], atol=1e-6)


def test_an_undo_whose_catalog_write_fails_leaves_no_vector(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everyone = sample_ids(catalog, dataset_id(catalog, "rich"))
    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    rows_deleted, ids_deleted = table_rows(catalog), points(store, everyone)[0]

    def fail(*_: Any) -> None:
        raise RuntimeError("planted failure")

    monkeypatch.setattr(sample_deletes_module, "_rebuild", fail)
    with pytest.raises(RuntimeError, match="planted failure"):
        edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_deleted and points(store, everyone)[0] == ids_deleted
