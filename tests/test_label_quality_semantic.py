"""Label quality of semantic masks: the image scores equal cleanlab.segmentation's softmin on
one-hot probabilities, the flagged regions equal the regions where most pixels are
cleanlab's ``find_label_issues`` (regions found here by a plain flood fill), relabelled
regions are found with the class the model sees, the fields filter and sort, and what a
semantic run cannot take is refused."""

from __future__ import annotations

import json
import warnings
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.label_quality import stored
from visionlens_jlab.label_quality.job import run_label_quality
from visionlens_jlab.label_quality.semantic_masks import image_regions
from visionlens_jlab.semantic.classes import VOC_CLASSES
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic

from .semantic_fixtures import save_palette
from .test_label_quality import cli

K = len(VOC_CLASSES)
H, W = 40, 56


def scene(
    seed: int, images: int, planted: float
) -> tuple[list[np.ndarray], list[np.ndarray], dict[int, tuple[int, int]]]:
    """Label maps of rectangles on background (no void), a model that sees the clean maps
    with 2 % of its pixels wrong, and on a ``planted`` fraction of the images one class's
    pixels relabelled to a class absent from the image: {image: (planted class, true class)}."""
    rng = np.random.default_rng(seed)
    gts, preds, plants = [], [], {}
    for i in range(images):
        clean = np.zeros((H, W), np.uint8)
        for _ in range(int(rng.integers(1, 4))):
            y0, x0 = int(rng.integers(0, H - 8)), int(rng.integers(0, W - 8))
            clean[y0 : y0 + int(rng.integers(6, 20)), x0 : x0 + int(rng.integers(6, 24))] = (
                rng.integers(1, K)
            )
        pred = clean.copy()
        flip = rng.random(clean.shape) < 0.02
        pred[flip] = rng.integers(0, K, int(flip.sum()))
        gt = clean.copy()
        present = [c for c in np.unique(clean).tolist() if c]
        if rng.random() < planted and present:
            true = int(rng.choice(present))
            wrong = int(rng.choice([c for c in range(1, K) if c not in present]))
            gt[clean == true] = wrong
            plants[i] = (wrong, true)
        gts.append(gt)
        preds.append(pred)
    return gts, preds, plants


def ingest_scene(
    catalog: Catalog, tmp: Path, gts: list[np.ndarray], preds: list[np.ndarray]
) -> list[int]:
    """A VOC dataset ``seg`` of ``gts`` and the model ``net`` of ``preds`` in ``catalog``;
    returns the sample id of each image."""
    voc, out = tmp / "VOC", tmp / "preds"
    (voc / "JPEGImages").mkdir(parents=True)
    for i, (gt, pred) in enumerate(zip(gts, preds, strict=True)):
        Image.new("RGB", (W, H)).save(voc / "JPEGImages" / f"im_{i:03d}.jpg")
        save_palette(gt, voc / "SegmentationClass" / f"im_{i:03d}.png")
        save_palette(pred, out / f"im_{i:03d}.png")
    ingest_semantic(catalog, "seg", open_semantic(str(voc)))
    ingest_semantic_predictions(catalog, "seg", "net", str(out))
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT file_name, sample_id FROM samples").fetchall()
    ids = {Path(name).stem: sid for name, sid in rows}
    return [ids[f"im_{i:03d}"] for i in range(len(gts))]


def write_and_score(
    tmp: Path, gts: list[np.ndarray], preds: list[np.ndarray], **kwargs: Any
) -> tuple[Catalog, dict[str, Any], list[int]]:
    """:func:`ingest_scene` into a new catalog, then scored; returns the open catalog, the
    result and the sample id of each image."""
    catalog = Catalog(tmp / "data")
    order = ingest_scene(catalog, tmp, gts, preds)
    return catalog, run_label_quality(catalog, "seg", "net", **kwargs), order


def flood_regions(gt: np.ndarray) -> list[np.ndarray]:
    """Every 8-connected region of one class, as a boolean mask (breadth-first fill)."""
    seen = np.zeros(gt.shape, bool)
    out = []
    for y0, x0 in zip(*np.nonzero(~seen), strict=True):
        if seen[y0, x0]:
            continue
        region = np.zeros(gt.shape, bool)
        queue = deque([(y0, x0)])
        seen[y0, x0] = True
        while queue:
            y, x = queue.popleft()
            region[y, x] = True
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    v, u = y + dy, x + dx
                    if 0 <= v < gt.shape[0] and 0 <= u < gt.shape[1] and not seen[v, u] \
                            and gt[v, u] == gt[y0, x0]:  # fmt: skip
                        seen[v, u] = True
                        queue.append((v, u))
        out.append(region)
    return out


