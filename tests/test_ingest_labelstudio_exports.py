"""Label Studio's own COCO, VOC and YOLO exports ingest with one command each.

The exports are written by Label Studio's converter (``label_studio_sdk.converter``, in the
Label Studio environment ``make test-python`` installs) from a project export of four real
photos with two boxes each, as its Export button writes them: COCO as ``result.json`` beside
``images/``, VOC as ``Annotations/`` + ``images/``, YOLO as ``images/`` + ``labels/`` +
``classes.txt`` + ``notes.json``. The oracle is the project export itself: each box's
percentages of the image's size.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.labelstudio_fixtures import label_studio_command
from tests.paths import DATASETS
from tests.test_ingest_exports import cli
from visionlens_jlab.catalog import Catalog

PHOTOS = sorted((DATASETS / "padilla-review-voc100" / "images").glob("*.jpg"))[:4]
BOXES = (("Cat", 10.0, 20.0, 30.0, 40.0), ("Dog", 50.0, 10.0, 20.5, 15.25))  # % of the image
CONFIG = (
    '<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">'
    '<Label value="Cat"/><Label value="Dog"/></RectangleLabels></View>'
)
CONVERT = """
import sys
from label_studio_sdk.converter import Converter
for fmt in ("COCO", "VOC", "YOLO"):
    Converter(config="config.xml", project_dir=".", download_resources=True).convert(
        "export.json", "out_" + fmt, fmt, is_dir=False)
"""


def _task(i: int, photo: Path, folder: Path) -> dict[str, Any]:
    width, height = Image.open(photo).size
    result = [
        {
            "id": f"r{i}{k}",
            "type": "rectanglelabels",
            "from_name": "label",
            "to_name": "image",
            "original_width": width,
            "original_height": height,
            "image_rotation": 0,
            "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0,
                      "rectanglelabels": [label]},
        }
        for k, (label, x, y, w, h) in enumerate(BOXES)
    ]  # fmt: skip
    shutil.copy(photo, folder / "media")
    return {
        "id": i + 1,
        "data": {"image": f"/data/local-files/?d=media/{photo.name}"},
        "annotations": [{"id": i + 1, "result": result}],
    }


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding ``out_COCO``, ``out_VOC`` and ``out_YOLO``."""
    python = label_studio_command().parent / "python"
    folder = tmp_path_factory.mktemp("labelstudio")
    (folder / "media").mkdir()
    tasks = [_task(i, photo, folder) for i, photo in enumerate(PHOTOS)]
    (folder / "export.json").write_text(json.dumps(tasks))
    (folder / "config.xml").write_text(CONFIG)
    env = {**os.environ, "LOCAL_FILES_DOCUMENT_ROOT": str(folder)}
    subprocess.run([python, "-c", CONVERT], cwd=folder, env=env, check=True, timeout=300)
    # Label Studio's YOLO export leaves images/ empty for local files: the user copies them
    for photo in PHOTOS:
        shutil.copy(photo, folder / "out_YOLO" / "images")
    return folder


def _expected() -> list[tuple[Any, ...]]:
    out = []
    for photo in PHOTOS:
        width, height = Image.open(photo).size
        for label, x, y, w, h in BOXES:
            box = (x * width / 100, y * height / 100, w * width / 100, h * height / 100)
            out.append((photo.stem, label, *box))
    return sorted(out)


@pytest.mark.parametrize(("fmt", "tolerance"), [("COCO", 1e-6), ("YOLO", 1e-3), ("VOC", 1.0)])
def test_a_label_studio_export_ingests_with_one_command(
    exports: Path, tmp_path: Path, fmt: str, tolerance: float
) -> None:
    """VOC rounds corners to whole pixels; YOLO keeps six decimals of a fraction."""
    out = cli(tmp_path / "vl", "ingest", str(exports / f"out_{fmt}"), "--name", "ls")
    assert (out["samples"], out["annotations"], out["errors"]) == (4, 8, [])
    with Catalog(tmp_path / "vl") as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, a.label, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN samples s USING (sample_id)"
        ).fetchall()
    # every converter renames the photos its own way; the photo's stem stays in the name
    got = sorted((next(p.stem for p in PHOTOS if p.stem in r[0]), *r[1:]) for r in rows)
    want = _expected()
    assert [g[:2] for g in got] == [w[:2] for w in want]
    pairs = zip(got, want, strict=True)
    assert all(abs(a - b) <= tolerance for g, w in pairs for a, b in zip(g[2:], w[2:], strict=True))
