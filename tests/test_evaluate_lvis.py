"""LVIS federated evaluation (``--protocol lvis``) against hotcoco's ``LVISeval`` and the
``lvis`` API's ``LVISEval`` (the oracles, run here) on synthetic LVIS files ingested through
the COCO parser: summary numbers and every box's outcome, bbox and segm; the LVIS fields at
ingest, the refusals, the CLI and REST answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.store.migrations import schema_version
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.config import CATALOG_FILE
from visionlens_jlab.evaluate import evaluate_model, report_for
from visionlens_jlab.evaluate.lvis import LVIS_STAT_NAMES

from .evaluate_fixtures import ingest, ingest_predictions
from .lvis_fixtures import hotcoco_lvis, lvis_api, synthetic_lvis, write_lvis
from .test_evaluate_cli_labels import run_cli
from .test_evaluate_tide import assert_equal_to_tidecv, tidecv_errors

SEEDS = (0, 1, 2)
STATUS = {"tp": 0, "fp": 1, "fn": 2, "ignored": 3}


@pytest.fixture(scope="module")
def lvis_data(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Any]:
    """Per seed: the synthetic files, ingested as dataset ``lv{seed}`` with models ``boxes``
    (bbox results) and ``masks`` (segm results)."""
    root = tmp_path_factory.mktemp("lvis")
    data = root / "data"
    out: dict[Any, Any] = {"data": data}
    with Catalog(data) as catalog:
        for seed in SEEDS:
            folder = root / f"s{seed}"
            folder.mkdir()
            gt, boxes, segms = synthetic_lvis(seed)
            gt_path, boxes_path, segms_path = write_lvis(folder, gt, boxes, segms)
            ingest(catalog, f"lv{seed}", gt_path, "coco")
            ingest_predictions(catalog, f"lv{seed}", "boxes", boxes_path, "coco")
            ingest_predictions(catalog, f"lv{seed}", "masks", segms_path, "coco")
            out[seed] = (gt_path, gt, {"bbox": boxes, "segm": segms})
    return out


def _statuses(catalog: Catalog, dataset: str, key: str, source: str) -> list[int]:
    """The stored per-box status of ``source``'s objects, in source (annotation id) order."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT e.status FROM box_evaluations e JOIN annotations a USING (ann_id) "
            "JOIN datasets d ON d.dataset_id = e.dataset_id "
            "WHERE d.name = ? AND e.eval_key = ? AND a.source = ? ORDER BY a.ann_id",
            [dataset, key, source],
        ).fetchall()
    return [STATUS[r[0]] for r in rows]


