"""Each object's TIDE error: equal to the objects of ``tidecv``'s errors, stored with the
evaluation (step 24), found by the ``eval.tide`` filter, and typed again by an edit.

tidecv (the oracle, run here) numbers its objects in the order it reads them (``_id``): the
ground truth of the file in order (crowd regions included) and the predictions in order,
which is the order VisionLens keeps, so an error's ``_id`` is the object's index here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.query.filters import FilterError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.evaluate import evaluate_arrays, evaluate_model
from visionlens_jlab.evaluate.tide import MAIN_ERRORS

from .evaluate_fixtures import coco_input, ingest, ingest_predictions
from .test_evaluate_tide import planted_boxes


def tidecv_objects(gt: dict, dets: list[dict], tmp: Path) -> tuple[dict[int, str], set[int]]:
    """tidecv's errors as {prediction index: type} and the missed ground-truth indices."""
    from tidecv import TIDE, datasets

    gt_path, dt_path = tmp / "gt.json", tmp / "dt.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dets))
    tide = TIDE(mode="bbox")
    tide.evaluate(datasets.COCO(str(gt_path)), datasets.COCOResult(str(dt_path)), mode="bbox")
    (run,) = tide.runs.values()
    predicted: dict[int, str] = {}
    missed: set[int] = set()
    for error in run.errors:
        if error.short_name == "Miss":
            missed.add(int(error.gt["_id"]))
        else:
            assert int(error.pred["_id"]) not in predicted
            predicted[int(error.pred["_id"])] = error.short_name
    return predicted, missed


@pytest.mark.parametrize("seed", range(4))
def test_each_objects_error_equals_tidecvs(seed: int, tmp_path: Path) -> None:
    gt, dets = planted_boxes(seed)
    report, out = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    assert out.tide is not None and report.tide is not None
    predicted, missed = tidecv_objects(gt, dets, tmp_path)
    ours = {int(i): MAIN_ERRORS[c] for i, c in enumerate(out.tide.dt_error) if c >= 0}
    assert ours == predicted
    assert set(np.flatnonzero(out.tide.gt_missed).tolist()) == missed
    counts = {name: sum(1 for v in ours.values() if v == name) for name in MAIN_ERRORS}
    counts["Miss"] = len(missed)
    assert counts == report.tide["counts"]
    assert min(counts.values()) > 0  # every type occurs: no comparison is vacuous


@pytest.fixture
def planted(tmp_path: Path) -> Any:
    """A catalog with the planted dataset of seed 1 and its predictions, evaluated."""
    gt, dets = planted_boxes(1)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    catalog = Catalog(tmp_path / "data")
    ingest(catalog, "planted", tmp_path / "gt.json", "coco")
    ingest_predictions(catalog, "planted", "m1", tmp_path / "dt.json", "coco")
    report = evaluate_model(catalog, "planted", "m1")
    yield catalog, report, gt, dets
    catalog.close()


def tide_rows(catalog: Catalog, key: str) -> list[tuple[int, int, str]]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT ann_id, sample_id, error FROM tide_objects WHERE eval_key = ? ORDER BY ALL",
            [key],
        ).fetchall()


def matching_files(catalog: Catalog, key: str, source: str, types: list[str]) -> set[str]:
    spec = {"labels": [{"source": source, "eval": {"key": key, "tide": types}}]}
    page = queries.samples_page(catalog, "planted", spec, limit=1000)
    return {s["file_name"] for s in page["samples"]}


def test_stored_errors_are_found_by_the_tide_filter(planted: Any, tmp_path: Path) -> None:
    catalog, report, gt, dets = planted
    assert report.tide["objects"] is True
    rows = tide_rows(catalog, report.key)
    stored = {name: sum(1 for r in rows if r[2] == name) for name in MAIN_ERRORS}
    assert stored == report.tide["counts"]
    predicted, missed = tidecv_objects(gt, dets, tmp_path)
    name_of = {img["id"]: img["file_name"] for img in gt["images"]}
    for name in MAIN_ERRORS:
        if name == "Miss":
            want = {name_of[gt["annotations"][i]["image_id"]] for i in missed}
            got = matching_files(catalog, report.key, "ground_truth", ["Miss"])
        else:
            want = {name_of[dets[i]["image_id"]] for i, t in predicted.items() if t == name}
            got = matching_files(catalog, report.key, "m1", [name])
        assert got == want and want, name
    both = matching_files(catalog, report.key, "m1", ["Cls", "Loc"])
    assert both == matching_files(catalog, report.key, "m1", ["Cls"]) | matching_files(
        catalog, report.key, "m1", ["Loc"]
    )


def test_a_bad_tide_type_is_refused(planted: Any) -> None:
    catalog, report, *_ = planted
    spec = {"labels": [{"source": "m1", "eval": {"tide": ["Localisation"]}}]}
    with pytest.raises(FilterError, match="labels.eval.tide must be a list of"):
        queries.samples_page(catalog, "planted", spec)


