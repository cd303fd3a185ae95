"""The rules of an edit's matching again (visionlens_jlab/evaluate/rematch.py) that the
random edits of tests/test_edits_rematch.py do not meet: crowd regions and predictions
without a score are matched as a full evaluation matches them; an evaluation that is not
matched again (LVIS: its per-image cap and federated sets are not read inside the edit)
keeps its run's rows, except that the rows of the edited source's boxes in the touched
samples name no box any more (``ann_id`` becomes ``-1 - ann_id``), in the per-box results
and the TIDE errors alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model

from .evaluate_fixtures import ingest, ingest_predictions
from .lvis_fixtures import synthetic_lvis, write_lvis

TABLES = {
    "box_evaluations": "ann_id, sample_id, status, matched_ann_id, round(iou, 9), error_type",
    "tide_objects": "ann_id, sample_id, error",
}


def stored(catalog: Catalog, key: str) -> dict[str, list[tuple[Any, ...]]]:
    """The evaluation's rows of both tables, sorted."""
    with catalog.cursor() as cur:
        return {
            table: sorted(cur.execute(
                f"SELECT {columns} FROM {table} WHERE eval_key = ?",  # noqa: S608 - constants
                [key],
            ).fetchall(), key=repr)
            for table, columns in TABLES.items()
        }  # fmt: skip


def unmatched(rows: dict[str, list[tuple[Any, ...]]], boxes: set[int]) -> dict[str, list]:
    """``rows`` with the rows of ``boxes`` naming no box (``-1 - ann_id``)."""
    return {
        table: sorted(((-1 - r[0], *r[1:]) if r[0] in boxes else r for r in found), key=repr)
        for table, found in rows.items()
    }


def test_an_lvis_evaluation_unmatches_the_edited_sources_boxes(tmp_path: Path) -> None:
    gt, boxes, segms = synthetic_lvis(4, n_images=12, masks=False)
    gt_path, boxes_path, _ = write_lvis(tmp_path, gt, boxes, segms)
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "lv", gt_path, "coco")
        ingest_predictions(catalog, "lv", "boxes", boxes_path, "coco")
        key = evaluate_model(catalog, "lv", "boxes", protocol="lvis").key
        before = stored(catalog, key)
        assert before["tide_objects"] and any(r[2] == "ignored" for r in before["box_evaluations"])
        with catalog.cursor() as cur:
            # a sample whose predictions have TIDE errors and that has ground truth too
            ((sample,),) = cur.execute(
                "SELECT t.sample_id FROM tide_objects t JOIN annotations a USING (ann_id) "
                "WHERE t.eval_key = ? AND a.source = 'boxes' AND t.sample_id IN "
                "(SELECT sample_id FROM annotations WHERE source = 'ground_truth') "
                "GROUP BY ALL ORDER BY count(*) DESC, t.sample_id LIMIT 1",
                [key],
            ).fetchall()
            predicted = [r[0] for r in cur.execute(
                "SELECT ann_id FROM annotations WHERE sample_id = ? AND source = 'boxes' "
                "ORDER BY ann_id", [sample],
            ).fetchall()]  # fmt: skip
        label = gt["categories"][0]["name"]
        edits.apply_edits(catalog, "lv", [
            {"op": "relabel", "annotation_id": predicted[0], "label": label}], "t")  # fmt: skip
        want = unmatched(before, set(predicted))
        assert stored(catalog, key) == want != before
        # a second edit of the sample leaves the rows already unmatched as they are
        edits.apply_edits(catalog, "lv", [
            {"op": "relabel", "annotation_id": predicted[1], "label": label}], "t")  # fmt: skip
        assert stored(catalog, key) == want


def test_crowd_regions_and_missing_scores_are_matched_as_a_full_run(tmp_path: Path) -> None:
    """A prediction over a crowd region stays ignored, and one added without a score ranks
    as score 1.0 (as a full evaluation reads it): it takes the object from the 0.5 one."""
    image = {"width": 100, "height": 100}
    truth = [([0, 0, 40, 40], 0), ([50, 50, 40, 40], 1)]  # an object, a crowd region
    gt = {
        "images": [{**image, "id": i, "file_name": f"{i}.jpg"} for i in (1, 2)],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": 2 * i + k + 1, "image_id": i, "category_id": 1, "bbox": b, "area": 1600.0,
             "iscrowd": crowd}
            for i in (1, 2) for k, (b, crowd) in enumerate(truth)
        ],
    }  # fmt: skip
    dets = [
        {"image_id": i, "category_id": 1, "bbox": b, "score": s}
        for i in (1, 2) for b, s in (([0, 0, 40, 40], 0.5), ([52, 52, 30, 30], 0.4))
    ]  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "crowd", tmp_path / "gt.json", "coco")
        ingest_predictions(catalog, "crowd", "m", tmp_path / "dt.json", "coco")
        key = evaluate_model(catalog, "crowd", "m").key
        ingest_predictions(catalog, "crowd", "n", tmp_path / "dt.json", "coco")
        other = stored(catalog, evaluate_model(catalog, "crowd", "n").key)
        with catalog.cursor() as cur:
            ((sample,),) = cur.execute("SELECT min(sample_id) FROM samples").fetchall()
        op = {"op": "add", "sample_id": sample, "label": "a", "bbox": [1, 1, 40, 40],
              "source": "m"}  # fmt: skip
        (added,) = edits.apply_edits(catalog, "crowd", [op], "t")["added"]
        rows = stored(catalog, key)["box_evaluations"]
        status = {r[0]: r[2] for r in rows}
        # ignored: both crowd regions and both predictions over them
        assert status[added] == "tp" and list(status.values()).count("ignored") == 4
        # the other model's evaluation (its TIDE errors in this sample too) is untouched
        assert {r[1] for r in other["tide_objects"]} >= {sample}
        assert stored(catalog, key.replace("m", "n", 1)) == other
        evaluate_model(catalog, "crowd", "m")  # the same key, written anew
        assert stored(catalog, key)["box_evaluations"] == rows
