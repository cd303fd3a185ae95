"""Absolute COCO file names: their folder is the media root; images outside it are reported
at ingest and refused when requested (an annotation file cannot open the whole disk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset


def make_coco(tmp_path: Path) -> Path:
    inside = tmp_path / "pool" / "imgs"
    outside = tmp_path / "elsewhere"
    inside.mkdir(parents=True)
    outside.mkdir()
    files = [inside / "a.jpg", inside / "b.jpg", outside / "c.jpg"]
    for f in files:
        Image.new("RGB", (64, 48), (200, 30, 30)).save(f)
    coco = {
        "images": [
            {"id": i, "file_name": str(f), "width": 64, "height": 48}
            for i, f in enumerate(files, 1)
        ],
        "annotations": [],
        "categories": [{"id": 1, "name": "thing"}],
    }
    path = tmp_path / "annotations" / "coco.json"
    path.parent.mkdir()
    path.write_text(json.dumps(coco))
    return path


async def test_absolute_file_names(tmp_path: Path, vl_app: Any, api: Any) -> None:
    parsed = open_dataset(str(make_coco(tmp_path)), "coco")
    summary = write_dataset(vl_app.catalog, "abs", parsed)
    (warning,) = [w for w in summary.warnings if w["code"] == "image_outside_media_root"]
    assert warning["count"] == 1 and warning["examples"] == [str(tmp_path / "elsewhere/c.jpg")]
    status, page = await api("GET", "datasets/abs/samples")
    ids = {Path(s["file_name"]).name: s["sample_id"] for s in page["samples"]}
    status, raw = await api(
        "GET", f"datasets/abs/samples/{ids['a.jpg']}/image", params={"size": "128"}
    )
    assert status == 200 and raw[:2] == b"\xff\xd8"
    status, body = await api("GET", f"datasets/abs/samples/{ids['c.jpg']}/image")
    assert status == 403
