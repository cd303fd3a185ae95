"""The document describes the real answers of the evaluation, patches and quality routes
(issue #48 item 5): the JSON a real Jupyter server sends for the evaluations list, one
report, a patches page (objects, evaluation patches, label-quality patches), a patch
selection's samples, the quality view (object and classification label quality, image
quality), the stored label- and image-quality results, a filter's ids, a selection's
position and its code, a dataset's vector spaces, and the VLM calibration and its labels
is valid against the response schemas of ``visionlens_jlab/openapi.yaml``,
the schemas the lab's types are generated from. The strict ones refuse keys they do not
name, so a field the server starts sending without the document fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.image_quality.job import run_image_quality
from visionlens_jlab.label_quality.classification import run_class_label_quality
from visionlens_jlab.label_quality.job import run_label_quality
from visionlens_jlab.predict.vlm_labels import DEFAULT_QUESTIONS
from visionlens_jlab.search.captions import append_texts, start_texts

from .image_quality_fixtures import PLANTED, add_dataset, write_images
from .map_fixtures import write_map_dataset
from .test_class_label_quality import label_quality_data as class_labels
from .test_evaluate_classification import LabelsSource
from .test_label_reads import labelled  # noqa: F401 - the fixture
from .test_quality_view import MODEL, planted  # noqa: F401 - the fixture
from .test_wire_answers import assert_answers

EVALUATIONS = "/datasets/{name}/evaluations"
PATCHES = "/datasets/{name}/patches"
QUALITY = "/datasets/{name}/quality"
LABEL_QUALITY = "/datasets/{name}/label-quality"


def test_a_report_with_an_unnamed_or_mistyped_field_is_refused() -> None:
    """The check bites: a key the EvaluationReport schema does not name, or a wrong type."""
    row = {"class": "cat", "AP": None, "precision": 1.0, "recall": 0.5, "tp": 1, "fp": 0,
           "fn": 1, "num_gt": 2, "AP50": 0.7}  # fmt: skip
    confusion = {"labels": ["cat", "background"], "matrix": [[1, 1], [0, 0]]}
    report: dict[str, Any] = {
        "key": "k", "dataset": "d", "model": "m", "protocol": "coco", "iou_type": "bbox",
        "iou": 0.5, "params": {}, "stats": {"AP": 0.5, "AP50": None},
        "per_class": [row], "confusion": confusion,
        "pr_curves": {"cat": {"recall": [0.0], "precision": [1.0]}},
        "counts": {"tp": 1}, "warnings": [], "created_at": "2026-01-01T00:00:00",
        "latest": True,
    }  # fmt: skip
    one = f"{EVALUATIONS}/{{key}}"
    assert_answers(one, "get", report)
    for broken in (
        {**report, "colour": "red"},
        {**report, "protocol": "yolo"},
        {**report, "per_class": [{**row, "tp": "1"}]},
        {**report, "confusion": {**confusion, "order": []}},
    ):
        with pytest.raises(AssertionError, match="evaluations"):
            assert_answers(one, "get", broken)


async def test_evaluations_and_patches_answer_as_documented(
    api: Any,
    wait_job: Any,
    vl_app: Any,
    planted: Any,  # noqa: F811 - the fixture
) -> None:
    status, queued = await api("POST", "datasets/planted/evaluations", {"model": MODEL})
    assert status == 202, queued
    assert_answers(EVALUATIONS, "post", queued, "202")
    job = await wait_job(queued["job"])
    assert job["status"] == "done", job
    status, listed = await api("GET", "datasets/planted/evaluations")
    assert status == 200 and len(listed["evaluations"]) == 1, listed
    assert_answers(EVALUATIONS, "get", listed)
    key = listed["evaluations"][0]["key"]
    status, report = await api("GET", f"datasets/planted/evaluations/{key}")
    assert status == 200 and report["per_class"] and report["pr_curves"], report
    assert_answers(f"{EVALUATIONS}/{{key}}", "get", report)

    status, view = await api("GET", "datasets/planted/quality")
    assert status == 200 and view["label"] is None and view["image"] is None, view
    assert_answers(QUALITY, "get", view)
    run_label_quality(vl_app.catalog, "planted", MODEL)
    status, view = await api("GET", "datasets/planted/quality")
    assert status == 200 and view["label"]["kind"] == "objects", view
    assert any(r["example"] for r in view["label"]["issues"]), view
    assert_answers(QUALITY, "get", view)
    status, stored = await api("GET", "datasets/planted/label-quality", params={"model": MODEL})
    assert status == 200 and stored["boxes"] and stored["images"], stored
    assert_answers(LABEL_QUALITY, "get", stored)

    bodies = (
        {"kind": "evaluation", "model": MODEL, "sort": "iou"},  # pairs: match, crop_with
        {"source": MODEL, "evaluation": key},  # coloured by their status
        {"sort": "lq_score"},  # label quality: lq_ fields, flagged ones' match
    )
    pages = []
    for body in bodies:
        status, page = await api("POST", "datasets/planted/patches", {**body, "limit": 1000})
        assert status == 200 and page["objects"], (body, page)
        assert_answers(PATCHES, "post", page)
        pages.append(page)
    evaluated, coloured, scored = (p["objects"] for p in pages)
    assert {o["status"] for o in evaluated} == {"tp", "fp", "fn"}
    assert any(o.get("crop_with") for o in evaluated)
    assert {o["status"] for o in coloured} >= {"tp", "fp"}
    assert any(o.get("match") for o in scored if o["lq_flagged"])

    picked = [o["ann_id"] for o in coloured[:5]]
    status, samples = await api("POST", "datasets/planted/patches/samples", {"ann_ids": picked})
    assert status == 200 and samples["sample_ids"], samples
    assert_answers(f"{PATCHES}/samples", "post", samples)


async def test_classification_and_image_quality_answer_as_documented(
    api: Any, vl_app: Any, http_server_client: Any, tmp_path: Path
) -> None:
    gt, full, top, _, _ = class_labels(4, 60)
    write_dataset(vl_app.catalog, "pics", LabelsSource(len(gt), gt))
    write_predictions(vl_app.catalog, "pics", "clf", LabelsSource(0, full, predictions=True))
    write_predictions(vl_app.catalog, "pics", "top1", LabelsSource(0, top, predictions=True))
    run_class_label_quality(vl_app.catalog, "pics", "clf")
    status, view = await api("GET", "datasets/pics/quality")
    assert status == 200 and view["label"]["kind"] == "classification", view
    assert not all(m["scorable"] for m in view["models"])  # top1: a reason why not
    assert_answers(QUALITY, "get", view)
    status, stored = await api("GET", "datasets/pics/label-quality", params={"model": "clf"})
    assert status == 200 and stored["images"] and stored["boxes"] == [], stored
    assert_answers(LABEL_QUALITY, "get", stored)

    root = tmp_path / "photos"
    add_dataset(vl_app.catalog, root, write_images(root, [*PLANTED, "clean"], seed=5), "photos")
    run_image_quality(vl_app.catalog, "photos", in_process=True)
    status, summary = await api("GET", "datasets/photos/image-quality")
    assert status == 200 and summary["issues"], summary
    assert_answers("/datasets/{name}/image-quality", "get", summary)
    status, view = await api("GET", "datasets/photos/quality")
    assert status == 200 and view["image"]["issues"] and view["label"] is None, view
    assert_answers(QUALITY, "get", view)


async def test_ids_a_selections_position_and_code_answer_as_documented(
    api: Any,
    labelled: str,  # noqa: F811 - the fixture
) -> None:
    flt = {"labels": [{"classes": ["person"]}]}
    status, found = await api("POST", f"datasets/{labelled}/ids", {"filter": flt})
    assert status == 200 and found["ids"], found
    assert_answers("/datasets/{name}/ids", "post", found)
    ids = found["ids"]
    for body in ({"ids": ids, "filter": flt}, {"ids": [-1], "filter": flt}):  # found, none
        status, where = await api("POST", f"datasets/{labelled}/position", body)
        assert status == 200 and (where["index"] is None) == (body["ids"] == [-1]), where
        assert_answers("/datasets/{name}/position", "post", where)
    for body in ({"ids": ids}, {"filter": flt}, {"ids": list(range(1001))}):  # the last: none
        status, code = await api("POST", f"datasets/{labelled}/selection-code", body)
        assert status == 200 and (code["code"] is None) == (len(body.get("ids", ())) > 1000)
        assert_answers("/datasets/{name}/selection-code", "post", code)


async def test_vlm_calibration_and_labels_answer_as_documented(
    api: Any,
    vl_app: Any,
    labelled: str,  # noqa: F811 - the fixture
) -> None:
    status, calibration = await api("GET", f"datasets/{labelled}/vlm/calibration")
    assert status == 200 and calibration["questions"] == [], calibration  # no VLM run yet
    assert_answers("/datasets/{name}/vlm/calibration", "get", calibration)
    _, found = await api("POST", f"datasets/{labelled}/ids", {})
    ids = found["ids"]
    question = DEFAULT_QUESTIONS[0]
    # a VLM run's answers, as its job writes them (tests/test_vlm_calibration.py: plant)
    params = {"model": "planted", "task": "vlm", "questions": [question.to_dict()]}
    with vl_app.catalog.cursor() as cur:
        dataset_id = vl_app.catalog.dataset_id(cur, labelled)
    start_texts(vl_app.catalog, dataset_id, [question.field], "vlm:planted", params)
    answers = [question.answers[i % 2] for i in range(len(ids))]
    append_texts(vl_app.catalog, dataset_id, ids, {question.field: answers})
    body = {"labels": [{"sample_id": i, "question": question.key, "answer": a}
                       for i, a in zip(ids, answers, strict=True)]}  # fmt: skip
    status, stored = await api("POST", f"datasets/{labelled}/vlm/labels", body)
    assert status == 200 and stored["stored"] == len(ids), stored
    assert_answers("/datasets/{name}/vlm/labels", "post", stored)
    status, calibration = await api("GET", f"datasets/{labelled}/vlm/calibration")
    assert status == 200 and calibration["questions"][0]["n_labels"] == len(ids), calibration
    assert_answers("/datasets/{name}/vlm/calibration", "get", calibration)


async def test_a_datasets_vector_spaces_answer_as_documented(api: Any, vl_app: Any) -> None:
    made = write_map_dataset(vl_app.catalog, vl_app.vector_store(), "tiny", 12, dim=8)
    space = made.space
    record_space(
        vl_app.catalog, made.dataset_id, space=space.name, model=space.model,
        version=space.version, dim=space.dim, preprocessing="", count=12, complete=True,
        info={},
    )  # fmt: skip
    status, listed = await api("GET", "datasets/tiny/spaces")
    assert status == 200 and [s["count"] for s in listed["spaces"]] == [12], listed
    assert_answers("/datasets/{name}/spaces", "get", listed)
