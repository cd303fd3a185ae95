"""Sizes read at ingest and thumbnails agree on EXIF orientation (one frame for boxes)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset

VOC_WITHOUT_SIZE = """<annotation><filename>{name}</filename>
<object><name>thing</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax>
</bndbox></object></annotation>"""


async def test_rotated_jpeg_size_matches_its_thumbnail(
    tmp_path: Path, vl_app: Any, api: Any
) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "JPEGImages").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 64x48, displayed rotated by 90 degrees: 48x64
    Image.new("RGB", (64, 48), (10, 200, 10)).save(tmp_path / "JPEGImages" / "r.jpg", exif=exif)
    (tmp_path / "Annotations" / "r.xml").write_text(VOC_WITHOUT_SIZE.format(name="r.jpg"))
    write_dataset(vl_app.catalog, "rot", open_dataset(str(tmp_path), "voc"))
    status, page = await api("GET", "datasets/rot/samples")
    (sample,) = page["samples"]
    assert (sample["width"], sample["height"]) == (48, 64)
    status, raw = await api(
        "GET", f"datasets/rot/samples/{sample['sample_id']}/image", params={"size": "128"}
    )
    assert status == 200
    assert Image.open(io.BytesIO(raw)).size == (48, 64)  # oriented, never enlarged
