"""VOC, classification tree and Parquet exports, and the bad-input cases of every export:
a refused or failed export leaves nothing behind (no output folder, no staging folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.export_fixtures import (
    coco_source,
    ingest_cli,
    ingest_source,
    label_rows,
    leftovers,
    run_cli,
    sample_rows,
)
from tests.ingest_fixtures import tiny_jpeg, write_voc
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.export.staging import staged

BOX = ("label", "x", "y", "difficult")


@pytest.fixture
def coco_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A data dir with ``src``: the synthetic COCO masks dataset, float boxes, train/val."""
    coco_source(tmp_path / "src", "segm")
    data_dir = tmp_path / "vl"
    ingest_source(capsys, tmp_path / "src", data_dir)
    return data_dir


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(tiny_jpeg())
    return root


def _image_labels(data_dir: Path, dataset: str) -> list[tuple[str, str, str | None]]:
    cat = Catalog(data_dir)
    try:
        with cat.cursor() as cur:
            rows = cur.execute(
                "SELECT s.file_name, c.label, s.split FROM classifications c "
                "JOIN samples s USING (sample_id) JOIN datasets d ON d.dataset_id = s.dataset_id "
                "WHERE d.name = ? AND c.source = 'ground_truth'",
                [dataset],
            ).fetchall()
    finally:
        cat.close()
    return sorted((f.rsplit("/", 1)[-1], label, split) for f, label, split in rows)