def _lvis_statuses(ev: Any, results: list[dict[str, Any]], n_gt: int) -> tuple[list, list]:
    """Each prediction's and ground truth's outcome at IoU 0.5, area all, in ``LVISEval``'s
    per-image matches (a prediction in none of them, capped or outside the image's
    federated sets, is ignored)."""
    # LVISResults numbers the predictions it keeps in its own order: map them back
    by_id = {a["id"]: a["source_index"] for a in ev.lvis_dt.dataset["annotations"]}
    dt_status, gt_status = [STATUS["ignored"]] * len(results), [STATUS["fn"]] * n_gt
    for e in ev.eval_imgs:
        if e is None or list(e["area_rng"]) != [0, 1e10]:
            continue
        for k, dt_id in enumerate(e["dt_ids"]):
            at = by_id[dt_id]
            if not e["dt_ignore"][0, k]:
                dt_status[at] = STATUS["tp"] if e["dt_matches"][0, k] else STATUS["fp"]
        for k, gt_id in enumerate(e["gt_ids"]):
            if e["gt_matches"][0, k]:
                gt_status[gt_id - 1] = STATUS["tp"]
    return dt_status, gt_status


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
@pytest.mark.parametrize("seed", SEEDS)
def test_lvis_equals_hotcoco_and_the_lvis_api(
    lvis_data: dict[Any, Any], seed: int, iou_type: str
) -> None:
    gt_path, gt, results = lvis_data[seed]
    results = results[iou_type]
    model = "boxes" if iou_type == "bbox" else "masks"
    with Catalog(lvis_data["data"]) as catalog:
        report = evaluate_model(catalog, f"lv{seed}", model, protocol="lvis", iou_type=iou_type)
        hot = hotcoco_lvis(gt_path, results, iou_type)
        ev = lvis_api(gt_path, results, iou_type)
        assert list(report.stats) == list(LVIS_STAT_NAMES) == list(ev.results)
        for name in LVIS_STAT_NAMES:
            assert report.stats[name] == pytest.approx(hot[name], abs=1e-9), name
            assert report.stats[name] == pytest.approx(ev.results[name], abs=1e-9), name
        assert report.stats["AP"] > 0.05 and min(report.stats.values()) > -1  # all defined
        assert report.warnings == []
        # every box's outcome, as the lvis API's per-image matches at IoU 0.5 say
        want_dt, want_gt = _lvis_statuses(ev, results, len(gt["annotations"]))
        key = report.key
        assert key == f"{model}--lvis-{'segm-' if iou_type == 'segm' else ''}iou0.5"
        assert _statuses(catalog, f"lv{seed}", key, model) == want_dt
        assert _statuses(catalog, f"lv{seed}", key, "ground_truth") == want_gt
        # the rules were exercised: capped and unverified predictions ignored, matches, misses
        assert want_dt.count(STATUS["ignored"]) > 100 and want_dt.count(STATUS["tp"]) > 20
        assert report.counts["fn"] == want_gt.count(STATUS["fn"]) > 0
        assert {"AP50", "AP75", "AR300"} <= set(report.per_class.columns)
        # the report as stored reads back
        assert report_for(catalog, f"lv{seed}", key).stats == report.stats


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
@pytest.mark.parametrize("seed", SEEDS)
def test_tide_equals_tidecv_reading_lvis(
    lvis_data: dict[Any, Any], seed: int, iou_type: str, tmp_path: Path
) -> None:
    """TIDE of an LVIS evaluation is tidecv's on the same files read as LVIS
    (``tidecv.datasets.LVIS``): 300 predictions per image, and the classes an image's
    annotators did not verify, or not exhaustively, ignored there when unmatched."""
    gt_path, gt, results = lvis_data[seed]
    model = "boxes" if iou_type == "bbox" else "masks"
    with Catalog(lvis_data["data"]) as catalog:
        report = evaluate_model(catalog, f"lv{seed}", model, protocol="lvis", iou_type=iou_type)
        with catalog.cursor() as cur:  # each object's error is stored, so the bars open them
            stored = dict(cur.execute(
                "SELECT error, count(*) FROM tide_objects WHERE eval_key = ? AND dataset_id = "
                "(SELECT dataset_id FROM datasets WHERE name = ?) GROUP BY error",
                [report.key, f"lv{seed}"],
            ).fetchall())  # fmt: skip
    mode = "bbox" if iou_type == "bbox" else "mask"
    want = tidecv_errors(gt_path, results[iou_type], mode, tmp_path, lvis=True)
    assert report.tide is not None
    assert_equal_to_tidecv(report.tide, want)
    assert stored == {k: v for k, v in report.tide["counts"].items() if v}
    # read as a COCO file instead (no ignore regions, 100 per image), the numbers differ:
    # the comparison above is not vacuous
    as_coco = {**gt, "annotations": [{**a, "iscrowd": 0} for a in gt["annotations"]]}
    plain = tidecv_errors(as_coco, results[iou_type], mode, tmp_path)
    assert abs(plain["ap"] - want["ap"]) > 0.5


def test_not_exhaustive_and_negative_sets_change_the_numbers(
    lvis_data: dict[Any, Any], tmp_path: Path
) -> None:
    """Without the federated sets (lists emptied), unverified classes are not evaluated and
    not-exhaustive ones count their false positives: other numbers, still hotcoco's."""
    _, gt, results = lvis_data[0]
    plain = json.loads(json.dumps(gt))
    for image in plain["images"]:
        image["not_exhaustive_category_ids"] = []
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(plain))
    boxes_path = tmp_path / "boxes.json"
    boxes_path.write_text(json.dumps(results["bbox"]))
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "plain", gt_path, "coco")
        ingest_predictions(catalog, "plain", "boxes", boxes_path, "coco")
        report = evaluate_model(catalog, "plain", "boxes", protocol="lvis")
    hot = hotcoco_lvis(gt_path, results["bbox"], "bbox")
    got = [report.stats[n] for n in LVIS_STAT_NAMES]
    np.testing.assert_allclose(got, [hot[n] for n in LVIS_STAT_NAMES], rtol=0, atol=1e-9)
    with Catalog(lvis_data["data"]) as catalog:
        federated = report_for(catalog, "lv0", "boxes--lvis-iou0.5")
    assert report.stats["AP"] != pytest.approx(federated.stats["AP"], abs=1e-6)


