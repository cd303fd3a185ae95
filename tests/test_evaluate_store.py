"""Per-box results in the catalog: statuses, error types, confusion, the eval filter, facets."""

from __future__ import annotations

from typing import Any

import pytest

import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog, FilterError, NotFoundError
from visionlens_jlab.catalog.reads.queries import samples_page
from visionlens_jlab.handlers.evaluate import EVALUATE_JOB

from .evaluate_fixtures import write_scene


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "data")
    write_scene(cat)
    yield cat
    cat.close()


def _boxes(catalog, key):
    with catalog.cursor() as cur:
        rows = cur.execute(
            """
            SELECT a.source, a.label, a.score, b.status, b.error_type, b.confused_with,
                   m.label AS matched_label
            FROM box_evaluations b JOIN annotations a USING (ann_id)
            LEFT JOIN annotations m ON m.ann_id = b.matched_ann_id
            WHERE b.eval_key = ? ORDER BY a.source, a.ann_id
            """,
            [key],
        ).fetchall()
    return rows


def test_coco_outcomes_of_every_box(catalog):
    report = ev.evaluate_model(catalog, "scene", "m1")
    rows = _boxes(catalog, report.key)
    gt = [(r[1], r[3], r[5]) for r in rows if r[0] == "ground_truth"]
    assert gt == [
        ("cat", "tp", None),
        ("dog", "fn", "cat"),
        ("person", "tp", None),
        ("person", "ignored", None),
    ]
    preds = [(r[2], r[3], r[4], r[5], r[6]) for r in rows if r[0] == "m1"]
    assert preds == [
        (0.9, "tp", None, None, "cat"),
        (0.8, "fp", "duplicate", None, "cat"),
        (0.7, "fp", "class_confusion", "dog", "dog"),
        (0.6, "fp", "localization", None, "cat"),
        (0.95, "tp", None, None, "person"),
        (0.5, "ignored", None, None, "person"),  # inside the crowd region
        (0.4, "fp", "background", None, None),
    ]
    conf = report.confusion
    assert conf.loc["cat", "cat"] == 1 and conf.loc["person", "person"] == 1
    assert conf.loc["dog", "cat"] == 1  # the confusion explains the missed dog
    assert conf.loc["dog", "background"] == 0
    assert conf.loc["background", "cat"] == 2  # duplicate + localization
    assert conf.loc["background", "dog"] == 1
    assert int(conf.to_numpy().sum()) == 6
    table = report.per_class.set_index("class")
    counts = table[["tp", "fp", "fn", "num_gt"]]
    assert list(counts.loc["cat"]) == [1, 3, 0, 1]
    assert list(counts.loc["dog"]) == [0, 1, 1, 1]
    assert list(counts.loc["person"]) == [1, 0, 0, 1]
    assert report.counts == {"tp": 2, "fp": 4, "fn": 1, "ignored": 2}


def test_eval_label_filter(catalog):
    report = ev.evaluate_model(catalog, "scene", "m1")

    def files(spec):
        page = samples_page(catalog, "scene", spec, include_annotations=False)
        return sorted(s["file_name"] for s in page["samples"])

    assert files(
        {
            "labels": {
                "source": "m1",
                "eval": {"key": report.key, "status": ["fp"], "error": ["background"]},
                "score": {"min": 0.3},
            }
        }
    ) == ["img3.jpg"]
    assert (
        files(
            {
                "labels": {
                    "source": "m1",
                    "eval": {"status": ["fp"], "error": ["background"]},
                    "score": {"min": 0.8},
                }
            }
        )
        == []
    )
    assert files(
        {
            "labels": {
                "source": "ground_truth",
                "classes": ["dog"],
                "eval": {"status": ["fn"], "model": "m1"},
            }
        }
    ) == ["img1.jpg"]
    assert files({"labels": {"source": "m1", "eval": {"status": ["ignored"]}}}) == ["img2.jpg"]
    assert files({"labels": {"source": "m1", "eval": {"confused_with": ["dog"]}}}) == ["img1.jpg"]
    assert files({"labels": {"eval": {"model": "nope", "status": ["tp"]}}}) == []
    with pytest.raises(FilterError, match="status"):
        samples_page(catalog, "scene", {"labels": {"eval": {"status": ["wrong"]}}})
    with pytest.raises(FilterError, match="unknown labels.eval"):
        samples_page(catalog, "scene", {"labels": {"eval": {"stat": ["fp"]}}})


def test_latest_evaluation_and_replacement(catalog):
    coco = ev.evaluate_model(catalog, "scene", "m1", protocol="coco")
    voc = ev.evaluate_model(catalog, "scene", "m1", protocol="voc")
    listed = ev.list_evaluations(catalog, "scene")
    assert [e["key"] for e in listed] == [voc.key, coco.key]
    assert [e["latest"] for e in listed] == [True, False]
    # Under VOC the crowd region is an ignored box but IoU is plain: prediction 6 is an FP.
    spec: dict[str, Any] = {"labels": {"source": "m1", "eval": {"status": ["ignored"]}}}
    assert samples_page(catalog, "scene", spec)["total"] == 0
    spec["labels"]["eval"]["key"] = coco.key
    assert samples_page(catalog, "scene", spec)["total"] == 1
    # Same parameters again: replaced, not duplicated.
    ev.evaluate_model(catalog, "scene", "m1", protocol="coco")
    with catalog.cursor() as cur:
        n = cur.execute(
            "SELECT COUNT(*) FROM box_evaluations WHERE eval_key = ?", [coco.key]
        ).fetchone()
    assert n[0] == 11
    assert len(ev.list_evaluations(catalog, "scene")) == 2