def test_voc_export_reingests(
    coco_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """x and y come back exactly; w and h as xmax - xmin, to float rounding; masks have no
    place in VOC XML."""
    out = tmp_path / "voc"
    code, result = run_cli(capsys, coco_dir, "export", "src", "--format", "voc", "--out", str(out))
    assert code == 0, result
    assert sorted(os.listdir(out)) == ["Annotations", "ImageSets", "JPEGImages", "labelmap.txt"]
    ingest_cli(capsys, coco_dir, out, "again")
    assert sample_rows(coco_dir, "again") == sample_rows(coco_dir, "src")
    again, src = label_rows(coco_dir, "again"), label_rows(coco_dir, "src")
    assert [[r[k] for k in BOX] for r in again] == [[r[k] for k in BOX] for r in src]
    for g, e in zip(again, src, strict=True):
        assert (g["w"], g["h"]) == pytest.approx((e["w"], e["h"]), rel=1e-12)


DATUMARO_CHECK = """
import json, sys
import datumaro as dm

ds = dm.Dataset.import_from(sys.argv[1], "voc_detection")
boxes = [a for item in ds for a in item.annotations if a.type == dm.AnnotationType.bbox]
labels = ds.categories()[dm.AnnotationType.label]
print(json.dumps({"images": len(ds), "boxes": len(boxes), "subsets": sorted(ds.subsets()),
                  "classes": sorted({labels[a.label].name for a in boxes})}))
"""


def test_voc_export_reads_in_datumaro(
    coco_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """datumaro's VOC importer finds the same images, boxes, splits and classes. datumaro
    (538 MB with its pins: pyarrow 25, Pillow 12, pandas, OpenCV) is not in the test extra:
    ``make test-python`` installs it apart (``pip install --target DIR datumaro``) and sets
    VISIONLENS_DATUMARO_PATH."""
    path = os.environ.get("VISIONLENS_DATUMARO_PATH")
    if not path:
        pytest.skip("VISIONLENS_DATUMARO_PATH (a folder datumaro is installed into) is not set")
    out = tmp_path / "voc"
    assert run_cli(capsys, coco_dir, "export", "src", "--format", "voc", "--out", str(out))[0] == 0
    done = subprocess.run(
        [sys.executable, "-c", DATUMARO_CHECK, str(out)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    src = label_rows(coco_dir, "src")
    splits = {row["split"] for row in sample_rows(coco_dir, "src").values()}
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "images": 8,
        "boxes": len(src),
        "subsets": sorted(splits),
        "classes": sorted({r["label"] for r in src}),
    }


def test_voc_source_round_trips_with_its_attributes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_voc(tmp_path / "src", 8)
    data_dir = tmp_path / "vl"
    ingest_cli(capsys, data_dir, tmp_path / "src", "src")
    out = tmp_path / "voc"
    assert run_cli(capsys, data_dir, "export", "src", "--format", "voc", "--out", str(out))[0] == 0
    ingest_cli(capsys, data_dir, out, "again")
    assert sample_rows(data_dir, "again") == sample_rows(data_dir, "src")
    assert label_rows(data_dir, "again") == label_rows(data_dir, "src")
    xml = (out / "Annotations" / "2024_000001.xml").read_text()
    assert "<pose>Unspecified</pose>" in xml and "<truncated>0</truncated>" in xml


def test_classification_tree_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "train/cat/a.jpg": "cat", "train/cat/b.jpg": "cat", "train/dog/c.jpg": "dog",
        "val/dog/d.jpg": "dog", "val/cat/e.jpg": "cat",
    }  # fmt: skip
    _tree(tmp_path / "src", files)
    data_dir = tmp_path / "vl"
    ingest_cli(capsys, data_dir, tmp_path / "src", "src")
    out = tmp_path / "tree"
    code, result = run_cli(
        capsys,
        data_dir,
        "export",
        "src",
        "--format",
        "classification",
        "--out",
        str(out),
        "--images",
        "symlink",
    )
    assert code == 0, result
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.jpg")) == sorted(files)
    assert all((out / rel).is_symlink() for rel in files)
    ingest_cli(capsys, data_dir, out, "again")
    assert _image_labels(data_dir, "again") == _image_labels(data_dir, "src")


def test_parquet_tables(coco_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pq"
    code, result = run_cli(
        capsys, coco_dir, "export", "src", "--format", "parquet", "--out", str(out)
    )
    assert code == 0, result
    samples = pq.read_table(out / "samples.parquet").to_pylist()
    objects = pq.read_table(out / "objects.parquet").to_pylist()
    assert len(samples) == 8 and all((out / s["image"]).is_file() for s in samples)
    src = label_rows(coco_dir, "src")
    assert sorted((o["label"], o["x"], o["y"], o["w"], o["h"]) for o in objects) == sorted(
        (r["label"], r["x"], r["y"], r["w"], r["h"]) for r in src
    )
    assert sum(o["segmentation"] is not None for o in objects) == len(src)


def _refused(
    capsys: pytest.CaptureFixture[str], data_dir: Path, out: Path, *argv: str
) -> dict[str, Any]:
    """Run an export that must fail; return its JSON error."""
    code, result = run_cli(capsys, data_dir, "export", "src", "--out", str(out), *argv)
    assert code != 0
    return dict(result["errors"][0]) if result else {}


def test_bad_input_leaves_nothing_behind(
    coco_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports" / "out"
    out.parent.mkdir()
    empty = json.dumps({"sample": {"split": {"in": ["nope"]}}})
    error = _refused(capsys, coco_dir, out, "--format", "coco", "--filter", empty)
    assert "selects no samples" in error["message"]
    assert (
        "unknown classes 'zebra'"
        in _refused(capsys, coco_dir, out, "--format", "yolo", "--classes", "zebra")["message"]
    )
    assert (
        "unknown source"
        in _refused(capsys, coco_dir, out, "--format", "coco", "--source", "m9")["message"]
    )
    assert (
        "no image-level labels"
        in _refused(capsys, coco_dir, out, "--format", "classification")["message"]
    )
    assert (
        "YOLO holds the splits"
        in _refused(capsys, coco_dir, out, "--format", "yolo", "--splits", "train=0.7,holdout=0.3")[
            "message"
        ]
    )
    assert (
        "--source MODEL"
        in _refused(capsys, coco_dir, out, "--format", "coco", "--min-score", "0.5")["message"]
    )
    assert leftovers(out.parent, "out") == []
    # a failure while writing: an image gone from disk
    os.remove(tmp_path / "src" / "images" / "5.jpg")
    assert "5.jpg" in _refused(capsys, coco_dir, out, "--format", "coco")["message"]
    assert leftovers(out.parent, "out") == []


def test_existing_output_is_refused_unless_overwrite(
    coco_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert "not empty" in _refused(capsys, coco_dir, out, "--format", "coco")["message"]
    assert os.listdir(out) == ["keep.txt"]
    code, result = run_cli(
        capsys, coco_dir, "export", "src", "--format", "coco", "--out", str(out), "--overwrite",
        "--images", "none",
    )  # fmt: skip
    assert code == 0, result
    assert sorted(os.listdir(out)) == ["data", "labels.json"]
    assert leftovers(tmp_path, "out") == ["out"]


def test_class_a_folder_cannot_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A class with '/' in its name cannot be a classification folder: refused, nothing
    written."""
    images = _tree(tmp_path / "imgs", {"a.jpg": "", "b.jpg": ""})
    table = tmp_path / "labels.csv"
    table.write_text("file,label\na.jpg,cats/dogs\nb.jpg,cat\n")
    data_dir = tmp_path / "vl"
    code, result = run_cli(
        capsys, data_dir, "ingest", str(table), "--name", "src", "--images", str(images)
    )
    assert code == 0, result
    out = tmp_path / "out"
    error = _refused(capsys, data_dir, out, "--format", "classification")
    assert "'cats/dogs' cannot be a folder name" in error["message"]
    assert leftovers(tmp_path, "out") == []
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "classification", "--out", str(out),
        "--classes", "cat",
    )  # fmt: skip
    assert code == 0, result
    # the image whose label was left out has none: FiftyOne's _unlabeled folder
    tree = sorted(str(p.relative_to(out)) for p in out.rglob("*.jpg"))
    assert tree == ["_unlabeled/a.jpg", "cat/b.jpg"]


def test_interrupted_export_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C while files are being written: the staging folder goes, ``out`` never
    appears."""
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), staged(out, overwrite=False) as root:
        (root / "labels.json").write_text("{")
        raise KeyboardInterrupt
    assert leftovers(tmp_path, "out") == []
