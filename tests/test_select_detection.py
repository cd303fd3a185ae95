"""Detection uncertainty and two-model disagreement as selection strategies (issue #49 item
2), on COCO files through the project's parsers and writer, against the definitions
computed here by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog, NotFoundError
from visionlens_jlab.catalog.writes.dataset_writer import write_predictions
from visionlens_jlab.predict.model_runs import start_model_run
from visionlens_jlab.select.request import SelectionError, parse_request
from visionlens_jlab.select.service import run_selection

from .evaluate_fixtures import ingest, ingest_predictions
from .test_evaluate_classification import LabelsSource

# image -> the boxes of model a: (class, bbox, score)
A = {
    1: [(1, [0, 0, 10, 10], 0.98)],  # sure: 1 - |2s - 1| = 0.04
    2: [(1, [0, 0, 10, 10], 0.55)],  # unsure: 0.9
    3: [(1, [0, 0, 10, 10], 0.9), (2, [1, 1, 10, 10], 0.85)],  # two classes on one place
    4: [(2, [20, 20, 5, 5], 0.7)],  # 0.6
    5: [],
}
B = {
    1: [(1, [0, 0, 10, 10], 0.9)],
    2: [(2, [0, 0, 10, 10], 0.9)],
    3: [],
    4: [(2, [20, 20, 5, 5], 0.8)],
}


def _dets(boxes: dict[int, list[Any]]) -> list[dict[str, Any]]:
    return [{"image_id": i, "category_id": c, "bbox": b, "score": s}
            for i, found in boxes.items() for c, b, s in found]  # fmt: skip


@pytest.fixture
def scene(tmp_path: Path) -> Any:
    gt = {
        "images": [{"id": i, "file_name": f"{i}.jpg", "width": 64, "height": 64} for i in A],
        "annotations": [
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "bbox": [0, 0, 10, 10],
                "area": 100,
                "iscrowd": 0,
            }
            for i in A
        ],  # fmt: skip
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "a.json").write_text(json.dumps(_dets(A)))
    (tmp_path / "b.json").write_text(json.dumps(_dets(B)))
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "det", tmp_path / "gt.json", "coco")
        ingest_predictions(catalog, "det", "a", tmp_path / "a.json", "coco")
        ingest_predictions(catalog, "det", "b", tmp_path / "b.json", "coco")
        with catalog.cursor() as cur:
            rows = cur.execute("SELECT source_image_id, sample_id FROM samples").fetchall()
        yield catalog, {int(image): sample for image, sample in rows}


def _chosen(catalog: Catalog, by_image: dict[int, int], **body: Any) -> list[int]:
    out = run_selection(catalog, None, "det", parse_request(body))
    image_of = {s: i for i, s in by_image.items()}
    return [image_of[s] for s in out["sample_ids"]]


def test_uncertainty_takes_conflicting_then_unsure_boxes(scene: Any) -> None:
    catalog, by_image = scene
    # image 3: two classes at IoU 0.68, min / max = 0.85 / 0.9 = 0.94 (its low-score term
    # is 0.3); image 2: 0.9; image 4: 0.6; image 1: 0.04; image 5, no box: 0
    order = _chosen(catalog, by_image, count=5, strategies="uncertainty", models=["a"])
    assert order == [3, 2, 4, 1, 5]


def test_disagreement_counts_the_boxes_the_other_model_lacks(scene: Any) -> None:
    catalog, by_image = scene
    # image 2: the classes differ (2 of 2 unmatched); image 3: b has none (2 of 2); image 1
    # and 4 agree (0); image 5: neither has a box (0)
    order = _chosen(catalog, by_image, count=2, strategies="disagreement", models=["a", "b"])
    assert sorted(order) == [2, 3]
    with pytest.raises(SelectionError, match="two models"):
        parse_request({"count": 2, "strategies": "disagreement", "models": ["a"]})
    with pytest.raises(
        NotFoundError, match=r"no model 'c' on this dataset \(known: \['b', 'a'\]\)"
    ):
        _chosen(catalog, by_image, count=2, strategies="uncertainty", models=["c"])


def test_without_a_model_named_the_newest_with_boxes_is_scored(scene: Any) -> None:
    catalog, by_image = scene
    # the newest model has nothing to score: a predict job's run just started (its row is
    # written first), as a semantic model's label maps have no box either
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "det")
    start_model_run(catalog, dataset_id, "running", "hub/detector", {})
    newest_with_boxes = _chosen(catalog, by_image, count=5, strategies="uncertainty", models=["b"])
    assert _chosen(catalog, by_image, count=5, strategies="uncertainty") == newest_with_boxes
    with pytest.raises(SelectionError, match="no model 'running' with objects"):
        _chosen(catalog, by_image, count=2, strategies="uncertainty", models=["running"])


def test_disagreement_refuses_models_of_two_kinds(scene: Any) -> None:
    """Image labels against boxes share nothing to compare: before, every box of the
    detector counted as unmatched (or every score was NaN), a ranking by box count."""
    catalog, by_image = scene
    labels = [{"image_ref": str(i), "label": "cat", "score": 0.6} for i in by_image]
    write_predictions(catalog, "det", "clf", LabelsSource(0, labels, predictions=True))
    for pair in (["a", "clf"], ["clf", "a"]):
        with pytest.raises(SelectionError, match="two models of one kind: .* classification"):
            _chosen(catalog, by_image, count=2, strategies="disagreement", models=pair)


def test_uncertainty_over_candidates_the_model_has_no_box_on_is_refused(scene: Any) -> None:
    """Image 5 has no box of model a and image 3 none of b: a detection's uncertainty is 0
    without a box, so before, a filter on them "chose" by id order and stored it."""
    catalog, by_image = scene
    only = {"ids": [by_image[5]]}
    with pytest.raises(SelectionError, match="none of the 1 candidates has a prediction of "
                       "model 'a'"):  # fmt: skip
        _chosen(catalog, by_image, count=1, strategies="uncertainty", models=["a"], filter=only)
    assert _chosen(catalog, by_image, count=1, strategies="uncertainty", models=["b"],
                   filter={"ids": [by_image[5], by_image[4]]}) == [4]  # fmt: skip
    with catalog.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM selections").fetchall() == [(1,)]
