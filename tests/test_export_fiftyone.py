"""FiftyOne's own importers read VisionLens' COCO, YOLO and VOC exports: every image, and on
each its boxes' classes and coordinates (FiftyOne's relative ``[x, y, w, h]``) as the catalog
holds them.

FiftyOne (1.22, about 1 GB with its dependencies) cannot share the test environment, and its
database package downloads MongoDB when it installs, which fails offline. Its importers need
no database, so ``make test-python`` installs FiftyOne in an interpreter of its own
(``.venv/fiftyone``, see the Makefile) and names it in ``VISIONLENS_FIFTYONE_PYTHON``; the
importers run there in a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import coco_source, ingest_source, label_rows, run_cli

FIFTYONE_READ = """
import json, sys
import fiftyone.utils.coco as fouc
import fiftyone.utils.voc as fouv
import fiftyone.utils.yolo as fouy

def images(importer):
    found = {}
    with importer:
        for path, _metadata, label in importer:
            dets = [] if label is None else label.detections
            found[path.rsplit("/", 1)[-1]] = sorted(
                [d.label, *d.bounding_box] for d in dets
            )
    return found

fmt, root, splits = sys.argv[1], sys.argv[2], sys.argv[3:]
if fmt == "coco":
    found = images(fouc.COCODetectionDatasetImporter(dataset_dir=root, label_types="detections"))
elif fmt == "yolo":
    found = {}
    for split in splits:
        found.update(images(fouy.YOLOv5DatasetImporter(
            dataset_dir=root, yaml_path="data.yaml", split=split)))
else:
    found = images(fouv.VOCDetectionDatasetImporter(
        dataset_dir=root, data_path="JPEGImages", labels_path="Annotations"))
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def fiftyone_python() -> str:
    python = os.environ.get("VISIONLENS_FIFTYONE_PYTHON")
    if not python:
        pytest.skip(
            "VISIONLENS_FIFTYONE_PYTHON (a Python with fiftyone installed) is not set: "
            "`make test-python` sets it"
        )
    return python


def _ingest(
    root: Path, capsys: pytest.CaptureFixture[str], masks: bool
) -> tuple[Path, dict[str, list[list[Any]]]]:
    """The synthetic masks dataset (crowds, multi-part polygons, train/val), ingested with
    its masks or as boxes only; the catalog's boxes per image, relative to the image as
    FiftyOne keeps them."""
    gt, _ = coco_source(root / "src", "segm")
    if not masks:
        for ann in gt["annotations"]:
            ann.pop("segmentation", None)
        (root / "src" / "gt.json").write_text(json.dumps(gt))
    data_dir = ingest_source(capsys, root / "src", root / "vl")
    expected: dict[str, list[list[Any]]] = {}
    for row in label_rows(data_dir, "src"):
        w, h = row["image_w"], row["image_h"]
        box = [row["label"], row["x"] / w, row["y"] / h, row["w"] / w, row["h"] / h]
        expected.setdefault(row["file_name"], []).append(box)
    return data_dir, {name: sorted(boxes) for name, boxes in expected.items()}


@pytest.mark.parametrize(
    ("fmt", "masks", "tolerance"),
    [
        ("coco", True, 1e-9),
        ("voc", True, 1e-9),
        ("yolo", False, 1e-6),  # YOLO keeps 6 decimals of a relative coordinate
        # a segmentation export has no box column: FiftyOne boxes each polygon's extent,
        # so only the objects and their classes are compared
        ("yolo", True, None),
    ],
)
def test_fiftyone_reads_the_export(
    fmt: str,
    masks: bool,
    tolerance: float | None,
    fiftyone_python: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir, expected = _ingest(tmp_path, capsys, masks)
    out = tmp_path / "exports" / fmt
    code, result = run_cli(capsys, data_dir, "export", "src", "--format", fmt, "--out", str(out))
    assert code == 0, result
    done = subprocess.run(
        [fiftyone_python, "-c", FIFTYONE_READ, fmt, str(out), "train", "val"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "HOME": str(tmp_path / "home"), "FIFTYONE_DO_NOT_TRACK": "true",
             "PYTHONPATH": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert sorted(found) == sorted(f"{i}.jpg" for i in range(1, 9))  # empty images too
    for name, boxes in found.items():
        want = expected.get(name, [])
        assert [b[0] for b in boxes] == [b[0] for b in want], name
        if tolerance is not None:
            for got, exp in zip(boxes, want, strict=True):
                assert got[1:] == pytest.approx(exp[1:], abs=tolerance), (name, got, exp)
