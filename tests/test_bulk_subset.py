"""A view becomes a new dataset (visionlens_jlab/bulk/subset.py): every label kind, the
models, the evaluations' per-box rows, tags, fields and the vectors (copied in a real Qdrant
Edge store) come along under new ids; the copy is independent of its source; a failure at
any point leaves no dataset, no row and no vector behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import visionlens_jlab.bulk.subset as subset_module
from visionlens_jlab import edits
from visionlens_jlab.bulk import copy_rules
from visionlens_jlab.bulk.subset import subset_dataset
from visionlens_jlab.catalog import Catalog, ConflictError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.registry import dataset_tables
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.evaluate import list_evaluations
from visionlens_jlab.vectors import EdgeVectorStore

from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1

VIEW = {"tags": {"any": ["t1"]}}
DIM = 8


@pytest.fixture
def store(tmp_path: Path, catalog: Catalog) -> Iterator[EdgeVectorStore]:  # noqa: F811
    """A real Edge store holding a vector of every sample of "rich", recorded as a space."""
    edge = EdgeVectorStore(tmp_path / "edge")
    space = edge.ensure_space("clip", "1", DIM).name
    ds = dataset_id(catalog, "rich")
    ids = sample_ids(catalog, ds)
    rng = np.random.default_rng(0)
    edge.upsert(space, ids, rng.normal(size=(len(ids), DIM)), dataset_ids=ds)
    record_space(catalog, ds, space=space, model="clip", version="1", dim=DIM,
                 preprocessing="test", count=len(ids), complete=True, info={})  # fmt: skip
    yield edge
    edge.close()


def dataset_id(cat: Catalog, name: str) -> int:
    with cat.cursor() as cur:
        return cat.dataset_id(cur, name)


def sample_ids(cat: Catalog, ds: int) -> list[int]:
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [ds]
        ).fetchall()
    return [int(r[0]) for r in rows]


def snapshot(cat: Catalog) -> dict[str, list[Any]]:
    """Every row of every dataset table (what a failed copy must leave as it was)."""
    with cat.cursor() as cur:
        return {t: sorted(map(repr, cur.execute(f"SELECT * FROM {t}").fetchall()))  # noqa: S608 - registered names
                for t in dataset_tables()}  # fmt: skip


def by_file(cat: Catalog, ds: int, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (selecting from ``a`` joined to its sample ``s``), keyed by file name
    instead of ids, sorted: comparable across datasets."""
    with cat.cursor() as cur:
        return sorted(cur.execute(sql, [ds]).fetchall(), key=repr)


LABELS_SQL = """
    SELECT s.file_name, a.source, a.label, a.x, a.y, a.w, a.h, a.score, a.area,
           a.iscrowd, a.attributes, t.tags
    FROM annotations a JOIN samples s USING (sample_id)
    LEFT JOIN object_tags t ON t.ann_id = a.ann_id
    WHERE a.dataset_id = ?
"""
SAMPLES_SQL = """
    SELECT file_name, location, width, height, split, tags, fields FROM samples s
    WHERE dataset_id = ?
"""
EVAL_SQL = """
    SELECT s.file_name, a.source, a.label, e.status, m.label, round(e.iou, 9), e.error_type
    FROM box_evaluations e JOIN annotations a ON a.ann_id = e.ann_id
    JOIN samples s ON s.sample_id = a.sample_id
    LEFT JOIN annotations m ON m.ann_id = e.matched_ann_id
    WHERE e.dataset_id = ?
"""


def test_every_dataset_table_has_a_copy_rule() -> None:
    assert set(dataset_tables()) <= copy_rules.ruled()
    with pytest.raises(Exception, match="no copy rule"):
        copy_rules.check_rules([*dataset_tables(), "a_new_feature_table"])


