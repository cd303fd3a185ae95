"""One dataset merged into another (visionlens_jlab/bulk/merge.py): matched samples get
the source's labels appended, the others are added with their vectors, size conflicts and
missing classes are reported, and a failure leaves the target as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import visionlens_jlab.bulk.merge as merge_module
from visionlens_jlab.bulk.merge import merge_datasets
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.vectors import EdgeVectorStore

from .catalog_fixtures import RowsSource
from .test_bulk_subset import snapshot


def sample(name: str, w: int = 100) -> dict[str, Any]:
    return {"file_name": name, "width": w, "height": 50, "split": "train",
            "source_image_id": name.split(".")[0], "fields": None}  # fmt: skip


def box(i: int, label: str) -> dict[str, Any]:
    return {"sample_index": i, "label": label, "x": 1.0, "y": 1.0, "w": 5.0, "h": 5.0,
            "area": 25.0, "iscrowd": False, "difficult": False, "attributes": None}  # fmt: skip


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = Catalog(tmp_path / "cat")
    # target: a, b, c (c is 100 wide); source: b (same), c (80 wide: a conflict), d (new)
    write_dataset(cat, "dst", RowsSource([sample("a.jpg"), sample("b.jpg"), sample("c.jpg")],
                                         [box(0, "cat"), box(1, "cat")], ["cat"]))  # fmt: skip
    write_dataset(cat, "src", RowsSource([sample("b.jpg"), sample("c.jpg", 80), sample("d.jpg")],
                                         [box(0, "dog"), box(1, "cat"), box(2, "cat"),
                                          box(2, "dog")], ["cat", "dog"]))  # fmt: skip
    yield cat
    cat.close()


def boxes(cat: Catalog, name: str) -> list[tuple[str, str]]:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, name)
        return sorted(cur.execute(
            "SELECT s.file_name, a.label FROM annotations a JOIN samples s USING (sample_id) "
            "WHERE a.dataset_id = ?", [ds]).fetchall())  # fmt: skip


def add_vectors(catalog: Catalog, store: EdgeVectorStore) -> str:
    """A space both datasets have, a random vector per sample; its name."""
    space = store.ensure_space("clip", "1", 4).name
    for name in ("dst", "src"):
        with catalog.cursor() as cur:
            ds = catalog.dataset_id(cur, name)
        ids = queries.sample_ids(catalog, name, None).to_numpy()
        store.upsert(space, ids, np.random.default_rng(ds).normal(size=(len(ids), 4)),
                     dataset_ids=ds)  # fmt: skip
        record_space(catalog, ds, space=space, model="clip", version="1", dim=4,
                     preprocessing="t", count=len(ids), complete=True, info={})  # fmt: skip
    return space


@pytest.mark.parametrize("key", ["file_name", "image_id"])
def test_merge_appends_adds_and_reports(catalog: Catalog, tmp_path: Path, key: str) -> None:
    store = EdgeVectorStore(tmp_path / "edge")
    try:
        space = add_vectors(catalog, store)
        src_before = boxes(catalog, "src")
        result = merge_datasets(catalog, "src", "dst", key, vectors=lambda: store)
        assert (result.matched, result.added, result.labels) == (1, 1, 3)
        assert result.missing_classes == ["dog"]
        assert result.size_conflicts == [
            {key: "c.jpg" if key == "file_name" else "c",
             "source_size": [80, 50], "target_size": [100, 50]}
        ]  # fmt: skip
        assert boxes(catalog, "dst") == [("a.jpg", "cat"), ("b.jpg", "cat"), ("b.jpg", "dog"),
                                         ("d.jpg", "cat"), ("d.jpg", "dog")]  # fmt: skip
        assert boxes(catalog, "src") == src_before  # the source stays as it was
        info = {d["name"]: d for d in catalog.list_datasets()}["dst"]
        assert info["num_samples"] == 4 and info["num_annotations"] == 5
        with catalog.cursor() as cur:
            dst = catalog.dataset_id(cur, "dst")
            (d_id,) = cur.execute("SELECT sample_id FROM samples WHERE dataset_id = ? "
                                  "AND file_name = 'd.jpg'", [dst]).fetchall()[0]  # fmt: skip
        assert store.count(space, dst) == 4 and store.get_vectors(space, [d_id])[0].size == 1
        facets = queries.facets(catalog, "dst", None)
        assert facets == queries.facets(catalog, "dst", {})  # the stored parts dropped, consistent
    finally:
        store.close()


def test_a_failed_merge_leaves_everything(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(catalog)

    def fail(*_: Any) -> None:
        raise RuntimeError("planted failure")

    monkeypatch.setattr(merge_module, "_finish", fail)
    with pytest.raises(RuntimeError, match="planted"):
        merge_datasets(catalog, "src", "dst", "file_name")
    assert snapshot(catalog) == before
    with pytest.raises(CatalogError, match="into itself"):
        merge_datasets(catalog, "dst", "dst", "file_name")
    with pytest.raises(CatalogError, match="key must be one of"):
        merge_datasets(catalog, "src", "dst", "path")


def test_a_merge_cancelled_after_its_vectors_leaves_everything(
    catalog: Catalog, tmp_path: Path
) -> None:
    """A job's progress callback raising (its cancel) once the vectors are copied: they are
    removed again and no catalog row is written."""
    store = EdgeVectorStore(tmp_path / "edge")
    try:
        space = add_vectors(catalog, store)
        before, vectors_before = snapshot(catalog), store.count(space)
        stages: list[str] = []

        def cancel_at_rows(stage: str, _fraction: float) -> None:
            stages.append(stage)
            if stage == "writing rows":
                raise RuntimeError("cancelled")

        with pytest.raises(RuntimeError, match="cancelled"):
            merge_datasets(catalog, "src", "dst", "file_name", vectors=lambda: store,
                           progress=cancel_at_rows)  # fmt: skip
        assert stages == ["reading samples", "copying vectors", "writing rows"]
        assert snapshot(catalog) == before and store.count(space) == vectors_before
    finally:
        store.close()


def test_the_cli_merges_and_reports(catalog: Catalog, tmp_path: Path) -> None:
    """``visionlens merge SRC --into DST --key file_name --json`` on a catalog no server holds."""
    import json
    import os
    import subprocess
    import sys

    data = Path(catalog.data_dir)
    catalog.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "merge", "src", "--into", "dst",
         "--key", "file_name", "--json", "--data-dir", str(data)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["matched"], answer["added"], answer["labels"]) == (1, 1, 3)
    assert answer["missing_classes"] == ["dog"] and len(answer["size_conflicts"]) == 1
