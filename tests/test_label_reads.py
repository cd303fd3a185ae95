"""The REST answers carry the labels beyond the box: each object's mask (COCO polygons or RLE,
as stored), mask area and keypoints, each sample's classifications, and the dataset's
keypoint names and skeleton (through a real Jupyter server, pages served cold and cached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

from .label_document import (
    KEYPOINT_NAMES,
    SKELETON,
    ClassificationPredictions,
    LabelDocumentSource,
    label_document,
    person_keypoints,
    polygon_mask,
    rle_bitmap,
    write_label_document,
)

IMAGES: list[dict[str, Any]] = [
    {"file_name": f"img{i}.png", "width": w, "height": h, "location": f"/data/img{i}.png"}
    for i, (w, h) in enumerate([(64, 48), (40, 30), (33, 21)])
]


@pytest.fixture
def labelled(vl_app: Any, tmp_path: Path) -> str:
    doc = write_label_document(tmp_path / "set.vllabels.json", IMAGES)
    write_dataset(vl_app.catalog, "labelled", LabelDocumentSource(str(doc)))
    predictions = [("img0.png", "outdoor", 0.8), ("img0.png", "indoor", 0.15)]
    write_predictions(vl_app.catalog, "labelled", "clf", ClassificationPredictions(predictions))
    return "labelled"


def decoded(segmentation: dict[str, Any]) -> np.ndarray:
    """The bitmap of a compressed or uncompressed COCO RLE, by pycocotools."""
    h, w = segmentation["size"]
    rle = segmentation
    if isinstance(segmentation["counts"], list):
        rle = mask_utils.frPyObjects(segmentation, h, w)
    return mask_utils.decode(rle)


def check_objects(sample: dict[str, Any]) -> None:
    """The objects of one sample: a polygon person with keypoints, an RLE blob."""
    index = int(sample["file_name"][3])
    image = IMAGES[index]
    w, h = image["width"], image["height"]
    by_label = {a["label"]: a for a in sample["annotations"]}
    assert set(by_label) == {"person", "blob"}
    person, blob = by_label["person"], by_label["blob"]
    assert person["segmentation"] == polygon_mask(w, h)  # the stored JSON, exactly
    assert person["mask_area"] == pytest.approx((0.35 * w) * (0.6 * h))
    assert person["keypoints"] == pytest.approx(person_keypoints(w, h))
    assert person["num_keypoints"] == 4  # v = 2, 2, 1, 0, 2: the writer counted v > 0
    assert isinstance(blob["segmentation"]["counts"], list if index % 2 else str)
    assert np.array_equal(decoded(blob["segmentation"]), rle_bitmap(w, h))
    assert blob["mask_area"] == float(rle_bitmap(w, h).sum())
    assert "keypoints" not in blob and "num_keypoints" not in blob


async def test_pages_carry_masks_keypoints_and_classifications(api: Any, labelled: str) -> None:
    for served in ("cold", "cached"):
        status, page = await api("POST", "datasets/labelled/samples/query", {"limit": 10})
        assert status == 200, served
        assert [s["file_name"] for s in page["samples"]] == [i["file_name"] for i in IMAGES]
        for sample in page["samples"]:
            check_objects(sample)
        first, second, third = page["samples"]
        assert first["classifications"] == [
            {"source": "ground_truth", "label": "indoor", "score": None},
            {"source": "clf", "label": "outdoor", "score": 0.8},
            {"source": "clf", "label": "indoor", "score": 0.15},
        ]
        assert second["classifications"] == [
            {"source": "ground_truth", "label": "outdoor", "score": None}
        ]
        assert third["classifications"][0]["label"] == "indoor"


async def test_a_page_without_annotations_asked_stays_small(api: Any, labelled: str) -> None:
    status, page = await api("POST", "datasets/labelled/samples/query", {"limit": 0})
    assert status == 200 and page["total"] == 3 and page["samples"] == []


async def test_the_sample_and_the_dataset_carry_them(api: Any, labelled: str) -> None:
    status, page = await api("POST", "datasets/labelled/samples/query", {"limit": 1})
    sample_id = page["samples"][0]["sample_id"]
    status, sample = await api("GET", f"datasets/labelled/samples/{sample_id}")
    assert status == 200
    check_objects(sample)
    assert [c["source"] for c in sample["classifications"]] == ["ground_truth", "clf", "clf"]
    status, detail = await api("GET", "datasets/labelled")
    assert status == 200
    assert detail["categories"] == ["person", "blob"]
    assert detail["category_keypoints"] == {
        "person": {"keypoint_names": KEYPOINT_NAMES, "skeleton": SKELETON, "sigmas": None}
    }


def test_the_document_lays_out_every_mask_form() -> None:
    """The fixture itself: compressed RLE on even images, run lengths on odd ones, and the
    run lengths are what pycocotools encodes (so the UI tests get both forms right)."""
    doc = label_document(IMAGES[:2])
    blobs = [o["segmentation"] for o in doc["objects"] if o["label"] == "blob"]
    assert isinstance(blobs[0]["counts"], str) and isinstance(blobs[1]["counts"], list)
    h, w = blobs[1]["size"]
    assert (
        mask_utils.frPyObjects(blobs[1], h, w)["counts"]
        == mask_utils.encode(np.asfortranarray(rle_bitmap(w, h)))["counts"]
    )
