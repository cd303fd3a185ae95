"""Masks as COCO compressed RLE, converted by pycocotools from what the catalog stores.

The catalog keeps a mask as the source wrote it (``segmentation``: polygons
``[[x, y, ...], ...]``, or an RLE ``{"size": [h, w], "counts": [ints] | str}``); the notebook
hands out one form, the compressed RLE that ``pycocotools.mask.decode`` reads.
"""

from __future__ import annotations

from typing import Any

from pycocotools import mask as mask_utils


def coco_rle(segmentation: Any, height: Any, width: Any) -> dict[str, Any] | None:
    """``segmentation`` as ``{"size": [h, w], "counts": str}``; polygons are rasterised at
    the image's ``height`` x ``width``. None without a mask, or for polygons of an image of
    unknown size (nothing to rasterise them on)."""
    if isinstance(segmentation, dict) and "counts" in segmentation and "size" in segmentation:
        counts = segmentation["counts"]
        if isinstance(counts, str):  # compressed already
            h, w = segmentation["size"]
            return {"size": [int(h), int(w)], "counts": counts}
        h, w = segmentation["size"]  # uncompressed: its own size
        return _plain(mask_utils.frPyObjects(segmentation, int(h), int(w)))
    if not isinstance(segmentation, list) or not segmentation:
        return None
    if not _known(height) or not _known(width):
        return None
    polygons = [p for p in segmentation if isinstance(p, list) and len(p) >= 6]
    if not polygons:
        return None
    rles = mask_utils.frPyObjects(polygons, int(height), int(width))
    return _plain(mask_utils.merge(rles))


def _known(size: Any) -> bool:
    """A positive image size (not None, NaN nor pandas' NA)."""
    try:
        return int(size) > 0
    except (TypeError, ValueError):
        return False


def _plain(rle: dict[str, Any]) -> dict[str, Any]:
    """pycocotools' RLE (``counts`` as bytes) with plain Python values."""
    h, w = rle["size"]
    return {"size": [int(h), int(w)], "counts": rle["counts"].decode("ascii")}
