"""CVAT for images 1.1 XML: CVAT's own export (``annotations.xml`` beside ``images/``) ingests
with one command, every shape type read as datumaro (the reference reader) reads it.

The XML is written as CVAT 2.x writes it (meta with labels, a skeleton's points declared with
``<parent>``, images with a subset) over two real photos. datumaro has no skeletons; the
skeleton is checked against its own numbers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pycocotools import mask as mask_utils

from tests.paths import DATASETS
from tests.test_ingest_exports import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.records.report import IngestError

PHOTOS = sorted((DATASETS / "padilla-review-voc100" / "images").glob("*.jpg"))[:2]
XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <name>pets</name>
      <labels>
        <label><name>cat</name><type>any</type><attributes>
          <attribute><name>color</name><input_type>text</input_type></attribute>
        </attributes></label>
        <label><name>dog</name><type>any</type><attributes/></label>
        <label><name>indoor</name><type>tag</type><attributes/></label>
        <label><name>person</name><type>skeleton</type><attributes/></label>
        <label><name>nose</name><type>points</type><parent>person</parent></label>
        <label><name>left_eye</name><type>points</type><parent>person</parent></label>
        <label><name>right_eye</name><type>points</type><parent>person</parent></label>
      </labels>
    </task>
  </meta>
  <image id="0" name="{a}" subset="train" width="{aw}" height="{ah}">
    <box label="cat" source="manual" occluded="1" xtl="10.5" ytl="20" xbr="110.25" ybr="90" z_order="0">
      <attribute name="color">white</attribute>
    </box>
    <polygon label="dog" source="manual" occluded="0" points="30,40;130,40;130,140;30,120" z_order="1"/>
    <mask label="cat" source="manual" occluded="0" rle="3,5,4,2,6" left="2" top="1" width="4" height="5" z_order="0"/>
    <tag label="indoor" source="manual"/>
  </image>
  <image id="1" name="{b}" subset="Validation" width="{bw}" height="{bh}">
    <points label="dog" source="manual" occluded="0" points="5,6;15,16.5" z_order="0"/>
    <polyline label="dog" source="manual" occluded="0" points="1,1;5,5" z_order="0"/>
    <skeleton label="person" source="manual" z_order="0">
      <points label="right_eye" source="manual" outside="0" occluded="1" points="60,20"/>
      <points label="nose" source="manual" outside="0" occluded="0" points="50,30"/>
      <points label="left_eye" source="manual" outside="1" occluded="0" points="0,0"/>
    </skeleton>
  </image>
</annotations>
"""
DATUMARO_READ = """
import json, sys
import datumaro as dm

ds = dm.Dataset.import_from(sys.argv[1], "cvat")
names = ds.categories()[dm.AnnotationType.label]
out = []
for item in ds:
    for a in item.annotations:
        row = {"image": item.media.path.rsplit("/", 1)[-1], "type": a.type.name,
               "label": names[a.label].name}
        if a.type.name in ("bbox", "polygon", "polyline", "mask", "points"):
            row["bbox"] = [float(v) for v in a.get_bbox()]
        if a.type.name in ("polygon", "polyline", "points"):
            row["points"] = [float(v) for v in a.points]
        if a.type.name == "mask":
            row["area"] = int(a.image.sum())
        out.append(row)
print(json.dumps(out))
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """CVAT's export folder: ``annotations.xml`` and ``images/``."""
    root = tmp_path / "cvat"
    (root / "images").mkdir(parents=True)
    sizes = {}
    for photo in PHOTOS:
        shutil.copy(photo, root / "images")
        from PIL import Image

        sizes[photo.name] = Image.open(photo).size
    (a, (aw, ah)), (b, (bw, bh)) = sizes.items()
    (root / "annotations.xml").write_text(XML.format(a=a, aw=aw, ah=ah, b=b, bw=bw, bh=bh))
    return root