def test_scores_and_regions_equal_cleanlab(tmp_path: Path) -> None:
    from cleanlab.segmentation.filter import find_label_issues
    from cleanlab.segmentation.rank import get_label_quality_scores

    gts, preds, plants = scene(0, 16, 0.4)
    catalog, out, order = write_and_score(tmp_path, gts, preds)
    try:
        labels = np.stack(gts).astype(int)
        probs = np.moveaxis(np.eye(K)[np.stack(preds)], -1, 1)  # one-hot (N, K, H, W)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, _ = get_label_quality_scores(labels, probs, method="softmin", verbose=False)
            issues = find_label_issues(labels, probs, verbose=False, n_jobs=1)
        # on one-hot probabilities cleanlab's pixel issues are exactly the disagreements
        assert np.array_equal(issues, labels != np.stack(preds))
        ours = {i["sample_id"]: i["score"] for i in out["images"]}
        np.testing.assert_allclose([ours[s] for s in order], theirs, rtol=1e-9, atol=1e-12)
        want = set()
        for i, gt in enumerate(gts):
            for region in flood_regions(gt):
                ys, xs = np.nonzero(region)
                if issues[i][region].mean() >= 0.5 and region.sum() >= 16:
                    want.add((order[i], VOC_CLASSES[gt[region][0]], int(xs.min()), int(ys.min()),
                              int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1))  # fmt: skip
        got = {(r["sample_id"], r["class"], r["x"], r["y"], r["w"], r["h"]) for r in out["regions"]}
        assert want and got == want
        # the planted regions are what is flagged, each with the class the model sees there
        assert {order[i] for i in plants} == {r["sample_id"] for r in out["regions"]}
        for r in out["regions"]:
            wrong, true = plants[order.index(r["sample_id"])]
            assert (r["class"], r["predicted"]) == (VOC_CLASSES[wrong], VOC_CLASSES[true])
        # the fields: filter by flagged regions, sort worst first, read back
        got_ids = sample_ids(catalog, "seg", {"sample": {"computed.lq_seg_regions": {"min": 1}}})
        assert set(got_ids.to_pylist()) == {order[i] for i in plants}
        worst = [i["sample_id"] for i in out["images"][: len(plants)]]
        assert set(worst) == {order[i] for i in plants}
        again = stored(catalog, "seg", "net")
        assert again["images"] == out["images"] and again["summary"]["kind"] == "semantic"
    finally:
        catalog.close()


def test_void_pixels_are_left_out_and_non_classes_disagree() -> None:
    gt = np.zeros((20, 20), np.uint8)
    gt[2:12, 2:12] = 5
    gt[:, 18:] = 255  # void band
    pred = np.where(gt == 255, 7, gt).astype(np.uint8)
    pred[2:9, 2:12] = 250  # no class: 70 of the region's 100 pixels disagree
    agree, disagree, regions = image_regions(gt, pred, K, 255)
    assert (agree, disagree) == (360 - 70, 70)  # 400 pixels less the 40 void ones
    five = [r for r in regions if r["class"] == 5]
    assert len(five) == 1 and five[0]["score"] == pytest.approx(0.3)
    assert five[0]["flagged"] and five[0]["predicted"] == -1
    with pytest.raises(ValueError, match="prediction for a"):
        image_regions(gt, pred[:10], K, 255)


