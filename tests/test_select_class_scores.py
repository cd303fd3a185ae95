"""Classification uncertainty from what a model stored (issue #49 item 2), against values
worked by hand. Top-k image labels without per-class scores are together an image's
distribution (with the mass they leave out), not its best label alone: image 1 has k0 0.45
and k1 0.40, so p = (0.45, 0.40, 0.15) and its entropy is 1.010 nats; image 2 has k0 0.5
alone, p = (0.5, 0.5), 0.693; image 0, k0 0.9, 0.325. Read from its best label only,
image 1 would be (0.45, 0.55), 0.688, and come after image 2."""

from __future__ import annotations

import math
from pathlib import Path

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.select.request import parse_request
from visionlens_jlab.select.service import run_selection

from .test_evaluate_classification import CLASSES, LabelsSource


def entropy(p: list[float]) -> float:
    return -sum(x * math.log(x) for x in p)


def test_an_images_top_k_labels_are_its_distribution(tmp_path: Path) -> None:
    gt = [{"sample_index": i, "label": CLASSES[0]} for i in range(3)]
    pred = [{"image_ref": "0", "label": "k0", "score": 0.9},
            {"image_ref": "1", "label": "k0", "score": 0.45},
            {"image_ref": "1", "label": "k1", "score": 0.40},
            {"image_ref": "2", "label": "k0", "score": 0.5}]  # fmt: skip
    assert entropy([0.45, 0.40, 0.15]) > entropy([0.5, 0.5]) > entropy([0.45, 0.55])
    with Catalog(tmp_path / "catalog") as catalog:
        write_dataset(catalog, "pics", LabelsSource(3, gt))
        write_predictions(catalog, "pics", "clf", LabelsSource(0, pred, predictions=True))
        ids = sample_ids(catalog, "pics", None).to_pylist()
        request = parse_request({"count": 3, "strategies": "entropy"})
        out = run_selection(catalog, None, "pics", request)
    assert out["sample_ids"] == [ids[1], ids[2], ids[0]]


def test_a_zero_probability_leaves_a_sure_prediction_scored(tmp_path: Path) -> None:
    """Per-class scores with a 0 (``{"k0": 1.0, "k1": 0.0}``): entropy 0, a scored sample
    (0 log 0 is 0), chosen before the image without a prediction."""
    gt = [{"sample_index": i, "label": CLASSES[0]} for i in range(2)]
    pred = [{"image_ref": "1", "label": "k0", "score": 1.0, "scores": '{"k0": 1.0, "k1": 0.0}'}]
    with Catalog(tmp_path / "catalog") as catalog:
        write_dataset(catalog, "pics", LabelsSource(2, gt))
        write_predictions(catalog, "pics", "clf", LabelsSource(0, pred, predictions=True))
        ids = sample_ids(catalog, "pics", None).to_pylist()
        for word in ("entropy", "margin"):
            request = parse_request({"count": 2, "strategies": word})
            assert run_selection(catalog, None, "pics", request)["sample_ids"] == [ids[1], ids[0]]