def test_stored_report_round_trip_and_facets(catalog):
    report = ev.evaluate_model(catalog, "scene", "m1")
    stored = ev.report_for(catalog, "scene", report.key)
    assert stored.stats == report.stats
    assert stored.confusion.equals(report.confusion)
    assert stored.per_class["tp"].tolist() == report.per_class["tp"].tolist()
    facets = {
        (f["name"], f["source"]): {v["value"]: v["count"] for v in f["values"]}
        for f in ev.eval_facets(catalog, "scene")
    }
    assert facets[("eval.status", "m1")] == {"tp": 4, "fp": 4, "fn": 1, "ignored": 2}
    assert facets[("eval.error", "m1")] == {
        "duplicate": 1,
        "class_confusion": 1,
        "localization": 1,
        "background": 1,
    }
    with pytest.raises(NotFoundError):
        ev.get_evaluation(catalog, "scene", "missing")


def test_errors_are_clear(catalog):
    with pytest.raises(NotFoundError, match="no model 'm2'.*m1"):
        ev.evaluate_model(catalog, "scene", "m2")
    with pytest.raises(NotFoundError, match="no dataset"):
        ev.evaluate_model(catalog, "nope", "m1")
    with pytest.raises(Exception, match="protocol"):
        ev.evaluate_model(catalog, "scene", "m1", protocol="yolo")
    with pytest.raises(Exception, match="iou"):
        ev.evaluate_model(catalog, "scene", "m1", iou=1.5)


def test_deleting_the_dataset_removes_its_evaluations(catalog):
    ev.evaluate_model(catalog, "scene", "m1")
    catalog.delete_dataset("scene")
    with catalog.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM box_evaluations").fetchone()[0] == 0
        assert cur.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 0


def test_progress_is_reported(catalog):
    seen = []
    ev.evaluate_model(catalog, "scene", "m1", progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_facets_follow_the_sample_filter(catalog):
    ev.evaluate_model(catalog, "scene", "m1")
    only_img3 = {"sample": {"file_name": {"eq": "img3.jpg"}}}
    facets = {
        f["name"]: {v["value"]: v["count"] for v in f["values"]}
        for f in ev.eval_facets(catalog, "scene", only_img3)
    }
    assert facets == {"eval.status": {"fp": 1}, "eval.error": {"background": 1}}


def test_coco_per_box_threshold_other_than_the_standard_ones(catalog):
    """iou=0.3 only moves the per-box results; the 12 COCO numbers stay those of 0.50:0.95."""
    at_05 = ev.evaluate_model(catalog, "scene", "m1", iou=0.5)
    at_03 = ev.evaluate_model(catalog, "scene", "m1", iou=0.3)
    assert at_03.stats == at_05.stats
    assert at_03.key != at_05.key
    # Prediction 4 (IoU 0.4 with the cat already taken) stays an FP but is now a duplicate.
    errors = {r[2]: r[4] for r in _boxes(catalog, at_03.key) if r[0] == "m1"}
    assert errors[0.6] == "duplicate"


def test_confused_flag_separates_explained_misses(catalog):
    ev.evaluate_model(catalog, "scene", "m1")
    gt_fn: dict[str, Any] = {"source": "ground_truth", "eval": {"model": "m1", "status": ["fn"]}}
    explained = dict(gt_fn, eval=dict(gt_fn["eval"], confused=True))
    unexplained = dict(gt_fn, eval=dict(gt_fn["eval"], confused=False))
    assert samples_page(catalog, "scene", {"labels": explained})["total"] == 1
    assert samples_page(catalog, "scene", {"labels": unexplained})["total"] == 0


def test_worker_process_path_gives_the_same_results(catalog):
    """Server jobs evaluate big datasets in a worker process; force it on the small scene."""
    from visionlens_jlab.jobs import JobManager

    in_process = ev.evaluate_model(catalog, "scene", "m1", store=False)
    manager = JobManager(max_workers=1)
    try:
        job = manager.submit(
            EVALUATE_JOB,
            lambda ctx: ev.evaluate_model(catalog, "scene", "m1", job=ctx, worker_min_boxes=0),
        )
        done = manager.wait(job.id, timeout=120)
    finally:
        manager.shutdown()
    assert done.status == "done", done.error
    assert done.result.to_dict()["stats"] == in_process.to_dict()["stats"]
    assert done.result.confusion.equals(in_process.confusion)
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT COUNT(*) FROM box_evaluations").fetchone()[0]
    assert rows == 11


def test_catalog_facets_include_the_evaluation_fields(catalog):
    from visionlens_jlab.catalog.reads.queries import facets

    ev.evaluate_model(catalog, "scene", "m1")
    got = {(f["name"], f.get("source")): f for f in facets(catalog, "scene", None)["facets"]}
    status = {v["value"]: v["count"] for v in got[("eval.status", "m1")]["values"]}
    assert status == {"tp": 4, "fp": 4, "fn": 1, "ignored": 2}  # boxes: GT and predictions
    only_img3 = {"sample": {"file_name": {"eq": "img3.jpg"}}}
    got = {(f["name"], f.get("source")): f for f in facets(catalog, "scene", only_img3)["facets"]}
    assert {v["value"]: v["count"] for v in got[("eval.error", "m1")]["values"]} == {
        "background": 1
    }


def test_the_write_restores_duckdbs_thread_count(tmp_path):
    # the summary refresh runs on one thread; the server's own bound must come back after it
    with Catalog(tmp_path / "data", threads=3) as cat:
        write_scene(cat)
        ev.evaluate_model(cat, "scene", "m1")
        with cat.cursor() as cur:
            ((threads,),) = cur.execute("SELECT current_setting('threads')").fetchall()
        assert threads == 3
        assert ev.list_evaluations(cat, "scene")[0]["latest"]
