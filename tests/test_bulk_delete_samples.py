"""A view's samples deleted as one batch of the edit log (visionlens_jlab/bulk/
delete_samples.py, visionlens_jlab/edits/sample_deletes.py): every row of theirs in every
table and their vectors (a real Qdrant Edge store) go; undo puts every row and vector back
so that pages, facets, evaluations and searches answer as before; redo deletes again; a
failure inside the catalog's write changes nothing, one between the catalog's write and the
vectors' delete loses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import visionlens_jlab.edits.sample_deletes as sample_deletes_module
from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.derived import Change, Kind, apply_change
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.registry import dataset_tables
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.edits import sample_delete_rules
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.evaluate import list_evaluations
from visionlens_jlab.vectors import EdgeVectorStore
from visionlens_jlab.vectors.factory import EDGE_DIR, vectors_dir
from visionlens_jlab.vectors.reconcile import reconcile

from .test_bulk_subset import dataset_id, sample_ids, store  # noqa: F401 - the store fixture
from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1
from .vectors_fixtures import add_dataset

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


FILL = {
    "classifications": "s.sample_id, 'ground_truth', 'cat', NULL, NULL",
    "label_quality": "'m1', a.ann_id, a.sample_id, a.source, 'overlooked', 0.5, TRUE, 0.5, NULL, "
    "NULL, NULL",
    "sample_attributes": "s.sample_id, 0.5, 0.5, 0.5, 0.5, FALSE, 1.0, 1.5",
    "object_attributes": "a.ann_id, a.sample_id, 'small', 1.0, FALSE, 0, 'center'",
    "computed_values": "s.sample_id, 'score', s.sample_id / 10, NULL",
    "media_status": "s.sample_id, 'missing', 'gone', TIMESTAMP '2026-11-27 12:00:00'",
    "vlm_labels": "s.sample_id, 'what?', 'a cat', TIMESTAMP '2026-11-27 12:00:00'",
    "model_run_empty_samples": "'m1', s.sample_id",
    "video_frames": "s.sample_id, 1, CAST(s.sample_id AS INTEGER)",
    "semantic_masks": "s.sample_id, 'ground_truth', 'mask.png', NULL",
    "semantic_regions": "'m1', s.sample_id, 0, 'cat', 'dog', 20, 0, 0, 4, 5, 0.25, TRUE",
    "selection_rows": "1, s.sample_id, CAST(s.sample_id AS INTEGER), 0.5, [0.5]",
    "map_points": "'map', s.sample_id, 0.5, 0.5",
    "object_tags": "a.ann_id, ['checked']",
    "track_results": "'m1', a.ann_id, a.sample_id, 'matched', TRUE, 1, 'MT'",
}
"""A row for every sample (object) of "rich" in each table the fixture leaves empty, so
that the delete and its undo meet every kind of per-sample row."""


def fill_every_table(cat: Catalog) -> None:
    ds = dataset_id(cat, "rich")
    with cat.write(ds, keeps_derived=True) as cur:
        for table, values in FILL.items():
            one = "a" if "a.ann_id" in values else "s"
            source = ("annotations a" if one == "a" else "samples s") + " WHERE dataset_id = ?"
            if table == "object_tags":  # objects without tags yet
                source += " AND ann_id NOT IN (SELECT ann_id FROM object_tags)"
            cur.execute(f"INSERT INTO {table} SELECT {ds}, {values} FROM {source}", [ds])  # noqa: S608 - fixed text
        apply_change(cat, cur, Change(ds, Kind.SAMPLES_ADDED))


def objects_of(cat: Catalog, chosen: list[int]) -> list[int]:
    """The ids of the chosen samples' objects."""
    with cat.cursor() as cur:
        return [int(r[0]) for r in cur.execute(
            "SELECT ann_id FROM annotations WHERE list_contains(?, sample_id)", [chosen]
        ).fetchall()]  # fmt: skip


def object_tags_of(cat: Catalog, objects: list[int]) -> int:
    """Object tag rows of those objects."""
    with cat.cursor() as cur:
        return int(cur.execute(
            "SELECT COUNT(*) FROM object_tags WHERE list_contains(?, ann_id)", [objects]
        ).fetchall()[0][0])  # fmt: skip


