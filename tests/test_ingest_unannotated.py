"""Images with no annotation file are kept as samples without boxes, and reported."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset


def test_txt_ground_truth_keeps_images_without_a_txt_file(tmp_path: Path) -> None:
    gt, images = tmp_path / "ground-truth", tmp_path / "images"
    gt.mkdir()
    images.mkdir()
    for stem in ("a", "b", "lonely"):
        Image.new("RGB", (40, 30)).save(images / f"{stem}.jpg")
    (gt / "a.txt").write_text("cat 1 2 10 20\n")
    (gt / "b.txt").write_text("dog 3 4 30 25\ncat 0 0 5 5\n")
    summary = write_dataset(
        Catalog(tmp_path / "data"), "t", open_dataset(str(gt), "txt", images=str(images))
    )
    assert (summary.samples, summary.annotations) == (3, 3)
    (warning,) = [w for w in summary.warnings if w["code"] == "image_without_annotation"]
    assert warning["count"] == 1 and warning["examples"] == ["lonely.jpg"]


def test_voc_split_ids_without_xml_are_counted_with_examples(tmp_path: Path) -> None:
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / sub).mkdir(parents=True)
    Image.new("RGB", (40, 30)).save(tmp_path / "JPEGImages" / "a.jpg")
    (tmp_path / "Annotations" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>40</width><height>30</height>"
        "</size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax>"
        "<ymax>9</ymax></bndbox></object></annotation>"
    )
    missing = [f"m{i}" for i in range(7)]
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("\n".join(["a", *missing]))
    parsed = open_dataset(str(tmp_path), "voc")
    summary = write_dataset(Catalog(tmp_path / "data"), "v", parsed)
    assert summary.samples == 1
    (error,) = [e for e in summary.errors if e["code"] == "voc_missing_xml"]
    assert error["count"] == 7 and error["examples"] == missing[:5]
