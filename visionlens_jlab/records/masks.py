"""A mask as the catalog stores masks (a model's, a brush region's): COCO's compressed RLE,
its area and its extent."""

from __future__ import annotations

from typing import Any

import numpy as np


def mask_answer(mask: np.ndarray) -> dict[str, Any]:
    """``{"mask": {"size": [h, w], "counts": text}, "area", "bbox": [x, y, w, h]}`` of a
    boolean ``h`` x ``w`` mask (pycocotools' encoding, area and ``toBbox``: what an edit's
    ``segmentation`` takes back, :mod:`visionlens_jlab.edits.mask_ops`)."""
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    counts = rle["counts"]
    text = counts.decode("ascii") if isinstance(counts, bytes) else str(counts)
    return {
        "mask": {"size": [int(v) for v in rle["size"]], "counts": text},
        "area": float(mask_utils.area(rle)),
        "bbox": [float(v) for v in mask_utils.toBbox(rle)],
    }