def test_ingest_keeps_the_lvis_fields(lvis_data: dict[Any, Any], tmp_path: Path) -> None:
    _, gt, _ = lvis_data[1]
    with Catalog(lvis_data["data"]) as catalog, catalog.cursor() as cur:
        frequencies = cur.execute(
            "SELECT source_category_id, frequency FROM categories c JOIN datasets d "
            "USING (dataset_id) WHERE d.name = 'lv1' ORDER BY category_id"
        ).fetchall()
        fields = cur.execute(
            "SELECT s.fields FROM samples s JOIN datasets d USING (dataset_id) "
            "WHERE d.name = 'lv1' ORDER BY TRY_CAST(source_image_id AS BIGINT)"
        ).fetchall()
    assert frequencies == [(c["id"], c["frequency"]) for c in gt["categories"]]
    assert [json.loads(f[0])["neg_category_ids"] for f in fields] == [
        im["neg_category_ids"] for im in gt["images"]
    ]
    # a frequency outside r/c/f is reported and left out
    bad = json.loads(json.dumps(gt))
    bad["categories"][0]["frequency"] = "x"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "bad", path, "coco")
        with catalog.cursor() as cur:
            ((first,),) = cur.execute(
                "SELECT frequency FROM categories WHERE category_id = 0"
            ).fetchall()
    assert first is None
    assert "coco_bad_category_frequency" in json.dumps(summary.warnings)


def test_refusals(lvis_data: dict[Any, Any], tmp_path: Path) -> None:
    """A dataset without LVIS's per-image lists is refused with what to do; so are iou types
    LVIS does not define and version diffs."""
    _, gt, results = lvis_data[2]
    coco = json.loads(json.dumps(gt))
    for image in coco["images"]:
        del image["neg_category_ids"], image["not_exhaustive_category_ids"]
    gt_path, boxes_path = tmp_path / "coco.json", tmp_path / "boxes.json"
    gt_path.write_text(json.dumps(coco))
    boxes_path.write_text(json.dumps(results["bbox"]))
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "coco", gt_path, "coco")
        ingest_predictions(catalog, "coco", "boxes", boxes_path, "coco")
        with pytest.raises(CatalogError, match="has no LVIS annotations.*neg_category_ids"):
            evaluate_model(catalog, "coco", "boxes", protocol="lvis")
        with pytest.raises(CatalogError, match="COCO protocol only"):
            evaluate_model(catalog, "coco", "boxes", protocol="lvis", iou_type="keypoints")
        assert evaluate_model(catalog, "coco", "boxes").stats["AP"] > 0  # COCO still works
    with Catalog(lvis_data["data"]) as catalog:
        from visionlens_jlab.edits.versions import diff_versions

        with pytest.raises(CatalogError, match="not lvis"):
            diff_versions(catalog, "lv2", "current", "current", model="boxes", protocol="lvis")