def test_every_dataset_table_has_a_delete_rule() -> None:
    assert set(dataset_tables()) <= sample_delete_rules.ruled()
    with pytest.raises(Exception, match="no delete rule"):
        sample_delete_rules.check_rules([*dataset_tables(), "a_new_feature_table"])


def test_delete_a_views_samples_then_undo_and_redo(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    fill_every_table(catalog)
    ds = dataset_id(catalog, "rich")
    everyone = sample_ids(catalog, ds)
    chosen = queries.sample_ids(catalog, "rich", VIEW).to_pylist()
    assert 0 < len(chosen) < len(everyone)
    assert set(referencing(catalog, chosen)) == set(sample_delete_rules.PER_SAMPLE)
    objects = objects_of(catalog, chosen)
    assert object_tags_of(catalog, objects) == len(objects) > 0
    rows_before, seen_before = table_rows(catalog), answers(catalog, store)
    vectors_before = points(store, everyone)
    assert not list_evaluations(catalog, "rich")[0]["stale"]

    counted = delete_view_samples(catalog, "rich", VIEW, "tester", dry_run=True)
    assert counted["samples"] == len(chosen) and counted["labels"] > 0
    assert table_rows(catalog) == rows_before  # a dry run writes nothing
    answer = delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    assert answer["kind"] == "delete_samples" and answer["samples"] == len(chosen)
    assert answer["labels"] == counted["labels"] and answer["sample_ids"] == sorted(chosen)
    assert referencing(catalog, chosen) == {} and object_tags_of(catalog, objects) == 0
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
    assert undone["kind"] == "undo" and undone["samples"] == len(chosen)
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


def test_cli_deletes_a_views_samples_and_undo_puts_them_back(tmp_path: Path) -> None:
    """``visionlens delete-samples`` and ``visionlens undo`` as processes, on a catalog
    with a real Edge store's vectors."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    data = tmp_path / "data"
    with Catalog(data) as cat:
        add_dataset(cat, "d", 6)
        ds = dataset_id(cat, "d")
        ids = sample_ids(cat, ds)
        update_tags(cat, "d", {"sample": {"sample_id": {"in": ids[:2]}}}, add=["bad"])
    edge = EdgeVectorStore(vectors_dir(data) / EDGE_DIR)
    space = edge.ensure_space("clip", "1", 4).name
    edge.upsert(space, ids, np.eye(6, 4, dtype=np.float32) + 0.5, dataset_ids=ds)
    edge.close()
    with Catalog(data) as cat:
        record_space(cat, ds, space=space, model="clip", version="1", dim=4,
                     preprocessing="test", count=6, complete=True, info={})  # fmt: skip
        rows_before = table_rows(cat)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", *args, "--data-dir", str(data)],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip

    no_yes = cli("delete-samples", "d", "--tag", "bad")
    assert no_yes.returncode == 2 and "--yes" in no_yes.stderr
    no_view = cli("delete-samples", "d", "--yes")
    assert no_view.returncode == 2 and "--filter" in no_view.stderr
    done = cli("delete-samples", "d", "--tag", "bad", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["samples"] == 2 and answer["vectors"] == {space: 2}
    with Catalog(data) as cat:
        assert sample_ids(cat, ds) == ids[2:]
    edge = EdgeVectorStore(vectors_dir(data) / EDGE_DIR)
    assert edge.ids(space).tolist() == ids[2:]
    edge.close()
    undone = cli("undo", "d", "--json")
    assert undone.returncode == 0, undone.stderr
    with Catalog(data) as cat:
        assert table_rows(cat) == rows_before
    edge = EdgeVectorStore(vectors_dir(data) / EDGE_DIR)
    assert edge.ids(space).tolist() == ids
    edge.close()
    # ``delete NAME <view> --yes`` without --labels deletes the samples too
    again = cli("delete", "d", "--tag", "bad", "--yes")
    assert again.returncode == 0 and "deleted 2 samples" in again.stdout, again.stderr


async def test_rest_deletes_samples_and_undo_restores(api: Any, vl_app: Any) -> None:
    from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

    write_dataset(vl_app.catalog, "toy", RowsSource(*toy_rows()))
    write_predictions(vl_app.catalog, "toy", "m1", PredictionRowsSource(prediction_rows()))
    before = table_rows(vl_app.catalog)
    view = {"sample": {"split": {"in": ["val"]}}}
    val = queries.sample_ids(vl_app.catalog, "toy", view).to_pylist()
    status, counted = await api("POST", "datasets/toy/edits/delete_samples",
                                {"filter": view, "dry_run": True})  # fmt: skip
    assert status == 200 and counted["dry_run"] and counted["samples"] == len(val) > 0
    assert table_rows(vl_app.catalog) == before
    status, answer = await api("POST", "datasets/toy/edits/delete_samples", {"filter": view})
    assert status == 200, answer
    assert answer["samples"] == len(val) and answer["labels"] == counted["labels"]
    assert referencing(vl_app.catalog, val) == {}
    status, _ = await api("POST", "datasets/toy/edits/undo")
    assert status == 200 and table_rows(vl_app.catalog) == before
    status, _ = await api("POST", "datasets/toy/edits/redo")
    assert status == 200 and referencing(vl_app.catalog, val) == {}
    status, answer = await api("POST", "datasets/toy/edits/delete_samples", {"filter": view})
    assert status == 400, answer  # the view is empty now
    status, _ = await api("POST", "datasets/missing/edits/delete_samples", {"filter": view})
    assert status == 404


async def test_notebook_delete_samples_and_undo(vl_app: Any, http_server_client: Any) -> None:
    """``ds.delete_samples(filter)`` then ``ds.undo()`` in a real kernel."""
    from tests.catalog_fixtures import RowsSource, toy_rows
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

    from .notebook_fixtures import running_kernel

    write_dataset(vl_app.catalog, "toy", RowsSource(*toy_rows()))
    before = table_rows(vl_app.catalog)
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('toy')\n"
            "r = ds.delete_samples({'sample': {'split': {'in': ['val']}}})\n"
            "print(json.dumps(r))\n"
        )
        assert json.loads(out)["samples"] > 0 and table_rows(vl_app.catalog) != before
        await k.check("ds.undo()\nprint('{}')\n")
    assert table_rows(vl_app.catalog) == before


def test_restoring_a_version_older_than_the_delete_keeps_the_samples_deleted(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    """A restore inverts the logged label changes since the version: the remaining
    samples' labels are what they were, the deleted samples stay deleted (undo is what
    brings them back)."""
    ds = dataset_id(catalog, "rich")
    version = edits.snapshot(catalog, "rich", "before", "tester")["version"]
    edited = first_object(catalog)
    edits.apply_edits(catalog, "rich", [{"op": "delete", "annotation_id": edited}], "tester")
    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    kept = sample_ids(catalog, ds)
    edits.restore_version(catalog, "rich", version, "tester")
    assert sample_ids(catalog, ds) == kept
    with catalog.cursor() as cur:
        assert cur.execute("SELECT 1 FROM annotations WHERE ann_id = ?", [edited]).fetchall()


def first_object(cat: Catalog) -> int:
    """The first object of "rich" on a sample outside the view (it stays)."""
    chosen = queries.sample_ids(cat, "rich", VIEW).to_pylist()
    with cat.cursor() as cur:
        return int(cur.execute(
            "SELECT MIN(ann_id) FROM annotations WHERE NOT list_contains(?, sample_id)"
            " AND dataset_id = ?", [chosen, dataset_id(cat, "rich")]
        ).fetchall()[0][0])  # fmt: skip


def kept_bytes(cat: Catalog, batch: int) -> int:
    """The bytes batch ``batch`` keeps of its samples' rows."""
    with cat.cursor() as cur:
        ((size,),) = cur.execute(
            "SELECT SUM(octet_length(data)) FROM deleted_samples WHERE batch_id = ? "
            "AND what = 'rows'",
            [batch],
        ).fetchall()
    return int(size)


def test_kept_rows_are_compressed_and_plain_ones_kept_before_still_restore(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_every_table(catalog)
    rows_before, seen_before = table_rows(catalog), answers(catalog, store)
    # the parts as the code before compression kept them: plain Arrow streams
    monkeypatch.setattr(sample_deletes_module, "KEPT_COMPRESSION", pa.ipc.IpcWriteOptions())
    plain = delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    monkeypatch.undo()
    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_before and answers(catalog, store) == seen_before
    redone = edits.redo(catalog, "rich", "tester", vectors=lambda: store)
    assert kept_bytes(catalog, redone["batch"]) < kept_bytes(catalog, plain["batch"]) / 2
    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert table_rows(catalog) == rows_before and answers(catalog, store) == seen_before
