"""A sample delete reads its vectors, and its undo writes them back, in a thread beside the
catalog's write (:mod:`visionlens_jlab.edits.sample_vectors`): a failure of the store's
side, wherever it falls, leaves the catalog and the store as they were."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import visionlens_jlab.edits.sample_vectors as sample_vectors_module
from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.vectors import EdgeVectorStore

from .test_bulk_delete_samples import VIEW, answers, points, table_rows
from .test_bulk_subset import dataset_id, sample_ids, store  # noqa: F401 - the store fixture
from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1


def test_a_failed_vector_read_changes_nothing(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everyone = sample_ids(catalog, dataset_id(catalog, "rich"))
    rows_before, vectors_before = table_rows(catalog), points(store, everyone)[0]

    def fail(*_: Any, **__: Any) -> None:
        raise RuntimeError("planted read failure")

    monkeypatch.setattr(store, "get_vectors", fail)  # in the thread, beside the rows' delete
    with pytest.raises(RuntimeError, match="planted read failure"):
        delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    monkeypatch.undo()
    assert table_rows(catalog) == rows_before and points(store, everyone)[0] == vectors_before
    with catalog.cursor() as cur:  # no batch was logged
        assert not cur.execute(
            "SELECT * FROM edit_batches WHERE kind = 'delete_samples'"
        ).fetchall()


def test_an_undo_whose_vector_write_fails_halfway_leaves_nothing(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    everyone = sample_ids(catalog, dataset_id(catalog, "rich"))
    rows_before, seen_before = table_rows(catalog), answers(catalog, store)
    vectors_before = points(store, everyone)
    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    rows_deleted, ids_deleted = table_rows(catalog), points(store, everyone)[0]
    assert len(ids_deleted) < len(everyone) - 1  # several chunks of one point to write back

    real_upsert, calls = store.upsert, []

    def upsert_once(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) > 1:  # the first chunk written, the second fails
            raise RuntimeError("planted write failure")
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(sample_vectors_module, "VECTOR_CHUNK", 1)
    monkeypatch.setattr(store, "upsert", upsert_once)
    with pytest.raises(RuntimeError, match="planted write failure"):
        edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    monkeypatch.undo()
    assert len(calls) == 2  # one point was written, and removed again
    assert table_rows(catalog) == rows_deleted and points(store, everyone)[0] == ids_deleted
    # nothing of the failed undo stays in the way of the next one
    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_before and answers(catalog, store) == seen_before
    got_ids, got = points(store, everyone)
    assert got_ids == vectors_before[0] and np.allclose(got, vectors_before[1], atol=1e-6)