def _objects(data: Path) -> list[dict[str, Any]]:
    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, s.split, a.label, a.x, a.y, a.w, a.h, a.segmentation, "
            "a.mask_area, a.keypoints, a.num_keypoints, a.attributes, a.polyline FROM annotations a "
            "JOIN samples s USING (sample_id) ORDER BY a.ann_id"
        ).fetchall()
    keys = ("image", "split", "label", "x", "y", "w", "h", "seg", "mask_area", "kp", "n", "attrs",
            "line")  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def test_cvat_export_ingests_every_shape_as_datumaro_reads_it(export: Path, tmp_path: Path) -> None:
    path = os.environ.get("VISIONLENS_DATUMARO_PATH")
    if not path:
        pytest.skip("VISIONLENS_DATUMARO_PATH (a folder datumaro is installed into) is not set")
    assert detect_dataset_format(str(export)) == "cvat"
    out = cli(tmp_path / "vl", "ingest", str(export), "--name", "cv")
    assert (out["samples"], out["annotations"], out["errors"]) == (2, 7, [])
    assert out["warnings"] == []  # the polyline is stored now
    assert out["label_types"] == {
        "boxes": 6,
        "rotated_boxes": 0,
        "polylines": 1,
        "masks": 2,
        "label_maps": 0,
        "keypoints": 2,
        "classifications": 1,
    }
    # datumaro reads one subset per file (named by it) and has no skeletons (it would read
    # their points as shapes of their own): the other shapes, without the subsets
    text = (export / "annotations.xml").read_text()
    plain = text.replace(' subset="train"', "").replace(' subset="Validation"', "")
    plain = re.sub(r"<skeleton .*?</skeleton>", "", plain, flags=re.S)
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "default.xml").write_text(plain)
    shutil.copytree(export / "images", tmp_path / "reference" / "images")
    done = subprocess.run(
        [sys.executable, "-c", DATUMARO_READ, str(tmp_path / "reference" / "default.xml")],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reference = json.loads(done.stdout.splitlines()[-1])
    ours = {(o["image"], o["label"], o["x"], o["y"]): o for o in _objects(tmp_path / "vl")}
    for ref in reference:
        if ref["type"] == "label":
            continue  # the tag: below
        x, y, w, h = ref["bbox"]
        mine = ours[(ref["image"], ref["label"], x, y)]
        assert [mine["w"], mine["h"]] == pytest.approx([w, h])
        if ref["type"] == "polygon":
            assert json.loads(mine["seg"]) == [ref["points"]]
        if ref["type"] == "mask":
            rle = json.loads(mine["seg"])
            assert int(mask_utils.area(rle)) == ref["area"] == mine["mask_area"]
        if ref["type"] == "points":
            assert mine["kp"][0::3] == ref["points"][0::2] and mine["kp"][2::3] == [2.0, 2.0]
        if ref["type"] == "polyline":
            assert mine["line"] == ref["points"] and mine["seg"] is None
    assert sorted(r["type"] for r in reference) == [
        "bbox", "label", "mask", "points", "polygon", "polyline"
    ]  # fmt: skip


def test_cvat_labels_beyond_the_box(export: Path, tmp_path: Path) -> None:
    """What datumaro cannot say: splits, attributes, the skeleton, the tag."""
    cli(tmp_path / "vl", "ingest", str(export / "annotations.xml"), "--name", "cv")
    objects = _objects(tmp_path / "vl")
    assert {o["split"] for o in objects} == {"train", "Validation"}
    box = next(o for o in objects if o["label"] == "cat" and o["seg"] is None)
    assert json.loads(box["attrs"]) == {
        "occluded": "1", "z_order": "0", "source": "manual", "color": "white"
    }  # fmt: skip
    (person,) = [o for o in objects if o["label"] == "person"]
    # the points in their declared order: nose, left_eye (outside), right_eye (occluded)
    assert person["kp"] == [50.0, 30.0, 2.0, 0.0, 0.0, 0.0, 60.0, 20.0, 1.0]
    assert (person["n"], person["x"], person["y"], person["w"], person["h"]) == (2, 50, 20, 10, 10)
    (line,) = [o for o in objects if o["line"] is not None]  # a polyline: its points, boxed
    assert (line["label"], line["line"], line["seg"], line["kp"]) == (
        "dog",
        [1, 1, 5, 5],
        None,
        None,
    )
    assert (line["x"], line["y"], line["w"], line["h"]) == (1, 1, 4, 4)
    with Catalog(tmp_path / "vl") as catalog:  # filtered, faceted and read like every kind
        lines = {"labels": {"type": "polyline"}}
        (sample_id,) = queries.sample_ids(catalog, "cv", lines).to_pylist()
        facets = queries.facets(catalog, "cv", lines)["facets"]
        (types,) = [f for f in facets if f["name"] == "label_type"]
        assert {"value": "polyline", "count": 1} in types["values"]
        detail = queries.sample_detail(catalog, "cv", sample_id)
        assert [o["polyline"] for o in detail["annotations"] if "polyline" in o] == [[1, 1, 5, 5]]
    with Catalog(tmp_path / "vl") as catalog, catalog.cursor() as cur:
        tags = cur.execute("SELECT label FROM classifications").fetchall()
        names = cur.execute("SELECT name FROM categories ORDER BY category_id").fetchall()
    assert tags == [("indoor",)]
    assert [n for (n,) in names] == ["cat", "dog", "indoor", "person"]


def test_bad_cvat_input_is_refused_or_reported(export: Path) -> None:
    xml = export / "annotations.xml"
    text = xml.read_text()
    xml.write_text(text.replace('rle="3,5,4,2,6"', 'rle="3,5,4"'))
    parsed = open_dataset(str(export))
    list(parsed.batches())
    assert [e["code"] for e in parsed.report.errors] == ["cvat_bad_shape"]
    assert "mask runs cover 12 pixels, not 4x5" in parsed.report.errors[0]["examples"][0]
    xml.write_text(text.replace('<image id="1" name="', '<image id="1" nom="'))
    parsed = open_dataset(str(export))
    batches = list(parsed.batches())
    assert [e["code"] for e in parsed.report.errors] == ["cvat_bad_image"]
    assert sum(b.samples.num_rows for b in batches if b.samples is not None) == 1
    assert sum(b.annotations.num_rows for b in batches if b.annotations is not None) == 3
    track = '<track id="0" label="dog"><box frame="0" xtl="1" ytl="1" xbr="5" ybr="5"/></track>'
    xml.write_text(text.replace("</meta>", "</meta>" + track))
    parsed = open_dataset(str(export))
    list(parsed.batches())
    assert [(w["code"], w["count"]) for w in parsed.report.warnings] == [("cvat_track_skipped", 1)]
    xml.write_text(text.replace("<annotations>", '<!DOCTYPE x [<!ENTITY a "b">]><annotations>'))
    with pytest.raises(IngestError, match="DTD is refused"):
        open_dataset(str(xml), fmt="cvat")
    xml.write_text(text[: len(text) // 2])
    with pytest.raises(IngestError, match="not well-formed XML"):
        list(open_dataset(str(xml)).batches())
