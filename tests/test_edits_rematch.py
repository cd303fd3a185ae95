"""After an edit, the evaluated boxes of the touched samples are matched again
(visionlens_jlab/evaluate/rematch.py): the stored per-box rows equal a full re-evaluation's
and pycocotools' matches on the labels now, the eval facets (indexed, stored and SQL) and
the evaluation summaries follow, and the held indexes are patched, not rebuilt."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model, list_evaluations
from visionlens_jlab.evaluate.api import evaluate_arrays
from visionlens_jlab.evaluate.load import load_input
from visionlens_jlab.evaluate.outcome_rows import outcome_table

from .edit_fixtures import objects, random_ops, within
from .evaluate_fixtures import pycocotools_eval
from .test_facet_index import both, catalog  # noqa: F401 - the fixture
from .test_sample_labels import SPECS, builds, dataset, rebuilt_rows, table_rows  # noqa: F401

EVAL_SPECS: list[dict[str, Any]] = [
    {},  # the stored whole-dataset eval facets
    SPECS[1],  # an eval label filter (ground truth FN of c2)
    {"labels": {"source": "m1", "eval": {"status": ["fp"], "error": ["class_confusion"]}}},
    {"labels": {"source": "m1", "classes": ["c1", "c5"], "eval": {"status": ["tp"]}}},
]


def stored_rows(cat: Catalog, ds: int, key: str) -> list[tuple[Any, ...]]:
    """The evaluation's per-box rows of existing boxes (IoU rounded), sorted."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT ann_id, sample_id, status, matched_ann_id, round(iou, 9), error_type, "
            "confused_with FROM box_evaluations WHERE dataset_id = ? AND eval_key = ? "
            "AND ann_id >= 0",
            [ds, key],
        ).fetchall()
    return sorted(rows, key=repr)


def full_rows(cat: Catalog, name: str, protocol: str) -> list[tuple[Any, ...]]:
    """The rows a full evaluation of m1 (``protocol``, IoU 0.5) would store now."""
    inp = load_input(cat, name, "m1")
    _, out = evaluate_arrays(inp, protocol, 0.5)
    table = outcome_table(inp, out).to_pylist()
    rows = [
        (r["ann_id"], r["sample_id"], r["status"], r["matched_ann_id"],
         None if r["iou"] is None else round(r["iou"], 9), r["error_type"], r["confused_with"])
        for r in table
    ]  # fmt: skip
    return sorted(rows, key=repr)


def pycocotools_matches(cat: Catalog, ds: int) -> dict[int, tuple[str, int | None]]:
    """pycocotools' status (IoU 0.5, area all, 100 detections) and matched truth box of
    every prediction of m1, on the labels now."""
    with cat.cursor() as cur:
        images = cur.execute(
            "SELECT sample_id, width, height FROM samples WHERE dataset_id = ?", [ds]
        ).fetchall()
        boxes = cur.execute(
            "SELECT ann_id, sample_id, source, label, x, y, w, h, COALESCE(area, w * h), "
            "iscrowd, score FROM annotations WHERE dataset_id = ? ORDER BY ann_id",
            [ds],
        ).fetchall()
    labels = sorted({b[3] for b in boxes})
    category = {label: k + 1 for k, label in enumerate(labels)}
    gt = {
        "images": [{"id": i, "width": w or 2000, "height": h or 2000} for i, w, h in images],
        "categories": [{"id": c, "name": n} for n, c in category.items()],
        "annotations": [
            {"id": b[0], "image_id": b[1], "category_id": category[b[3]],
             "bbox": [b[4], b[5], b[6], b[7]], "area": b[8], "iscrowd": int(bool(b[9]))}
            for b in boxes if b[2] == "ground_truth"
        ],
    }  # fmt: skip
    preds = [b for b in boxes if b[2] == "m1"]
    dets = [
        {"image_id": b[1], "category_id": category[b[3]], "bbox": [b[4], b[5], b[6], b[7]],
         "score": 1.0 if b[10] is None else b[10]}
        for b in preds
    ]  # fmt: skip
    ev = pycocotools_eval(gt, dets)
    out: dict[int, tuple[str, int | None]] = {b[0]: ("ignored", None) for b in preds}
    for e in ev.evalImgs:
        if e is None or e["aRng"] != [0, 1e10]:
            continue
        for k, det_id in enumerate(e["dtIds"]):
            ann = preds[det_id - 1][0]
            matched = int(e["dtMatches"][0, k])
            if e["dtIgnore"][0, k]:
                out[ann] = ("ignored", None)
            else:
                out[ann] = ("tp", matched) if matched else ("fp", None)
    return out


