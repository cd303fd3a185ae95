"""A patches page carries what a tile draws over its crop: the object's mask (COCO polygons or
RLE, as stored) and keypoints, and the crop's region in image pixels (through a real Jupyter
server and DuckDB catalog)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .label_document import (
    LabelDocumentSource,
    person_keypoints,
    polygon_mask,
    rle_bitmap,
    write_label_document,
)
from .test_label_reads import IMAGES, decoded


@pytest.fixture
def labelled(vl_app: Any, tmp_path: Path) -> str:
    doc = write_label_document(tmp_path / "set.vllabels.json", IMAGES)
    write_dataset(vl_app.catalog, "labelled", LabelDocumentSource(str(doc)))
    return "labelled"


def region(o: dict[str, Any], width: int, height: int) -> list[int]:
    """The crop route's region at its default context (a quarter of the larger side), clipped
    to the image, as ``[x, y, w, h]``."""
    pad = max(o["w"], o["h"]) * 0.25
    left, top = max(int(o["x"] - pad), 0), max(int(o["y"] - pad), 0)
    right = min(round(o["x"] + o["w"] + pad), width)
    bottom = min(round(o["y"] + o["h"] + pad), height)
    return [left, top, right - left, bottom - top]


async def test_patches_carry_masks_keypoints_and_crop_regions(api: Any, labelled: str) -> None:
    status, page = await api("POST", "datasets/labelled/patches", {"limit": 100})
    assert status == 200, page
    assert page["total"] == 2 * len(IMAGES)
    by_name = {i["file_name"]: i for i in IMAGES}
    for o in page["objects"]:
        image = by_name[o["file_name"]]
        w, h = image["width"], image["height"]
        assert o["crop"] == region(o, w, h)
        assert "crop_with" not in o  # not an evaluation's pair
        if o["label"] == "person":
            assert o["segmentation"] == polygon_mask(w, h)  # the stored JSON, exactly
            assert o["keypoints"] == pytest.approx(person_keypoints(w, h))
        else:
            assert np.array_equal(decoded(o["segmentation"]), rle_bitmap(w, h))
            assert "keypoints" not in o
