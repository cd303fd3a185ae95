"""A COCO file of a huge class list or a crowd of labels on one image (issue #46): the
classes go in as one Arrow insert (seconds, not the minutes a row-by-row insert held the
write lock for), and a source past the server's bounds is refused with a clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.catalog.writes.ingest_limits import IngestLimits
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.records.report import IngestError


def _coco(folder: Path, categories: int, boxes: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.jpg").write_bytes(tiny_jpeg(20, 10))
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
        "categories": [{"id": i, "name": f"c{i}"} for i in range(1, categories + 1)],
        "annotations": [
            {"id": n, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "iscrowd": 0}
            for n in range(1, boxes + 1)
        ],
    }
    (folder / "ann.json").write_text(json.dumps(coco))
    return folder / "ann.json"


def test_a_long_class_list_is_written_whole_in_the_sources_order(tmp_path: Path) -> None:
    """The class table goes in as one Arrow insert (one parameterised insert per class took
    ~0.5 ms each under the write lock: 10^6 classes stalled a server for minutes); its rows
    are the source's classes, numbered in its order."""
    source = _coco(tmp_path / "coco", 20_000)
    with Catalog(tmp_path / "data") as catalog:
        summary = write_dataset(
            catalog, "many", open_dataset(str(source), "coco"), limits=IngestLimits(0, 0)
        )
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT count(*), max(category_id), any_value(name) FILTER (category_id = 7) "
                "FROM categories"
            ).fetchone()
    assert summary.categories == 20_000
    assert rows == (20_000, 19_999, "c8")


def test_the_default_bounds_refuse_a_million_classes(tmp_path: Path) -> None:
    limits = IngestLimits()
    with pytest.raises(IngestError, match="max_categories"):
        limits.check_categories(1_000_000, "x.json")
    limits.check_categories(limits.max_categories, "x.json")
    IngestLimits(0, 0).check_categories(10**9, "x.json")  # 0 lifts the bound


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"max_categories": 5, "max_labels_per_image": 3}


async def _ingest(api: Any, wait_job: Any, source: Path, name: str) -> dict[str, Any]:
    status, answer = await api("POST", "datasets", {"source": str(source), "name": name})
    assert status == 202, answer
    return await wait_job(answer["job"], timeout=120)


async def test_the_servers_bounds_refuse_a_source_past_them(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    job = await _ingest(api, wait_job, _coco(tmp_path / "classes", 6), "classes")
    assert job["status"] == "failed", job
    assert "declares 6 classes, more than the 5" in job["error"], job
    assert "c.VisionLensApp.max_categories" in job["error"]
    job = await _ingest(api, wait_job, _coco(tmp_path / "crowd", 2, boxes=4), "crowd")
    assert job["status"] == "failed", job
    assert "'a.jpg' has 4 labels, more than the 3" in job["error"], job
    assert vl_app.catalog.list_datasets() == []  # rolled back whole
    with vl_app.catalog.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM annotations").fetchone() == (0,)
    job = await _ingest(api, wait_job, _coco(tmp_path / "fits", 5, boxes=3), "fits")
    assert job["status"] == "done", job


def _predictions(folder: Path, boxes: int) -> Path:
    """A COCO results list of ``boxes`` predictions on the one image of :func:`_coco`."""
    rows = [
        {"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "score": 0.5} for _ in range(boxes)
    ]
    path = folder / f"preds-{boxes}.json"
    path.write_text(json.dumps(rows))
    return path


async def test_the_labels_per_image_bound_holds_for_a_predictions_import(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    """An imported prediction set is refused past ``max_labels_per_image`` as a dataset is,
    naming the image, the count and the setting; the model's previous set stays."""
    job = await _ingest(api, wait_job, _coco(tmp_path / "fits", 2), "fits")
    assert job["status"] == "done", job

    async def import_predictions(boxes: int) -> dict[str, Any]:
        body = {"source": str(_predictions(tmp_path, boxes)), "model": "m"}
        status, answer = await api("POST", "datasets/fits/predictions", body)
        assert status == 202, answer
        return await wait_job(answer["job"], timeout=120)

    job = await import_predictions(3)
    assert job["status"] == "done" and job["result"]["predictions"] == 3, job
    job = await import_predictions(4)
    assert job["status"] == "failed", job
    assert "'a.jpg' has 4 predictions of 'm', more than the 3" in job["error"], job
    assert "c.VisionLensApp.max_labels_per_image" in job["error"], job
    with vl_app.catalog.cursor() as cur:  # rolled back whole: the earlier set is intact
        assert cur.execute("SELECT count(*) FROM annotations WHERE source = 'm'").fetchone() == (3,)
