"""Exports read a view's objects a batch of whole samples at a time: batches of one or two
samples write the same bytes (the same Parquet rows) as a single batch, with a filter, a
class subset and a model's scores too, and no sample's objects are ever split across two
batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.export_fixtures import coco_source, run_cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.export import view as export_view_module
from visionlens_jlab.export.view import read_view
from visionlens_jlab.features import load as load_features

CASES = {
    "coco": ("--format", "coco"),
    "yolo": ("--format", "yolo"),
    "voc": ("--format", "voc"),
    "parquet": ("--format", "parquet"),
    "coco-model": ("--format", "coco", "--source", "m1", "--min-score", "0.3"),
    "yolo-subset": (
        "--format",
        "yolo",
        "--filter",
        '{"sample": {"split": {"in": ["train"]}}}',
        "--classes",
        "class1,class3",
    ),
}


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The synthetic masks dataset ``src`` (8 images, several objects each) and model ``m1``."""
    coco_source(tmp_path / "src", "segm")
    data_dir = tmp_path / "vl"
    code, _ = run_cli(
        capsys, data_dir, "ingest", str(tmp_path / "src" / "gt.json"), "--name", "src",
        "--images", str(tmp_path / "src" / "images"),
    )  # fmt: skip
    assert code == 0
    code, _ = run_cli(
        capsys, data_dir, "predictions", "src", str(tmp_path / "src" / "dets.json"), "--model",
        "m1",
    )  # fmt: skip
    assert code == 0
    return data_dir


def _files(root: Path) -> dict[str, Any]:
    """Every file under ``root`` by relative path: its bytes, or a Parquet file's rows."""
    out: dict[str, Any] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        out[rel] = (
            pq.read_table(path).to_pylist() if rel.endswith(".parquet") else path.read_bytes()
        )
    return out


@pytest.mark.parametrize("case", CASES)
def test_small_batches_write_the_same_files(
    case: str,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("export", "src", *CASES[case], "--images", "none")
    code, whole = run_cli(capsys, data_dir, *args, "--out", str(tmp_path / "whole"))
    assert code == 0, whole
    assert whole["annotations"] > 0
    monkeypatch.setattr(export_view_module, "BATCH_SAMPLES", 2)
    monkeypatch.setattr(export_view_module, "BATCH_OBJECTS", 3)  # below most samples' count
    code, small = run_cli(capsys, data_dir, *args, "--out", str(tmp_path / "small"))
    assert code == 0, small
    assert {**small, "out": ""} == {**whole, "out": ""}
    assert _files(tmp_path / "small") == _files(tmp_path / "whole")


def test_a_sample_is_never_split_across_batches(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_view_module, "BATCH_SAMPLES", 3)
    monkeypatch.setattr(export_view_module, "BATCH_OBJECTS", 4)
    load_features()
    catalog = Catalog(data_dir, read_only=True)
    try:
        view = read_view(catalog, "src", None)
        counts = view.objects.counts
        assert max(counts.values()) > 4  # some samples alone exceed a batch
        seen: list[int] = []
        rows = 0
        for begin, end, labels in view.objects.batches(["label"]):
            ids = view.samples["sample_id"][begin:end]
            assert 1 <= end - begin <= 3
            # several samples share a batch only within its size; a bigger one is alone
            assert end - begin == 1 or sum(counts.get(i, 0) for i in ids) <= 4
            assert set(labels.starts) <= set(ids)
            for sid in ids:
                first, last = labels.starts.get(sid, (0, 0))
                assert last - first == counts.get(sid, 0)  # all of its objects, here
            seen += ids
            rows += len(labels)
    finally:
        catalog.close()
    assert seen == view.samples["sample_id"]  # each sample once, in the view's order
    assert rows == len(view.objects) == sum(counts.values())
