"""Panoptic segmentation: generated COCO panoptic files (stuff, things, crowd, void) and a
model's results ingested and evaluated through the CLI; PQ, SQ, RQ overall, for things and
stuff and per class equal hotcoco's ``pq_compute`` (a port of panopticapi's), and a
malformed result is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

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
    files, data = _ingest(tmp_path, capsys)
    results = json.loads(files["pred_json"].read_text())
    results["annotations"][0]["segments_info"].append({"id": 4242, "category_id": 1, "iscrowd": 0})
    files["pred_json"].write_text(json.dumps(results))
    run_cli(
        capsys,
        "panoptic-predictions",
        "pan",
        str(files["pred_json"]),
        "--model",
        "m",
        "--data-dir",
        data,
    )
    code, out = run_cli(capsys, "evaluate", "pan", "--model", "m", "--data-dir", data)
    assert code == 1
    assert "segments [4242] are in segments_info, not in the PNG" in out["stderr"]


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
