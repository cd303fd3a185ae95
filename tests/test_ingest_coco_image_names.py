"""A COCO image's location and bad-name report are the same whether its file name takes the
plain-name shortcut of ``ingest/coco/dataset.py`` or goes through ``join_location`` and
``flag_bad_name``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visionlens_jlab.ingest.coco.dataset import CocoDataset
from visionlens_jlab.ingest.images import flag_bad_name, join_location
from visionlens_jlab.records.report import IngestReport

NAMES = [
    "a.jpg",
    "sub/b-1_x.JPG",
    "deep/er/c..d.png",
    "e.",
    "./f.jpg",
    "g//h.jpg",
    "../i.jpg",
    "j/../k.jpg",
    "l\\m.jpg",
    ".hidden.jpg",
    "é.jpg",
    "n/",
    "x" * 255 + "/ok.jpg",
    "y" * 256 + ".jpg",  # a component longer than file systems allow
    "z" * 250 + "/" + "w" * 250 + "/" + "v" * 250 + ".jpg",
    "nul\x00.jpg",
    "gs://bucket/o.jpg",
]


def _expected(root: str) -> tuple[list[str], int]:
    locations, report = [], IngestReport()
    for name in NAMES:
        location = join_location(root, name)
        flag_bad_name(report, name, location)
        locations.append(location)
    bad = [w for w in report.warnings if w["code"] == "image_bad_file_name"]
    return locations, bad[0]["count"] if bad else 0


@pytest.mark.parametrize("root", ["", "/", "/a/b", "/long/" + "r" * 300, "/" + "p" * 4000])
def test_locations_and_bad_names_as_join_location_gives_them(tmp_path: Path, root: str) -> None:
    images = [
        {"id": i + 1, "file_name": name, "width": 4, "height": 3} for i, name in enumerate(NAMES)
    ]
    path = tmp_path / "coco.json"
    path.write_text(json.dumps({"images": images, "annotations": [], "categories": []}))
    parsed = CocoDataset(str(path), images_root=root or None)
    locations = [
        loc
        for batch in parsed.batches()
        if batch.samples is not None
        for loc in batch.samples.column("location").to_pylist()
    ]
    want, bad = _expected(parsed.media_root)
    assert locations == want
    flagged = [w for w in parsed.report.warnings if w["code"] == "image_bad_file_name"]
    assert (flagged[0]["count"] if flagged else 0) == bad
