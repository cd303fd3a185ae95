"""LVIS files as released (v1): images named only by ``coco_url``, their files in COCO's
``train2017/`` and ``val2017/`` folders beside the LVIS folder, categories with LVIS's extra
keys, no ``iscrowd``. Ingested through the COCO parser, they give every image its file on
disk and the ``lvis`` API's numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model
from visionlens_jlab.evaluate.lvis import LVIS_STAT_NAMES
from visionlens_jlab.ingest.coco.dataset import url_file_name

from .evaluate_fixtures import ingest, ingest_predictions
from .lvis_fixtures import as_lvis_v1, lvis_api, synthetic_lvis


def coco_images(root: Path, gt: dict[str, Any]) -> dict[int, Path]:
    """Each image's file as COCO's folders hold it (``val2017/000000000008.jpg``)."""
    files = {}
    for image in gt["images"]:
        split, name = image["coco_url"].split("/")[-2:]
        path = root / split / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (image["width"], image["height"])).save(path)
        files[image["id"]] = path
    return files


def locations(catalog: Catalog, dataset: str) -> dict[int, str]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT source_image_id, location FROM samples JOIN datasets USING (dataset_id) "
            "WHERE name = ?",
            [dataset],
        ).fetchall()
    return {int(i): loc for i, loc in rows}


def test_released_lvis_files_ingest_and_evaluate(tmp_path: Path) -> None:
    gt, boxes, segms = synthetic_lvis(3, n_images=30)
    gt = as_lvis_v1(gt)
    assert all("file_name" not in image for image in gt["images"])
    # detectron2's and mmdetection's layout: datasets/lvis/*.json beside datasets/coco/
    files = coco_images(tmp_path / "datasets" / "coco", gt)
    gt_path = tmp_path / "datasets" / "lvis" / "lvis_v1_val.json"
    gt_path.parent.mkdir()
    gt_path.write_text(json.dumps(gt))
    paths = {}
    for kind, results in (("bbox", boxes), ("segm", segms)):
        paths[kind] = tmp_path / f"{kind}.json"
        paths[kind].write_text(json.dumps(results))  # a list; segm RLE counts are strings
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "lv", gt_path, "coco")
        assert summary.samples == len(gt["images"]) and not summary.errors
        codes = {w["code"] for w in summary.warnings}
        assert "coco_file_name_from_url" in codes and "images_not_found" not in codes
        assert locations(catalog, "lv") == {i: str(p) for i, p in files.items()}
        ingest_predictions(catalog, "lv", "boxes", paths["bbox"], "coco")
        ingest_predictions(catalog, "lv", "masks", paths["segm"], "coco")
        for kind, model, results in (("bbox", "boxes", boxes), ("segm", "masks", segms)):
            report = evaluate_model(catalog, "lv", model, protocol="lvis", iou_type=kind)
            ev = lvis_api(gt_path, results, kind)
            for name in LVIS_STAT_NAMES:
                assert report.stats[name] == pytest.approx(ev.results[name], abs=1e-9), name
            assert report.stats["AP"] > 0.05 and report.warnings == []
        # the images folder named is one split's own folder: its images are found there
        val = tmp_path / "datasets" / "coco" / "val2017"
        ingest(catalog, "val", gt_path, "coco", images=val)
        found = locations(catalog, "val")
        in_val = {i for i, p in files.items() if p.parent == val}
        assert in_val and all(found[i] == str(files[i]) for i in in_val)


def test_url_file_name() -> None:
    assert url_file_name("http://images.cocodataset.org/val2017/000000397133.jpg") == (
        "val2017/000000397133.jpg"
    )
    assert url_file_name("https://host/a.jpg?x=1") == "a.jpg"
    assert url_file_name("https://host/") is None
