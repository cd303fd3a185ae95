"""Panoptic segmentation: generated COCO panoptic files (stuff, things, crowd, void) and a
model's results ingested and evaluated through the CLI; PQ, SQ, RQ overall, for things and
stuff and per class equal hotcoco's ``pq_compute`` (a port of panopticapi's), and a
malformed result is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import run_cli

from .panoptic_fixtures import CATEGORIES, write_panoptic


def _ingest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Path], str]:
    files = write_panoptic(tmp_path, 30, seed=5)
    data = str(tmp_path / "data")
    code, out = run_cli(
        capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "pan",
        "--images", str(files["images"]), "--data-dir", data,
    )  # fmt: skip
    assert code == 0, out
    assert out["panoptic"] == {"masks": 30, "categories": len(CATEGORIES)}
    return files, data


def test_pq_equals_panopticapis_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hotcoco import panoptic

    files, data = _ingest(tmp_path, capsys)
    code, out = run_cli(
        capsys,
        "panoptic-predictions",
        "pan",
        str(files["pred_json"]),
        "--model",
        "m",
        "--data-dir",
        data,
    )
    assert code == 0 and out["masks"] == 30
    code, report = run_cli(capsys, "evaluate", "pan", "--model", "m", "--data-dir", data)
    assert code == 0, report
    ours = report["panoptic"]
    expected = panoptic.pq_compute(
        str(files["gt_json"]),
        str(files["pred_json"]),
        str(files["gt_folder"]),
        str(files["pred_folder"]),
    )
    for key in ("All", "Things", "Stuff"):
        assert ours[key]["n"] == expected[key]["n"]
        for metric in ("pq", "sq", "rq"):
            assert ours[key][metric] == pytest.approx(expected[key][metric], abs=1e-12), (
                key,
                metric,
            )
    names = {c["id"]: c["name"] for c in CATEGORIES}
    for cid, row in expected["per_class"].items():
        mine = ours["per_class"][names[int(cid)]]
        assert (mine["tp"], mine["fp"], mine["fn"]) == (row["tp"], row["fp"], row["fn"])
        assert mine["pq"] == pytest.approx(row["pq"], abs=1e-12)
    assert 0 < ours["Things"]["pq"] < 1 and ours["images"] == 30


def test_a_segment_missing_from_its_png_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused at import (tests/test_panoptic_json_png_mismatch.py); a PNG changed since,
    one of its segments painted over, stops the evaluation in one line naming it."""
    files, data = _ingest(tmp_path, capsys)
    model = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "panoptic-predictions", "pan", str(files["pred_json"]), *model)[0] == 0
    first = json.loads(files["pred_json"].read_text())["annotations"][0]
    png = files["pred_folder"] / first["file_name"]
    rgb = np.asarray(Image.open(png).convert("RGB")).copy()
    sid = first["segments_info"][0]["id"]
    wide = rgb.astype(np.int64)
    ids = wide[..., 0] + 256 * wide[..., 1] + 65536 * wide[..., 2]
    rgb[ids == sid] = 0
    Image.fromarray(rgb, mode="RGB").save(png)
    code, out = run_cli(capsys, "evaluate", "pan", *model)
    assert code == 1
    assert f"segments [{sid}] are in segments_info, not in the PNG" in out["stderr"]