def test_an_edit_types_its_samples_again_as_a_new_run_would(planted: Any) -> None:
    """Moving a prediction onto a missed object and deleting another prediction: the touched
    samples' errors are typed again inside the edit, equal to evaluating everything again."""
    catalog, report, gt, _ = planted
    rows = tide_rows(catalog, report.key)
    with catalog.cursor() as cur:
        missed_gt = cur.execute(
            "SELECT a.ann_id, a.sample_id, a.x, a.y, a.w, a.h, a.label FROM annotations a "
            "JOIN tide_objects t ON t.ann_id = a.ann_id WHERE t.error = 'Miss' "
            "ORDER BY a.ann_id LIMIT 1"
        ).fetchone()
        pred = cur.execute(
            "SELECT ann_id FROM annotations WHERE sample_id = ? AND source = 'm1' "
            "ORDER BY ann_id LIMIT 2",
            [missed_gt[1]],
        ).fetchall()
    ann, sample, x, y, w, h, label = missed_gt
    ops: list[dict[str, Any]] = [
        {"op": "add", "sample_id": sample, "label": label, "bbox": [x, y, w, h],
         "source": "m1", "score": 0.99},
    ]  # fmt: skip
    ops += [{"op": "delete", "annotation_id": a} for (a,) in pred[:1]]
    edits.apply_edits(catalog, "planted", ops, "tester")
    edited = tide_rows(catalog, report.key)
    assert edited != rows
    assert (ann, sample, "Miss") not in edited
    evaluate_model(catalog, "planted", "m1")  # the same key, written anew
    assert tide_rows(catalog, report.key) == edited
    edits.undo(catalog, "planted", "tester")
    assert tide_rows(catalog, report.key) == rows


def test_an_old_catalogs_evaluation_opens_no_objects_until_evaluated_again(
    tmp_path: Path,
) -> None:
    """Step 24 on a catalog written before it (the migrations' fixture): its evaluation has
    no stored errors, so the filter finds nothing (no error); evaluating again stores them."""
    import tarfile

    from .test_catalog_migrations import DATASET, FIXTURE

    with tarfile.open(FIXTURE / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    with Catalog(tmp_path / "data") as catalog:
        with catalog.cursor() as cur:
            ((key, model),) = cur.execute("SELECT eval_key, model FROM evaluations").fetchall()
        spec = {"labels": [{"source": model, "eval": {"key": key, "tide": list(MAIN_ERRORS)}}]}
        assert queries.samples_page(catalog, DATASET, spec)["total"] == 0
        with catalog.cursor() as cur:
            ((ann, label),) = cur.execute(
                "SELECT ann_id, label FROM annotations WHERE source = ? ORDER BY ann_id LIMIT 1",
                [model],
            ).fetchall()
            ((other,),) = cur.execute(
                "SELECT min(name) FROM categories WHERE name <> ?", [label]
            ).fetchall()
        # an edit matches its samples again, but does not type an untyped run's objects
        op = {"op": "relabel", "annotation_id": ann, "label": other}
        edits.apply_edits(catalog, DATASET, [op], "t")
        assert queries.samples_page(catalog, DATASET, spec)["total"] == 0
        report = evaluate_model(catalog, DATASET, model)
        assert report.key == key and report.tide is not None and report.tide["objects"]
        assert queries.samples_page(catalog, DATASET, spec)["total"] > 0


def test_errors_at_the_exact_thresholds_are_tidecvs(tmp_path: Path) -> None:
    """IoUs exactly at 0.1 and 0.5 (100 / 1000 and 100 / 200, exact in floats): tidecv's
    bounds are inclusive (Loc: 0.1 <= IoU <= 0.5; Cls: >= 0.5; Bkg: <= 0.1)."""
    image = {"id": 1, "width": 400, "height": 400, "file_name": "1.jpg"}
    truth = [(1, [0, 0, 10, 10]), (1, [100, 0, 10, 10]), (2, [0, 100, 10, 10]),
             (2, [100, 100, 10, 10])]  # fmt: skip
    gt = {
        "images": [image],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        "annotations": [
            {"id": k + 1, "image_id": 1, "category_id": c, "bbox": b, "area": 100.0,
             "iscrowd": 0, "segmentation": [[b[0], b[1], b[0], b[1] + 10, b[0] + 10,
                                             b[1] + 10, b[0] + 10, b[1]]]}
            for k, (c, b) in enumerate(truth)
        ],
    }  # fmt: skip
    planted = [
        ([0, 0, 10, 10], None),  # the first truth box's match
        ([0, 0, 20, 10], "Loc"),  # IoU 0.5 with that (used) box: Loc before Dupe
        ([100, 0, 100, 10], "Loc"),  # IoU 0.1 with its own class
        ([0, 100, 20, 10], "Cls"),  # IoU 0.5 with the other class
        ([100, 100, 100, 10], "Bkg"),  # IoU 0.1 with the other class only
    ]
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": b, "score": 0.9 - k / 10}
        for k, (b, _) in enumerate(planted)
    ]
    _, out = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    assert out.tide is not None
    ours = {int(i): MAIN_ERRORS[c] for i, c in enumerate(out.tide.dt_error) if c >= 0}
    predicted, _ = tidecv_objects(gt, dets, tmp_path)
    assert ours == predicted == {k: e for k, (_, e) in enumerate(planted) if e}