def test_a_view_becomes_an_equal_independent_dataset(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,
) -> None:
    src = dataset_id(catalog, "rich")
    chosen = queries.sample_ids(catalog, "rich", VIEW).to_pylist()
    tagged = first_ann(catalog, src, chosen)
    edits.apply_edits(catalog, "rich", [{"op": "tag", "annotation_id": tagged, "tag": "checked"}],
                      "test")  # fmt: skip
    # the view's rows in the source, by file name: what the copy must hold
    in_view = f" AND s.sample_id IN ({', '.join(map(str, chosen))})"
    want = {
        sql: by_file(catalog, src, sql + in_view) for sql in (LABELS_SQL, SAMPLES_SQL, EVAL_SQL)
    }

    result = subset_dataset(catalog, "rich", "val_only", VIEW, vectors=lambda: store)
    new = dataset_id(catalog, "val_only")
    assert result.samples == len(chosen) > 0
    for sql, rows in want.items():
        assert by_file(catalog, new, sql) == rows
    assert any(r[-1] == ["checked"] for r in want[LABELS_SQL])  # object tags came along

    # the new dataset answers as the source's view does: counts and facets
    assert queries.samples_page(catalog, "val_only", None)["total"] == len(chosen)
    facets_new = queries.facets(catalog, "val_only", None)
    facets_view = queries.facets(catalog, "rich", VIEW)
    assert facets_new == facets_view
    listed = {d["name"]: d for d in catalog.list_datasets()}
    assert listed["val_only"]["models"][0]["num_predictions"] == sum(
        1 for r in want[LABELS_SQL] if r[1] == "m1"
    )
    (evaluation,) = list_evaluations(catalog, "val_only")
    assert evaluation["stale"] and evaluation["params"]["copied_from"] == "rich"
    assert "copied_from" not in list_evaluations(catalog, "rich")[0]["params"]

    # vectors: copied under the new ids, equal to the source's
    space = store.spaces()[0].name
    new_ids = sample_ids(catalog, new)
    assert store.count(space, new) == len(new_ids) == result.vectors[space]
    _, old_vectors = store.get_vectors(space, chosen)
    got_ids, new_vectors = store.get_vectors(space, new_ids)
    assert got_ids.tolist() == new_ids and np.allclose(old_vectors, new_vectors)
    assert not set(new_ids) & set(sample_ids(catalog, src))

    # independent: editing the copy leaves the source as it was
    before = by_file(catalog, src, LABELS_SQL), by_file(catalog, src, SAMPLES_SQL)
    edits.apply_edits(
        catalog, "val_only", [{"op": "delete", "annotation_id": first_ann(catalog, new)}], "test"
    )
    update_tags(catalog, "val_only", None, add=["copy_only"])
    assert (by_file(catalog, src, LABELS_SQL), by_file(catalog, src, SAMPLES_SQL)) == before


def first_ann(cat: Catalog, ds: int, among: list[int] | None = None) -> int:
    """The first ground-truth object of the dataset (of samples ``among``)."""
    with cat.cursor() as cur:
        return int(cur.execute(
            "SELECT MIN(ann_id) FROM annotations WHERE dataset_id = ? AND source = 'ground_truth'"
            " AND (? IS NULL OR list_contains(?, sample_id))",
            [ds, among, among],
        ).fetchall()[0][0])  # fmt: skip


@pytest.mark.parametrize("where", ["catalog", "vectors"])
def test_a_failure_mid_copy_leaves_nothing(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    space = store.spaces()[0].name
    rows_before, points_before = snapshot(catalog), store.points(space)
    if where == "catalog":  # after the vectors and most rows: the last row fails

        def fail(*_: Any) -> int:
            raise RuntimeError("planted failure")

        monkeypatch.setattr(subset_module, "_write_dataset_row", fail)
    else:  # the second chunk of vectors fails, the first is written
        monkeypatch.setattr(subset_module, "VECTOR_CHUNK", 16)
        calls = []
        upsert = store.upsert

        def failing_upsert(*args: Any, **kwargs: Any) -> int:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("planted failure")
            return upsert(*args, **kwargs)

        monkeypatch.setattr(store, "upsert", failing_upsert)
    with pytest.raises(RuntimeError, match="planted failure"):
        subset_dataset(catalog, "rich", "half", VIEW, vectors=lambda: store)
    assert snapshot(catalog) == rows_before
    after = store.points(space)
    assert after[0].tolist() == points_before[0].tolist()
    monkeypatch.undo()
    # and the name is free again: the same copy now succeeds
    assert subset_dataset(catalog, "rich", "half", VIEW, vectors=lambda: store).samples > 0


def test_refusals(catalog: Catalog, store: EdgeVectorStore) -> None:  # noqa: F811
    with pytest.raises(ConflictError, match="already exists"):
        subset_dataset(catalog, "rich", "bare", VIEW, vectors=lambda: store)
    with pytest.raises(ConflictError, match="no samples"):
        subset_dataset(catalog, "rich", "x", {"tags": {"any": ["nope"]}}, vectors=lambda: store)
    with pytest.raises(ConflictError, match="no vector store"):
        subset_dataset(catalog, "rich", "x", VIEW)
    assert {d["name"] for d in catalog.list_datasets()} == {"rich", "bare"}


def test_the_cli_copies_a_tagged_view(tmp_path: Path) -> None:
    """``visionlens subset NAME --tag T --to NEW --json`` on a catalog no server holds."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    data = tmp_path / "data"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", *args, "--data-dir", str(data)],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip

    assert cli("demo", "--name", "d", "--images", "30").returncode == 0
    with Catalog(data) as cat:  # no server holds it
        update_tags(cat, "d", {"sample": {"split": {"in": ["val"]}}}, add=["pick"])
        n_val = len(queries.sample_ids(cat, "d", {"tags": {"any": ["pick"]}}))
    done = cli("subset", "d", "--tag", "pick", "--to", "picked", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["dataset"] == "picked" and answer["source"] == "d"
    assert answer["samples"] == n_val > 0
    assert list(answer["vectors"].values()) == [n_val]  # the demo's built-in embeddings
    again = cli("subset", "d", "--tag", "pick", "--to", "picked")
    assert again.returncode != 0 and "already exists" in again.stderr
