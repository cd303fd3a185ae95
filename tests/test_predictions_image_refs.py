"""Which image a COCO results record names: its ``image_id`` against the dataset's image ids,
file names, base names and stems, in that order (``catalog/writes/image_keys.py``).

Both files are the real COCO val2014 ground truth and fake bbox results of
coco-val2014-100, written as the tools that meet these cases write them:

- a COCO file whose image ids count from 0 while its files are numbered from 1 (``1.jpg``
  holds image 0): results for image 1 mean ``2.jpg``, not the file whose stem is ``1``.
  pycocotools on the same two files is the oracle;
- the YOLO layout Ultralytics reads COCO from (``images/val2017/000000000042.jpg``), and the
  ``predictions.json`` its ``val(save_json=True)`` writes there: ``image_id`` is
  ``int(stem)`` (42), not the stem. The same results naming each image by its stem are the
  oracle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model
from visionlens_jlab.evaluate.coco import STAT_NAMES

from .evaluate_fixtures import ingest, ingest_predictions, pycocotools_eval
from .paths import DATASETS

COCO100 = DATASETS / "coco-val2014-100"
GT = COCO100 / "annotations/instances_val2014_100.json"
RESULTS = COCO100 / "results/instances_val2014_fakebbox100_results.json"


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "data")
    yield cat
    cat.close()


def _stats(report: Any) -> np.ndarray:
    return np.array([report.stats[name] for name in STAT_NAMES])


def test_an_image_id_beats_another_images_stem(catalog, tmp_path):
    gt = json.loads(GT.read_text())
    results = json.loads(RESULTS.read_text())
    new_id = {image["id"]: k for k, image in enumerate(gt["images"])}
    for k, image in enumerate(gt["images"]):
        image.update(id=k, file_name=f"{k + 1}.jpg")  # image 0 is 1.jpg, image 1 is 2.jpg...
    for ann in gt["annotations"]:
        ann["image_id"] = new_id[ann["image_id"]]
    for det in results:
        det["image_id"] = new_id[det["image_id"]]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "results.json").write_text(json.dumps(results))

    ingest(catalog, "renumbered", tmp_path / "gt.json", "coco")
    report = ingest_predictions(catalog, "renumbered", "fake", tmp_path / "results.json", "coco")
    assert report.to_dict()["predictions"] == len(results)
    expected = pycocotools_eval(json.loads((tmp_path / "gt.json").read_text()), results).stats
    got = _stats(evaluate_model(catalog, "renumbered", "fake", protocol="coco"))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    printed = [0.505, 0.697, 0.573, 0.586, 0.519, 0.501, 0.387, 0.594, 0.595, 0.640, 0.566, 0.564]
    np.testing.assert_allclose(got.round(3), printed, atol=0)  # the cocoapi demo's numbers


def _ultralytics_coco(root: Path, n_images: int) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The YOLO layout of the first ``n_images`` images (blank JPEGs of their size: only the
    size is read); returns the results on them and each image id's stem."""
    gt = json.loads(GT.read_text())
    categories = sorted(gt["categories"], key=lambda c: c["id"])
    index = {c["id"]: i for i, c in enumerate(categories)}
    (root / "images/val2017").mkdir(parents=True)
    (root / "labels/val2017").mkdir(parents=True)
    names = "".join(f"  {i}: {c['name']}\n" for i, c in enumerate(categories))
    (root / "data.yaml").write_text(f"path: .\nval: images/val2017\nnames:\n{names}")
    stems = {}
    for image in gt["images"][:n_images]:
        stem = stems[image["id"]] = f"{image['id']:012d}"
        width, height = image["width"], image["height"]
        Image.new("RGB", (width, height)).save(root / f"images/val2017/{stem}.jpg")
        rows = [
            f"{index[a['category_id']]} {(x + w / 2) / width:.6f} {(y + h / 2) / height:.6f} "
            f"{w / width:.6f} {h / height:.6f}"
            for a in gt["annotations"]
            if a["image_id"] == image["id"] and not a["iscrowd"]
            for x, y, w, h in [a["bbox"]]
        ]
        (root / f"labels/val2017/{stem}.txt").write_text("".join(r + "\n" for r in rows))
    results = [r for r in json.loads(RESULTS.read_text()) if r["image_id"] in stems]
    return results, stems


def test_ultralytics_predictions_name_a_numbered_image_by_its_number(catalog, tmp_path):
    results, stems = _ultralytics_coco(tmp_path / "coco", 12)
    ingest(catalog, "coco-yolo", tmp_path / "coco", "yolo")
    # the category ids are the ground truth's COCO ids: name the classes by position here,
    # as a YOLO dataset's results list does
    categories = sorted(json.loads(GT.read_text())["categories"], key=lambda c: c["id"])
    position = {c["id"]: i for i, c in enumerate(categories)}
    by_number = [{**r, "category_id": position[r["category_id"]]} for r in results]
    by_stem = [{**r, "image_id": stems[r["image_id"]]} for r in by_number]
    (tmp_path / "predictions.json").write_text(json.dumps(by_number))  # int(stem), as written
    (tmp_path / "by_stem.json").write_text(json.dumps(by_stem))

    report = ingest_predictions(catalog, "coco-yolo", "ul", tmp_path / "predictions.json", "coco")
    assert not [w for w in report.to_dict()["warnings"] if w["code"] == "prediction_unknown_image"]
    ingest_predictions(catalog, "coco-yolo", "stem", tmp_path / "by_stem.json", "coco")

    def rows(model: str) -> list[tuple[Any, ...]]:
        with catalog.cursor() as cur:
            return cur.execute(
                "SELECT sample_id, label, x, y, w, h, score FROM annotations "
                "WHERE source = ? ORDER BY ALL",
                [model],
            ).fetchall()

    assert len(rows("ul")) == len(results)
    assert rows("ul") == rows("stem")
    np.testing.assert_array_equal(
        _stats(evaluate_model(catalog, "coco-yolo", "ul", protocol="coco")),
        _stats(evaluate_model(catalog, "coco-yolo", "stem", protocol="coco")),
    )
