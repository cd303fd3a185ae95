"""Mask IoU for COCO ``segm`` evaluation, through ``pycocotools.mask`` (its C RLE code).

Masks become RLEs exactly as ``COCO.annToRLE`` makes them: polygons rasterised at the
image's size and merged, an uncompressed RLE (``counts`` a list, COCO's crowd regions)
compressed, a compressed RLE used as is. Polygons are rasterised one C call per chunk of
images of one size (an object of one polygon keeps its RLE, which is what merging one RLE
gives).

The IoU of every (prediction, ground truth) pair of an image is computed once, one
``pycocotools.mask.iou`` call per run of consecutive small images (crowd flags as
``COCOeval.computeIoU`` passes them, and a second call without them for the false-positive
explanations when the run has a crowd region), so the number of C calls grows with the
images, not with the pairs; the matching and the per-object results then read pairs from
these tables with array indexing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from pycocotools import mask as mask_utils

from .boxes import Boxes
from .labels import ObjectLabels
from .similarity import PairSimilarity

AREA_CHUNK = 255
"""RLEs per ``pycocotools.mask.area`` call: from 256 on, pycocotools 2.0.x under numpy 2
overflows the uint8 array it first builds from the count (``OverflowError``)."""


def coco_rle(segmentation: Any, height: int, width: int) -> dict[str, Any]:
    """The RLE of a COCO segmentation (``COCO.annToRLE``); pycocotools' error (or a
    ``ValueError`` for a compressed RLE without a size of two integers or a counts text)
    when it cannot be read."""
    if isinstance(segmentation, list):
        return dict(mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width)))
    if isinstance(segmentation.get("counts"), list):
        return dict(mask_utils.frPyObjects(segmentation, height, width))
    size = [int(v) for v in segmentation["size"]]
    if len(size) != 2 or not isinstance(segmentation["counts"], str | bytes):
        raise ValueError("a compressed RLE needs a size [height, width] and a counts text")
    return {"size": size, "counts": segmentation["counts"]}


class MaskCounts:
    """Objects evaluated without a proper mask."""

    def __init__(self) -> None:
        self.missing = 0  # no mask: the box was used as one
        self.unreadable = 0  # an RLE pycocotools refuses (stored before ingest checked it)
        self.degenerate = 0  # only polygons of at most 2 points: an empty mask


def object_rles(
    boxes: Boxes,
    labels: ObjectLabels,
    index: np.ndarray,
    texts: list[str | None],
    counts: MaskCounts,
) -> list[Any]:
    """The RLEs of the objects at ``index`` (``texts``: their segmentation JSON), counting
    in ``counts`` the objects without a mask or with an RLE pycocotools cannot read (their
    box is used as one, the polygon ``COCO.loadRes`` gives box results) and those with only
    degenerate polygons (an empty mask).

    ``frPyObjects`` reads a polygon list whose *first* polygon has 4 numbers as boxes (and
    pycocotools 2.0.x then fails); polygons are unions, so an object's polygons are
    rasterised with a proper polygon first, which is what COCO gives every other order.
    The polygons of all the objects whose images have one size are rasterised in one call.
    The two common shapes, a compressed RLE (predictions) and one proper polygon (ground
    truth), take a short path: the parsed RLE is used as it is, the polygon is rasterised
    without a merge (merging one RLE gives it back).
    """
    rles: list[Any] = [None] * len(index)
    polygons: dict[tuple[int, int], list[tuple[int, list[list[float]]]]] = {}
    single: dict[tuple[int, int], tuple[list[int], list[list[float]]]] = {}
    heights, widths = labels.height[index].tolist(), labels.width[index].tolist()
    loads = orjson.loads
    for k, text in enumerate(texts):
        seg = loads(text) if text is not None else None
        if type(seg) is dict and _compressed(seg):
            rles[k] = seg
            continue
        h, w = heights[k], widths[k]
        if type(seg) is list and len(seg) == 1 and type(seg[0]) is list and len(seg[0]) > 4:
            owners, polys = single.setdefault((h, w), ([], []))
            owners.append(k)
            polys.append(seg[0])
            continue
        if seg and not isinstance(seg, list):
            try:
                rles[k] = coco_rle(seg, h, w)
                continue
            except (TypeError, ValueError, OverflowError, KeyError, AttributeError):
                counts.unreadable += 1
                seg = None
        elif not seg:
            counts.missing += 1
        if not seg:
            i = int(index[k])
            x1, y1 = float(boxes.x[i]), float(boxes.y[i])
            x2, y2 = x1 + float(boxes.w[i]), y1 + float(boxes.h[i])
            seg = [[x1, y1, x1, y2, x2, y2, x2, y1]]
        if any(len(p) > 4 for p in seg):
            proper_first = sorted(seg, key=lambda p: len(p) <= 4)
            polygons.setdefault((h, w), []).append((k, proper_first))
        else:
            counts.degenerate += 1
            rles[k] = mask_utils.encode(np.zeros((h, w), dtype=np.uint8, order="F"))
    for (h, w), (owners, polys) in single.items():
        for k, rle in zip(owners, mask_utils.frPyObjects(polys, h, w), strict=True):
            rles[k] = rle
    for (h, w), objects in polygons.items():
        flat = mask_utils.frPyObjects([p for _, seg in objects for p in seg], h, w)
        at = 0
        for k, seg in objects:
            parts = flat[at : at + len(seg)]
            rles[k] = parts[0] if len(parts) == 1 else mask_utils.merge(parts)
            at += len(seg)
    return rles


def _compressed(seg: dict[str, Any]) -> bool:
    """Whether ``seg`` is a compressed RLE pycocotools reads as it is: a counts text and a
    size of two integers (other RLEs go through :func:`coco_rle`)."""
    size = seg.get("size")
    return (
        type(seg.get("counts")) is str
        and type(size) is list
        and len(size) == 2
        and type(size[0]) is int
        and type(size[1]) is int
    )


IMAGE_CHUNK = 2_048
"""Images whose masks are decoded together: few C calls per chunk, and memory holds one
chunk's masks (as Python objects) at a time, whatever the dataset's size."""


class ImageIous:
    """The mask IoU of every (prediction, ground truth) pair of each image, as flat tables
    read by position (with the crowd flags; without them, for the images with a crowd
    region only); and the predictions' mask areas (stored, else computed). Masks are
    decoded a chunk of images at a time and let go after it, so memory holds one chunk's
    masks at a time."""

    def __init__(
        self, dt: Boxes, gt: Boxes, dt_labels: ObjectLabels, gt_labels: ObjectLabels
    ) -> None:
        n_images = int(max(dt.image.max(initial=-1), gt.image.max(initial=-1))) + 1
        self.dt_local, dt_order, dt_start = _local(dt.image, n_images)
        self.gt_local, gt_order, gt_start = _local(gt.image, n_images)
        n_dt, n_gt = np.diff(dt_start), np.diff(gt_start)
        self.n_gt = n_gt
        size = n_dt * n_gt
        self.offset = np.concatenate([[0], np.cumsum(size)])[:-1]
        self.crowd_iou = np.zeros(int(size.sum()))
        crowd = gt.crowd.astype(np.uint8)
        # IoUs without the crowd flags differ only in images with a crowd region (a few
        # percent of them): only those get a second table, not every pair (50 MB at 100K)
        self.has_crowd = np.bincount(gt.image[gt.crowd], minlength=n_images) > 0
        plain_size = np.where(self.has_crowd, size, 0)
        self.plain_offset = np.concatenate([[0], np.cumsum(plain_size)])[:-1]
        self.plain_iou = np.zeros(int(plain_size.sum()))
        self.dt_area = dt_labels.mask_area.astype(float).copy()
        self.counts = MaskCounts()
        with_dt = np.flatnonzero(n_dt)
        for lo in range(0, len(with_dt), IMAGE_CHUNK):
            images = with_dt[lo : lo + IMAGE_CHUNK]
            d_idx = dt_order[dt_start[images[0]] : dt_start[images[-1] + 1]]
            g_idx = gt_order[gt_start[images[0]] : gt_start[images[-1] + 1]]
            dts = object_rles(dt, dt_labels, d_idx, dt_labels.texts(d_idx), self.counts)
            self._areas(d_idx, dts)
            # ground truth of images without predictions is never decoded: nothing needs it
            gts: list[Any] = [None] * len(g_idx)
            need = np.flatnonzero(n_dt[gt.image[g_idx]] > 0)
            decoded = object_rles(gt, gt_labels, g_idx[need], gt_labels.texts(g_idx[need]),
                                  self.counts)  # fmt: skip
            for k, rle in zip(need.tolist(), decoded, strict=True):
                gts[k] = rle
            d_base, g_base = dt_start[images[0]], gt_start[images[0]]
            for run in _iou_runs(images[size[images] > 0], n_dt, n_gt):
                d0, d1 = dt_start[run[0]] - d_base, dt_start[run[-1] + 1] - d_base
                g0, g1 = gt_start[run[0]] - g_base, gt_start[run[-1] + 1] - g_base
                flags = crowd[g_idx[g0:g1]]
                ious = np.asarray(mask_utils.iou(dts[d0:d1], gts[g0:g1], flags))
                _store_blocks(run, ious, dt_start, gt_start, self.offset, self.crowd_iou)
                if flags.any():
                    ious = np.asarray(mask_utils.iou(dts[d0:d1], gts[g0:g1], 0 * flags))
                    with_crowd = [image for image in run if self.has_crowd[image]]
                    _store_blocks(with_crowd, ious, dt_start, gt_start, self.plain_offset,
                                  self.plain_iou, base=run[0])  # fmt: skip
        self.dt_image = dt.image

    def _areas(self, d_idx: np.ndarray, rles: list[Any]) -> None:
        """The mask areas of the predictions at ``d_idx`` that have none stored."""
        unknown = np.flatnonzero(~np.isfinite(self.dt_area[d_idx]))
        for lo in range(0, len(unknown), AREA_CHUNK):
            part = unknown[lo : lo + AREA_CHUNK]
            self.dt_area[d_idx[part]] = mask_utils.area([rles[k] for k in part.tolist()])

    def pairs(self, d: np.ndarray, g: np.ndarray, crowd: bool) -> np.ndarray:
        """IoU of pairs of one image each (``crowd``: crowd regions as the matching scores
        them, intersection over the prediction's area)."""
        image = self.dt_image[d]
        local = self.dt_local[d] * self.n_gt[image] + self.gt_local[g]
        out = self.crowd_iou[self.offset[image] + local]
        if not crowd:  # images without a crowd region: the same IoUs
            plain = np.flatnonzero(self.has_crowd[image])
            out[plain] = self.plain_iou[self.plain_offset[image[plain]] + local[plain]]
        return out


IOU_CALL_PAIRS = 256
"""The most (prediction, ground truth) pairs one ``mask_utils.iou`` call of several images
computes: consecutive images share a call until their cross product would pass it. Each
pair's IoU is computed on its own (a pair of two images' objects is computed and dropped,
most of them after the bounding-box test), so the IoUs are the same as one call per image;
what is saved is pycocotools' Python checks of every call (~45 ms of ~0.39 s of mask IoUs
at 10K images of ~8 x 7 objects)."""


def _iou_runs(images: np.ndarray, n_dt: np.ndarray, n_gt: np.ndarray) -> list[list[int]]:
    """``images`` (ascending, each with pairs) in runs of consecutive images for one
    ``mask_utils.iou`` call each, at most :data:`IOU_CALL_PAIRS` pairs of a run's combined
    objects (an image with more is a run of its own)."""
    runs: list[list[int]] = []
    dts = gts = 0
    for image, d, g in zip(images.tolist(), n_dt[images].tolist(), n_gt[images].tolist(),
                           strict=True):  # fmt: skip
        if runs and image == runs[-1][-1] + 1 and (dts + d) * (gts + g) <= IOU_CALL_PAIRS:
            runs[-1].append(image)
            dts, gts = dts + d, gts + g
        else:
            runs.append([image])
            dts, gts = d, g
    return runs


def _store_blocks(
    images: list[int],
    ious: np.ndarray,
    dt_start: np.ndarray,
    gt_start: np.ndarray,
    offset: np.ndarray,
    table: np.ndarray,
    base: int | None = None,
) -> None:
    """Store each image's block of ``ious`` (the IoUs of the predictions and ground truth
    of consecutive images, from the first of ``images`` or from ``base``) in ``table`` at
    its ``offset``: prediction-major, as :meth:`ImageIous.pairs` reads them."""
    first = images[0] if base is None else base
    for image in images:
        d0, d1 = dt_start[image] - dt_start[first], dt_start[image + 1] - dt_start[first]
        g0, g1 = gt_start[image] - gt_start[first], gt_start[image + 1] - gt_start[first]
        at = offset[image]
        table[at : at + (d1 - d0) * (g1 - g0)] = ious[d0:d1, g0:g1].ravel()


def _local(image: np.ndarray, n_images: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each object's position among its image's objects, the objects ordered by image, and
    where each image's objects start in that order."""
    order = np.argsort(image, kind="stable")
    start = np.searchsorted(image[order], np.arange(n_images + 1))
    local = np.empty(len(image), dtype=np.int64)
    local[order] = np.arange(len(image)) - start[image[order]]
    return local, order, start


def mask_similarity(
    gt: Boxes, dt: Boxes, gt_labels: ObjectLabels, dt_labels: ObjectLabels
) -> tuple[PairSimilarity, list[str]]:
    """Mask IoU of pairs, the predictions' mask areas and the warnings about objects
    evaluated without a proper mask (ground truth of images without predictions is never
    decoded: nothing needs its mask)."""
    ious = ImageIous(dt, gt, dt_labels, gt_labels)
    warnings = []
    if ious.counts.missing:
        warnings.append(f"{ious.counts.missing} objects have no mask: their box was used")
    if ious.counts.unreadable:
        warnings.append(
            f"{ious.counts.unreadable} objects have an RLE mask pycocotools cannot read "
            "(negative or missing runs, a bad size): their box was used"
        )
    if ious.counts.degenerate:
        warnings.append(
            f"{ious.counts.degenerate} objects have only polygons of at most 2 points: "
            "evaluated as empty masks"
        )
    sim = PairSimilarity("segm", ious.pairs, ious.dt_area, np.zeros(len(gt), dtype=bool))
    return sim, warnings
