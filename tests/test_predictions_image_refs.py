"""Which image a COCO results record names: its ``image_id`` against the dataset's image ids,
file names, base names and stems, in that order (``catalog/writes/image_keys.py``).

The files are the real COCO val2014 ground truth and fake bbox results of
coco-val2014-100, written as the tools that meet these cases write them:

- a COCO file whose image ids count from 0 while its files are numbered from 1 (``1.jpg``
  holds image 0): results for image 1 mean ``2.jpg``, not the file whose stem is ``1``.
  pycocotools on the same two files is the oracle.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

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