def stored_facets(cat: Catalog, ds: int, key: str) -> tuple[list[Any], list[Any]]:
    """The evaluation's stored whole-dataset eval facets (what the unfiltered facets read)
    as (facet, value, count) in their order, and the same counted from its rows now."""
    with cat.cursor() as cur:
        ((entries,),) = cur.execute(
            "SELECT entries FROM facet_parts WHERE dataset_id = ? AND part = ?",
            [ds, f"eval:{key}"],
        ).fetchall()
        counted = cur.execute(
            "SELECT facet, value, n FROM (SELECT 'eval.status' AS facet, status AS value, "
            "count(*) AS n FROM box_evaluations WHERE dataset_id = $1 AND eval_key = $2 "
            "GROUP BY ALL UNION ALL SELECT 'eval.error', error_type, count(*) "
            "FROM box_evaluations WHERE dataset_id = $1 AND eval_key = $2 GROUP BY ALL) "
            "WHERE value IS NOT NULL ORDER BY facet, n DESC, value",
            [ds, key],
        ).fetchall()
    stored = [(e["name"], v["value"], v["count"]) for e in json.loads(entries) for v in e["values"]]
    return stored, [tuple(r) for r in counted]


def check(cat: Catalog, ds: int, key: str, mp: pytest.MonkeyPatch) -> None:
    for evaluation in list_evaluations(cat, "rich"):  # the VOC one too
        rows = stored_rows(cat, ds, evaluation["key"])
        assert rows == full_rows(cat, "rich", evaluation["protocol"]), evaluation["key"]
        stored, counted = stored_facets(cat, ds, evaluation["key"])
        assert stored == counted and counted, evaluation["key"]
    stored = stored_rows(cat, ds, key)
    reference = pycocotools_matches(cat, ds)
    predicted = {r[0]: (r[2], r[3] if r[2] == "tp" else None) for r in stored if r[0] in reference}
    assert predicted == reference
    for spec in EVAL_SPECS:
        fast, slow = both(cat, "rich", spec, mp)
        assert fast == slow, spec


def test_edits_match_the_touched_samples_again_as_a_full_evaluation(
    catalog: Catalog,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    builds: list[int],  # noqa: F811 - the fixture
) -> None:
    rnd = random.Random(8)
    ds = dataset(catalog, "rich")
    (evaluation,) = list_evaluations(catalog, "rich")
    key = evaluation["key"]  # COCO's; a VOC evaluation beside it (the latest: its facets)
    evaluate_model(catalog, "rich", "m1", protocol="voc", iou=0.5)
    for spec in EVAL_SPECS:
        both(catalog, "rich", spec, monkeypatch)
    before = stored_rows(catalog, ds, key)
    predicted = sorted(a for a, o in objects(catalog, ds, "m1").items() if within(o))
    accepted = [{"op": "accept", "annotation_ids": rnd.sample(predicted, 20)}]
    edits.apply_edits(catalog, "rich", accepted, "t")  # each a true positive now
    check(catalog, ds, key, monkeypatch)
    matched = [r for r in stored_rows(catalog, ds, key) if r[2] == "tp"]
    assert len(matched) >= 2 * 20  # both sides of each accepted pair
    for _ in range(2):
        edits.apply_edits(catalog, "rich", random_ops(rnd, catalog, ds, 25), "t")
        check(catalog, ds, key, monkeypatch)
    edits.undo(catalog, "rich", "t")
    check(catalog, ds, key, monkeypatch)
    truth = set(objects(catalog, ds, "ground_truth"))
    deleted = [  # matched truth boxes deleted: their predictions become false positives
        {"op": "delete", "annotation_ids": [r[0] for r in matched if r[0] in truth][:15]},
        {"op": "relabel", "annotation_ids": [r[0] for r in matched if r[0] in truth][15:20],
         "label": "c0"},
    ]  # fmt: skip
    edits.apply_edits(catalog, "rich", deleted, "t")
    check(catalog, ds, key, monkeypatch)
    assert stored_rows(catalog, ds, key) != before  # the edits changed matches
    assert builds[0] == 1  # the box index patched by every edit, never rebuilt
    assert all(
        e["edited_since"] for e in list_evaluations(catalog, "rich")
    )  # the summary (AP) is still the run's
    assert table_rows(catalog, ds) == rebuilt_rows(catalog, ds)  # the summaries follow
    assert np.isfinite(evaluation["stats"].get("AP", 0.0))
