"""Panoptic quality (Kirillov et al. 2019) with panopticapi's definitions (its
``pq_compute_single_core`` and ``PQStat.pq_average``), vectorised per image.

A segment's id in a COCO panoptic PNG is ``R + 256 G + 256² B`` (0: void). Per image, each
pixel's ground-truth and predicted ids become indices into the image's few known ids (0: an
id of no segment, then void and the segments) by one gather from a table of all 2^24 ids,
and the pairs that overlap are counted in one ``np.bincount`` of ``gt_index * (known
predictions + 2) + pred_index``: linear in the pixels, where ``np.unique`` over ``gt_id *
2^24 + pred_id`` (panopticapi's) sorts them. A pair of one category, the ground truth not crowd, with
IoU > 0.5 is a match (the union leaves out the prediction's void pixels; the ground
truth's area is its JSON ``area``, the prediction's its pixel count, as panopticapi does);
an unmatched non-crowd ground truth is a false negative; an unmatched prediction is a false
positive unless more than half of it lies on void or on a crowd region of its category.
Per category PQ = ΣIoU / (TP + FP/2 + FN/2), SQ = ΣIoU / TP, RQ = TP / (TP + FP/2 + FN/2);
the overall, things and stuff figures average the categories that have any TP, FP or FN.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..records.report import IngestError
from .label_maps import OPAQUE_MODES, LabelMapError, refuse_inexact, without_alpha

OFFSET = 256 * 256 * 256
VOID = 0


class PanopticError(ValueError):
    """A panoptic PNG that holds no segment ids, or a prediction that does not fit its PNG
    (the message names the file, and the segment)."""


ID_MODES = ("1", "L", "I;16", "I")
"""Pillow's single-channel modes, whose values are the segment ids (panopticapi's
``rgb2id`` of a 2-D array): a 16-bit PNG of ids as OpenCV or Pillow write one."""
WIDE_FIX = "save the ids as an 8-bit RGB PNG (R + 256 G + 256² B), as panopticapi's id2rgb"
"""What a panoptic PNG of 16 bits a channel needs."""


def segment_ids(location: str) -> np.ndarray:
    """The segment ids of a COCO panoptic PNG (``R + 256 G + 256² B``; a palette PNG by its
    colours; a single-channel one's values, :data:`ID_MODES`). An RGBA or LA PNG is read as
    its RGB or grey channels where every pixel is opaque, else refused as a semantic mask is
    (:func:`.label_maps.without_alpha`): a :class:`PanopticError` naming the file, how many
    pixels are translucent and the fix; so is an id past 2^24 - 1 in a 32-bit PNG, and a
    PNG of 16 bits a channel or a JPEG named ``.png`` (:func:`.label_maps.refuse_inexact`)."""
    # Pillow (~12 ms of imports) when a PNG is read: the semantic area's manifest, which
    # every command that opens a catalog imports, reaches this module
    from PIL import Image

    try:
        with Image.open(location) as image:
            mode = OPAQUE_MODES.get(image.mode, image.mode)
            refuse_inexact(location, image, WIDE_FIX)
            if image.mode in OPAQUE_MODES:
                # not converted to RGB: that drops the alpha, and a translucent pixel's
                # id would be read from its colour alone
                pixels = without_alpha(location, image.mode, np.asarray(image))
            elif mode in ID_MODES:
                pixels = np.asarray(image)
            else:
                rgb = image if image.mode == "RGB" else image.convert("RGB")
                # Pillow keeps RGB pixels in 4 bytes: read as little-endian uint32, the 4th
                # masked
                raw = rgb.tobytes("raw", "RGBX")
                width, height = rgb.size
                ids = np.frombuffer(raw, dtype="<u4").reshape(height, width)
                return ids & np.uint32(OFFSET - 1)
    except LabelMapError as exc:
        raise PanopticError(str(exc)) from None
    if mode == "RGB":
        ids = pixels[..., 0].astype(np.uint32)
        ids |= pixels[..., 1].astype(np.uint32) << 8
        ids |= pixels[..., 2].astype(np.uint32) << 16
        return ids
    if pixels.size and (int(pixels.min()) < 0 or int(pixels.max()) >= OFFSET):
        bad = int(pixels.min()) if int(pixels.min()) < 0 else int(pixels.max())
        raise PanopticError(
            f"{location}: value {bad} is no segment id (0..{OFFSET - 1}, what an RGB "
            "panoptic PNG holds); save the ids as an RGB PNG (R + 256 G + 256² B)"
        )
    return pixels.astype(np.uint32)


def check_pngs(locations: list[str]) -> None:
    """Refuse the first of ``locations`` (in their order) that :func:`segment_ids` would
    refuse or that is no image: an :class:`~visionlens_jlab.records.report.IngestError`
    naming it. Only a PNG with an alpha channel or of 32-bit values is decoded (on a pool
    of threads), the others are their header (a 48-bit RGB one or a JPEG refused by it):
    the ingest checks every PNG so before anything is written."""
    from PIL import Image

    def check(location: str) -> None:
        try:
            with Image.open(location) as image:
                refuse_inexact(location, image, WIDE_FIX)
                mode = image.mode
            if mode in OPAQUE_MODES or mode == "I":
                segment_ids(location)
        except (PanopticError, LabelMapError) as exc:
            raise IngestError(str(exc)) from None
        except OSError as exc:
            raise IngestError(f"{location}: cannot read the PNG ({exc})") from None

    with ThreadPoolExecutor(min(8, (os.cpu_count() or 1) + 1)) as pool:
        list(pool.map(check, locations))


def check_categories(annotations: list[dict[str, Any]], known: set[int], where: str) -> None:
    """Refuse results whose segments name categories the dataset does not have: an
    :class:`~visionlens_jlab.records.report.IngestError` naming the ids, the first segment
    with one and the fix (detectron2's contiguous ids are the usual cause), found at import
    rather than by an evaluation that stops at the first image."""
    unknown: set[int] = set()
    first = ""
    for i, ann in enumerate(annotations):
        for k, seg in enumerate(ann.get("segments_info", [])):
            cid = int(seg["category_id"])
            if cid not in known:
                unknown.add(cid)
                first = first or f"annotations[{i}].segments_info[{k}]"
    if unknown:
        ids = sorted(unknown)
        raise IngestError(
            f"{where}: category id(s) {', '.join(map(str, ids[:8]))}"
            f"{', ...' if len(ids) > 8 else ''} (first at {first}) are none of the "
            f"dataset's {len(known)} categories ({', '.join(map(str, sorted(known)[:8]))}"
            f"{', ...' if len(known) > 8 else ''}): give each segment its category's id in "
            "the dataset's JSON (a detectron2 model's contiguous ids map back through its "
            "metadata's thing_dataset_id_to_contiguous_id and stuff_dataset_id_to_contiguous_id)"
        )


@dataclass
class PQStat:
    """Per category: summed IoU of the matches, TP, FP, FN."""

    iou: dict[int, float] = field(default_factory=dict)
    tp: dict[int, int] = field(default_factory=dict)
    fp: dict[int, int] = field(default_factory=dict)
    fn: dict[int, int] = field(default_factory=dict)

    def add(self, counter: dict[int, Any], category: int, value: float = 1) -> None:
        counter[category] = counter.get(category, 0) + value


def image_pq(
    gt: np.ndarray,
    pred: np.ndarray,
    gt_segments: list[dict[str, Any]],
    pred_segments: list[dict[str, Any]],
    categories: set[int],
    stat: PQStat,
    where: str = "",
) -> None:
    """Add one image's matches, false positives and false negatives to ``stat``."""
    if gt.shape != pred.shape:
        raise PanopticError(
            f"{where}: the prediction is {pred.shape[::-1]}, the truth {gt.shape[::-1]}"
        )
    # ids as integers: a JSON may give them as digits ("3"), which would match no 3
    gt_info = {int(s["id"]): {**s, "category_id": int(s["category_id"])} for s in gt_segments}
    pred_info = {int(s["id"]): {**s, "category_id": int(s["category_id"])} for s in pred_segments}
    pairs = _overlaps(gt, pred, gt_info, pred_info, where)
    for p, ps in pred_info.items():
        if ps["category_id"] not in categories:
            raise PanopticError(
                f"{where}: segment {p}'s category {ps['category_id']} is none of the dataset's"
            )
    gt_matched, pred_matched = set(), set()
    for (g, p), intersection in pairs.items():
        if g not in gt_info or p not in pred_info:
            continue
        gs, ps = gt_info[g], pred_info[p]
        if gs.get("iscrowd", 0) == 1 or gs["category_id"] != ps["category_id"]:
            continue
        union = ps["area"] + gs["area"] - intersection - pairs.get((VOID, p), 0)
        iou = intersection / union
        if iou > 0.5:
            stat.add(stat.tp, gs["category_id"])
            stat.add(stat.iou, gs["category_id"], iou)
            gt_matched.add(g)
            pred_matched.add(p)
    crowd: dict[int, int] = {}
    for g, gs in gt_info.items():
        if g in gt_matched:
            continue
        if gs.get("iscrowd", 0) == 1:
            crowd[gs["category_id"]] = g
            continue
        stat.add(stat.fn, gs["category_id"])
    for p, ps in pred_info.items():
        if p in pred_matched:
            continue
        on_void = pairs.get((VOID, p), 0)
        if ps["category_id"] in crowd:
            on_void += pairs.get((crowd[ps["category_id"]], p), 0)
        if on_void / ps["area"] > 0.5:
            continue
        stat.add(stat.fp, ps["category_id"])


def _overlaps(
    gt: np.ndarray,
    pred: np.ndarray,
    gt_info: dict[int, dict[str, Any]],
    pred_info: dict[int, dict[str, Any]],
    where: str,
) -> dict[tuple[int, int], int]:
    """Pixels per overlapping (ground-truth id, predicted id) pair, ids of no ground-truth
    segment left out; sets each prediction's ``area`` to its pixel count. Raises where a
    predicted id is in the PNG and not the JSON, or the reverse."""
    gt_keys = np.asarray(sorted({VOID, *gt_info}))
    pred_keys = np.asarray(sorted({VOID, *pred_info}))
    gi = _index(gt, gt_keys, where).astype(np.intp)
    pi = _index(pred, pred_keys, where)
    width = len(pred_keys) + 1
    gi *= width
    gi += pi
    counts = np.bincount(gi.ravel(), minlength=(len(gt_keys) + 1) * width)
    counts = counts.reshape(len(gt_keys) + 1, width)
    if counts[:, 0].any():
        stray = np.setdiff1d(np.unique(pred[pi == 0]), pred_keys)
        raise PanopticError(f"{where}: segment {int(stray[0])} is in the PNG, not in segments_info")
    areas = dict(zip(pred_keys.tolist(), counts[:, 1:].sum(axis=0).tolist(), strict=True))
    unseen = [k for k, n in areas.items() if k != VOID and n == 0]
    if unseen:
        raise PanopticError(f"{where}: segments {unseen} are in segments_info, not in the PNG")
    for k, info in pred_info.items():
        info["area"] = areas[k]
    rows, cols = np.nonzero(counts[1:, 1:])
    g_ids, p_ids = gt_keys[rows].tolist(), pred_keys[cols].tolist()
    values = counts[rows + 1, cols + 1].tolist()
    return {(g, p): n for g, p, n in zip(g_ids, p_ids, values, strict=True)}


MAX_SEGMENTS = np.iinfo(np.uint16).max - 1
_TABLE: list[np.ndarray] = []
_TABLE_LOCK = threading.Lock()


def _index(ids: np.ndarray, keys: np.ndarray, where: str) -> np.ndarray:
    """Each pixel's position + 1 in ``keys`` (uint16), 0 where its id is none of them.

    One table of all 2^24 ids, shared and filled with the image's keys only while it is
    read under a lock (a gather, ~0.1 ms); made with ``np.zeros``, so only the pages its
    ids touch take memory."""
    if len(keys) > MAX_SEGMENTS:
        raise PanopticError(f"{where}: more than {MAX_SEGMENTS} segments in one image")
    with _TABLE_LOCK:
        if not _TABLE:
            _TABLE.append(np.zeros(OFFSET, np.uint16))
        table = _TABLE[0]
        table[keys] = np.arange(1, len(keys) + 1)
        try:
            return table[ids]
        finally:
            table[keys] = 0


def image_scores(stat: PQStat) -> tuple[float, float, float]:
    """One image's (PQ, SQ, RQ): ``pq_average`` over the categories with any TP, FP or FN
    in it, which is panopticapi's ``pq_compute`` on that image alone; NaN for an image
    where no category has any (panopticapi prints 0 with ``n`` 0 there)."""
    present = {*stat.tp, *stat.fp, *stat.fn}
    if not present:
        return float("nan"), float("nan"), float("nan")
    pq = sq = rq = 0.0
    for cid in sorted(present):
        tp = stat.tp.get(cid, 0)
        den = tp + 0.5 * stat.fp.get(cid, 0) + 0.5 * stat.fn.get(cid, 0)
        iou = stat.iou.get(cid, 0.0)
        pq += iou / den
        sq += iou / tp if tp else 0.0
        rq += tp / den
    n = len(present)
    return pq / n, sq / n, rq / n


def pq_summary(stat: PQStat, categories: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """``{"All", "Things", "Stuff"}`` (pq, sq, rq, n) and ``per_class`` by category name,
    panopticapi's ``pq_average`` (a category without TP, FP or FN scores 0 and is not
    counted in ``n``)."""
    per_class: dict[str, dict[str, float]] = {}
    sums = {key: [0.0, 0.0, 0.0, 0] for key in ("All", "Things", "Stuff")}
    for cid, info in categories.items():
        tp, fp, fn = stat.tp.get(cid, 0), stat.fp.get(cid, 0), stat.fn.get(cid, 0)
        iou = stat.iou.get(cid, 0.0)
        if tp + fp + fn == 0:
            per_class[info["name"]] = {"pq": 0.0, "sq": 0.0, "rq": 0.0, "tp": 0, "fp": 0, "fn": 0}
            continue
        den = tp + 0.5 * fp + 0.5 * fn
        row = {"pq": iou / den, "sq": iou / tp if tp else 0.0, "rq": tp / den}
        per_class[info["name"]] = {**row, "tp": tp, "fp": fp, "fn": fn}
        for key in ("All", "Things" if info.get("isthing") else "Stuff"):
            total = sums[key]
            total[0] += row["pq"]
            total[1] += row["sq"]
            total[2] += row["rq"]
            total[3] += 1
    out: dict[str, Any] = {}
    for key, (pq, sq, rq, n) in sums.items():
        out[key] = (
            {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n}
            if n
            else {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 0}
        )
    out["per_class"] = per_class
    return out