def test_catalog_before_the_frequency_step(lvis_data: dict[Any, Any], tmp_path: Path) -> None:
    """A catalog written before step 26 (no ``categories.frequency``) opens, migrates, keeps
    its rows and evaluates LVIS with APr/APc/APf undefined and a warning saying why."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(lvis_data["data"], data)
    with duckdb.connect(str(data / CATALOG_FILE)) as con:
        con.execute("ALTER TABLE categories DROP COLUMN frequency")
        con.execute("UPDATE meta SET value = '25' WHERE key = 'schema_version'")  # before 26
        n_categories = con.execute("SELECT count(*) FROM categories").fetchone()
    with Catalog(data) as catalog:
        with catalog.cursor() as cur:
            assert schema_version(cur) == latest_version()
            assert cur.execute("SELECT count(*) FROM categories").fetchone() == n_categories
            assert cur.execute(
                "SELECT count(*) FROM categories WHERE frequency IS NOT NULL"
            ).fetchone() == (0,)
        report = evaluate_model(catalog, "lv0", "boxes", protocol="lvis")
    gt_path, _, results = lvis_data[0]
    hot = hotcoco_lvis(gt_path, results["bbox"], "bbox")
    assert report.stats["APr"] == report.stats["APc"] == report.stats["APf"] == -1
    for name in set(LVIS_STAT_NAMES) - {"APr", "APc", "APf"}:
        assert report.stats[name] == pytest.approx(hot[name], abs=1e-9), name
    assert any("frequency" in w for w in report.warnings)


def test_cli_json(lvis_data: dict[Any, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    data = str(lvis_data["data"])
    argv = ["evaluate", "lv1", "--model", "masks", "--protocol", "lvis", "--iou-type", "segm"]
    code, out, _ = run_cli(monkeypatch, capsys, [*argv, "--data-dir", data, "--json"])
    assert code == 0
    answer = json.loads(out)
    assert answer["protocol"] == "lvis" and list(answer["stats"]) == list(LVIS_STAT_NAMES)
    gt_path, _, results = lvis_data[1]
    hot = hotcoco_lvis(gt_path, results["segm"], "segm")
    assert answer["stats"]["APr"] == pytest.approx(hot["APr"], abs=1e-9)
    code, out, _ = run_cli(monkeypatch, capsys, [*argv, "--data-dir", data])
    assert code == 0 and "LVIS segm evaluation of 'masks'" in out and "AR@300" in out


async def test_rest_lvis(vl_app: Any, api: Any, wait_job: Any, tmp_path: Path) -> None:
    gt, boxes, segms = synthetic_lvis(5, n_images=12)
    gt_path, boxes_path, _ = write_lvis(tmp_path, gt, boxes, segms)
    ingest(vl_app.catalog, "lv", gt_path, "coco")
    ingest_predictions(vl_app.catalog, "lv", "boxes", boxes_path, "coco")
    status, started = await api(
        "POST", "datasets/lv/evaluations", {"model": "boxes", "protocol": "lvis"}
    )
    assert status == 202, started
    job = await wait_job(started["job"])
    assert job["status"] == "done", job
    hot = hotcoco_lvis(gt_path, boxes, "bbox")
    assert job["result"]["stats"]["AP"] == pytest.approx(hot["AP"], abs=1e-9)
    status, report = await api("GET", "datasets/lv/evaluations/boxes--lvis-iou0.5")
    assert status == 200 and report["protocol"] == "lvis"
    assert list(report["stats"]) == list(LVIS_STAT_NAMES)
    status, _ = await api(
        "POST", "datasets/lv/evaluations", {"model": "boxes", "protocol": "lvis",
                                            "iou_type": "keypoints"}
    )  # fmt: skip
    assert status == 400


@pytest.mark.parametrize("seed", [0, 1])
def test_class_wide_accumulation_is_pycocotools_per_class(seed: int) -> None:
    """``accumulate_lvis`` (every class at once) equals the per-class accumulation COCO uses
    (pycocotools' arithmetic, line for line) bit for bit, at an extra threshold too."""
    from visionlens_jlab.evaluate.coco import IOU_THRESHOLDS, accumulate_coco, match_coco
    from visionlens_jlab.evaluate.lvis import (
        LVIS_MAX_DETS,
        accumulate_lvis,
        cap_per_image,
        federated,
    )
    from visionlens_jlab.evaluate.similarity import box_similarity

    from .evaluate_fixtures import coco_input

    gt, boxes, _ = synthetic_lvis(seed, n_images=200, n_cats=40, crowded=3, masks=False)
    inp = coco_input(gt, boxes)
    n_cats = len(inp.classes)
    keep = cap_per_image(inp.dt) & federated(inp.gt, inp.dt, n_cats, np.zeros(0, np.int64))
    thresholds = np.append(IOU_THRESHOLDS, 0.33)
    match = match_coco(
        inp.gt, inp.dt, n_cats, thresholds, max_det=LVIS_MAX_DETS,
        similarity=box_similarity(inp.gt, inp.dt), keep=keep,
    )  # fmt: skip
    want = accumulate_coco(inp.gt, inp.dt, match, n_cats, (LVIS_MAX_DETS,))
    got = accumulate_lvis(inp.gt, inp.dt, match, n_cats)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert (want[0] > 0).sum() > 1000 and ((want[0] > 0) & (want[0] < 1)).any()


def test_an_image_without_boxes_lends_no_lists(tmp_path: Path) -> None:
    """An image with no object and no prediction, listed first, marks every class negative:
    its lists are its own, not those of the image after it (whose unverified predictions
    LVIS still leaves out). The numbers stay hotcoco's."""
    gt, boxes, segms = synthetic_lvis(3, n_images=12, masks=False)
    every = [c["id"] for c in gt["categories"]]
    empty = {"id": 10_000, "file_name": "empty.jpg", "width": 50, "height": 50,
             "neg_category_ids": every, "not_exhaustive_category_ids": []}  # fmt: skip
    gt["images"].insert(0, empty)
    gt_path, boxes_path, _ = write_lvis(tmp_path, gt, boxes, segms)
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "lv", gt_path, "coco")
        ingest_predictions(catalog, "lv", "boxes", boxes_path, "coco")
        report = evaluate_model(catalog, "lv", "boxes", protocol="lvis")
    hot = hotcoco_lvis(gt_path, boxes, "bbox")
    for name in LVIS_STAT_NAMES:
        assert report.stats[name] == pytest.approx(hot[name], abs=1e-9), name