def test_refusals_and_cli(tmp_path: Path) -> None:
    gts, preds, plants = scene(1, 6, 0.5)
    catalog, _, _ = write_and_score(tmp_path, gts, preds)
    try:
        with pytest.raises(CatalogError, match="semantic masks: it takes no thresholds"):
            run_label_quality(catalog, "seg", "net", thresholds={"swapped": 0.2})
        with pytest.raises(CatalogError, match="semantic masks: it takes no iou"):
            run_label_quality(catalog, "seg", "net", iou="mask")
    finally:
        catalog.close()
    done = cli(tmp_path / "data", "label-quality", "seg", "--model", "net", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["boxes"] == [] and len(out["images"]) == 6
    assert len({r["sample_id"] for r in out["regions"]}) == len(plants)
    done = cli(tmp_path / "data", "label-quality", "seg", "--model", "net")
    assert done.returncode == 0 and "semantic masks scored" in done.stdout


def test_stale_after_a_sample_delete_fresh_after_its_undo(tmp_path: Path) -> None:
    """A semantic run stores its basis: deleting scored images makes it stale (with their
    count) and their undo fresh again, as for boxes (tests/test_stale_derived_results.py)."""
    from visionlens_jlab import edits
    from visionlens_jlab.bulk.delete_samples import delete_view_samples

    gts, preds, _ = scene(3, 6, 0.3)
    catalog, _, order = write_and_score(tmp_path, gts, preds)
    try:
        assert stored(catalog, "seg", "net")["stale"] is False
        delete_view_samples(catalog, "seg", {"ids": order[:2]}, "tester")
        answer = stored(catalog, "seg", "net")
        assert answer["stale"] is True and answer["samples_removed"] == 2
        assert not {i["sample_id"] for i in answer["images"]} & set(order[:2])
        edits.undo(catalog, "seg", "tester")
        answer = stored(catalog, "seg", "net")
        assert answer["stale"] is False and answer["samples_removed"] == 0
    finally:
        catalog.close()


def test_masks_imported_again_make_the_run_stale(tmp_path: Path) -> None:
    """The semantic masks live in files the catalog only points at: importing a model's
    masks again, even from the same paths (the pixels may be new), makes its run stale with
    changed labels, and the next run is fresh; another model's import leaves it fresh."""
    gts, preds, _ = scene(4, 4, 0.3)
    catalog, _, _ = write_and_score(tmp_path, gts, preds)
    try:
        ingest_semantic_predictions(catalog, "seg", "other", str(tmp_path / "preds"))
        assert stored(catalog, "seg", "net")["stale"] is False
        ingest_semantic_predictions(catalog, "seg", "net", str(tmp_path / "preds"))
        answer = stored(catalog, "seg", "net")
        assert answer["stale"] is True and answer["labels_changed"] is True
        assert answer["samples_removed"] == 0 and "labels changed" in answer["stale_reason"]
        run_label_quality(catalog, "seg", "net")
        assert stored(catalog, "seg", "net")["stale"] is False
    finally:
        catalog.close()


def test_a_catalog_of_step_29_gets_import_times_and_keeps_its_run(tmp_path: Path) -> None:
    """What the code of step 29 wrote (no import time, a run's basis without the masks'
    fingerprint) opens: the column is added, the old run is judged as before (fresh), and a
    new run's is made stale by the masks' next import."""
    import duckdb

    from visionlens_jlab.catalog.store.registry import latest_version

    gts, preds, _ = scene(5, 4, 0.3)
    catalog, _, _ = write_and_score(tmp_path, gts, preds)
    with catalog.cursor() as cur:
        (params,) = cur.execute(
            "SELECT params FROM computed_fields WHERE field = 'lq_seg_score'"
        ).fetchall()[0]
    catalog.close()
    old = json.loads(params)
    del old["basis"]["masks_imported"]
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"))
    try:
        con.execute("ALTER TABLE semantic_sources DROP COLUMN imported_at")
        con.execute("UPDATE computed_fields SET params = ? WHERE field = 'lq_seg_score'",
                    [json.dumps(old)])  # fmt: skip
        con.execute("UPDATE meta SET value = '29' WHERE key = 'schema_version'")
    finally:
        con.close()
    with Catalog(tmp_path / "data") as catalog:
        with catalog.cursor() as cur:
            version = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            times = cur.execute("SELECT imported_at FROM semantic_sources").fetchall()
        assert version == [(str(latest_version()),)] and times == [(None,), (None,)]
        assert stored(catalog, "seg", "net")["stale"] is False
        run_label_quality(catalog, "seg", "net")
        ingest_semantic_predictions(catalog, "seg", "net", str(tmp_path / "preds"))
        assert stored(catalog, "seg", "net")["stale"] is True


def test_values_past_the_classes_are_left_out_as_the_evaluation_leaves_them(
    tmp_path: Path,
) -> None:
    """VOC read with ``--ignore-index 0``: its 255 border is no class; the scored pixels are
    those the confusion matrix counts, and a border the model paints as background is not a
    region (it was counted as one, and its flag crashed naming class 255)."""
    from visionlens_jlab.semantic.confusion import confusion

    gt = np.zeros((H, W), np.uint8)
    gt[8:30, 10:40] = 15
    gt[6:8, 8:42] = 255  # a void band of 68 pixels, past the 21 classes
    pred = np.where(gt == 255, 0, gt).astype(np.uint8)
    pred[20:30, 10:40] = 12  # 300 of the person's 660 pixels: not flagged, scored
    voc, out = tmp_path / "VOC", tmp_path / "preds"
    (voc / "JPEGImages").mkdir(parents=True)
    Image.new("RGB", (W, H)).save(voc / "JPEGImages" / "a.jpg")
    save_palette(gt, voc / "SegmentationClass" / "a.png")
    save_palette(pred, out / "a.png")
    with Catalog(tmp_path / "data") as catalog:
        ingest_semantic(catalog, "seg", open_semantic(str(voc), ignore_index=0))
        ingest_semantic_predictions(catalog, "seg", "net", str(out))
        result = run_label_quality(catalog, "seg", "net")
    agree, disagree, regions = image_regions(gt, pred, K, 0)
    counted = confusion(gt, pred, K, 0)
    assert (agree, agree + disagree) == (int(np.trace(counted)), int(counted.sum())) == (360, 660)
    assert [r["class"] for r in regions] == [15]
    assert result["regions"] == [] and result["summary"]["images"] == 1