def test_per_image_pq_is_a_sortable_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each image's PQ, SQ and RQ are hotcoco's ``PanopticEval`` on that image alone
    (panopticapi's ``pq_compute`` of a one-image set), stored as ``computed.panoptic_pq``,
    ``_sq`` and ``_rq``: the grid's page filters and sorts by them."""
    from hotcoco import panoptic

    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.reads.queries import samples_page

    files, data = _ingest(tmp_path, capsys)
    argv = ("panoptic-predictions", "pan", str(files["pred_json"]), "--model", "m")
    assert run_cli(capsys, *argv, "--data-dir", data)[0] == 0
    assert run_cli(capsys, "evaluate", "pan", "--model", "m", "--data-dir", data)[0] == 0
    gt, pred = json.loads(files["gt_json"].read_text()), json.loads(files["pred_json"].read_text())
    expected: dict[str, dict[str, float]] = {}
    for image, gt_ann, pred_ann in zip(
        gt["images"], gt["annotations"], pred["annotations"], strict=True
    ):
        one = {"images": [image], "categories": CATEGORIES}
        ev = panoptic.PanopticEval(
            {**one, "annotations": [gt_ann]},
            {**one, "annotations": [pred_ann]},
            gt_folder=str(files["gt_folder"]),
            pred_folder=str(files["pred_folder"]),
        )
        ev.evaluate()
        expected[image["file_name"]] = ev.results()["All"]
    assert len({round(e["pq"], 9) for e in expected.values()}) > 10  # the images differ
    ordered = sorted(e["pq"] for e in expected.values())
    below = (ordered[len(ordered) // 2] + ordered[len(ordered) // 2 + 1]) / 2
    catalog = Catalog(Path(data), read_only=True)
    try:
        page = samples_page(
            catalog,
            "pan",
            {"sample": {"computed.panoptic_pq": {"max": below}}},
            sort="computed.panoptic_pq",
            order="asc",
            include_annotations=False,
        )
    finally:
        catalog.close()
    kept = sorted((e["pq"], k) for k, e in expected.items() if e["pq"] <= below)
    assert page["total"] == len(kept)
    assert [s["file_name"] for s in page["samples"]] == [k for _, k in kept]
    for sample in page["samples"]:
        want = expected[sample["file_name"]]
        for metric in ("pq", "sq", "rq"):
            got = sample["computed"][f"panoptic_{metric}"]
            assert got == pytest.approx(want[metric], abs=1e-12), (sample["file_name"], metric)


def test_an_image_without_any_segment_has_no_per_image_pq() -> None:
    """panopticapi prints 0 with ``n`` 0 for a set where no category has a segment; a
    per-image field leaves such an image without a value (NaN: not sorted as the worst)."""
    from visionlens_jlab.semantic.panoptic_quality import PQStat, image_scores

    assert all(np.isnan(v) for v in image_scores(PQStat()))
    only_fp = PQStat(fp={3: 2})
    assert image_scores(only_fp) == (0.0, 0.0, 0.0)


def test_a_png_id_of_no_segment_is_an_error_in_predictions_and_void_in_truth() -> None:
    """A predicted id missing from ``segments_info`` is named in the error (panopticapi
    raises too); a ground-truth id of no segment is left out of every pair, as there."""
    from visionlens_jlab.semantic.panoptic_quality import PanopticError, PQStat, image_pq

    gt = np.array([[5, 5, 77, 77], [5, 5, 0, 77]], dtype=np.uint32)
    pred = np.array([[8, 8, 8, 9], [8, 8, 9, 9]], dtype=np.uint32)
    gt_segments = [{"id": 5, "category_id": 1, "area": 4, "iscrowd": 0}]
    pred_segments = [{"id": 8, "category_id": 1}, {"id": 9, "category_id": 3}]
    stat = PQStat()
    image_pq(gt, pred, gt_segments, pred_segments, {1, 3}, stat)
    # 8 covers 5 and one pixel of id 77 (no segment): IoU 4/5; 9 lies on 77 and void only
    assert stat.tp == {1: 1} and stat.iou[1] == pytest.approx(0.8) and stat.fp == {3: 1}
    with pytest.raises(PanopticError, match="segment 9 is in the PNG, not in segments_info"):
        image_pq(gt, pred, gt_segments, pred_segments[:1], {1, 3}, PQStat(), "x.png")


def test_a_half_is_not_more_than_half() -> None:
    """panopticapi's two halves, by hand on one-row images: a match needs IoU above 0.5
    (exactly 0.5 leaves a false negative and a false positive), and an unmatched prediction
    is forgiven only when more than half of it lies on void or on a crowd of its category
    (exactly half is a false positive, two thirds is not)."""
    from visionlens_jlab.semantic.panoptic_quality import PQStat, image_pq, pq_summary

    def run(gt_row: list[int], pred_row: list[int], gt_segments: list[dict[str, int]]) -> PQStat:
        stat = PQStat()
        gt, pred = np.array([gt_row], np.uint32), np.array([pred_row], np.uint32)
        pred_segments = [{"id": 9, "category_id": 1}, {"id": 10, "category_id": 2}]
        image_pq(gt, pred, gt_segments, pred_segments, {1, 2}, stat)
        return stat

    thing = {"id": 5, "category_id": 1, "area": 4, "iscrowd": 0}
    stuff = {"id": 7, "category_id": 2, "area": 6, "iscrowd": 0}
    # 9 covers thing 5 and as much again: IoU 4 / 8
    half_iou = run([5, 5, 5, 5, 7, 7, 7, 7, 7, 7], [9] * 8 + [10] * 2, [thing, stuff])
    assert half_iou.tp.get(1, 0) == 0 and half_iou.fn == {1: 1, 2: 1}
    assert half_iou.fp == {1: 1, 2: 1}  # 10 (2 pixels of 7's 6): IoU 1/3
    # 9 lies half on void, half on 7; 10 inside 7: IoU 4 / 6
    half_void = run([0, 0, 7, 7, 7, 7, 7, 7], [9, 9, 9, 9, 10, 10, 10, 10], [stuff])
    assert half_void.fp == {1: 1} and half_void.tp == {2: 1} and half_void.fn == {}
    assert half_void.iou[2] == pytest.approx(4 / 6)
    crowd = {"id": 3, "category_id": 1, "area": 2, "iscrowd": 1}
    half_crowd = run([3, 3, 7, 7, 7, 7, 7, 7], [9, 9, 9, 9, 10, 10, 10, 10], [crowd, stuff])
    assert half_crowd.fp == {1: 1} and half_crowd.tp == {2: 1} and half_crowd.fn == {}
    # 9 two thirds on void: forgiven; 10 covers 5 of 7's 6 pixels
    most_void = run([0, 0, 7, 7, 7, 7, 7, 7], [9, 9, 9, 10, 10, 10, 10, 10], [stuff])
    assert most_void.fp == {} and most_void.tp == {2: 1}
    assert most_void.iou[2] == pytest.approx(5 / 6)
    categories = {
        1: {"name": "person", "isthing": 1},
        2: {"name": "grass", "isthing": 0},
        4: {"name": "sky", "isthing": 0},
    }
    summary = pq_summary(half_void, categories)
    # person: PQ 0 over 1 FP; grass: 4/6 over one TP; sky: no segment, not averaged
    assert summary["Things"] == {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 1}
    assert summary["Stuff"]["pq"] == pytest.approx(4 / 6) and summary["Stuff"]["n"] == 1
    assert summary["All"]["pq"] == pytest.approx(2 / 6) and summary["All"]["n"] == 2
    assert summary["All"]["rq"] == pytest.approx(0.5)
