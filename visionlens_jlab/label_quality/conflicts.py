"""The object a flagged label disagrees with: what the quality view draws beside it.

A label-quality score says that one model's predictions contradict a label; the user judges
it by seeing the contradiction. Per issue type, the object behind the score, chosen by the
rules of :mod:`.scores` (a prediction speaks only for the ground truth it overlaps most, its
*owner*; confidences clipped to [0, 1], a missing one counting as 1):

* ``swapped`` (ground truth): the owned prediction of another class with the highest
  ``c * ramp(IoU)``, the evidence that the label's class is wrong;
* ``badly_located`` (ground truth): the owned prediction of its class with the highest IoU
  (then confidence), the box the model puts the object in;
* ``spurious`` (ground truth): the owned prediction with the highest support
  ``c * min(IoU / SUPPORT_IOU, 1)`` when there is one (the little the model sees there);
  none when the model predicts nothing on it;
* ``overlooked`` (a prediction): the ground truth it overlaps most, if any.

Computed for a page of objects at a time (the page's images' boxes, one read), not stored:
a run's rows stay as they are, and the objects drawn are the catalog's current ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from ..catalog import GROUND_TRUTH
from .scores import SUPPORT_IOU, SWAP_IOU_HIGH, SWAP_IOU_LOW

if TYPE_CHECKING:
    from ..catalog import Catalog


class Conflict(TypedDict):
    """The object a flagged one disagrees with (the patches' ``match``: its tile's pair)."""

    ann_id: int
    source: str  # 'ground_truth' or the model's name
    label: str
    x: float
    y: float
    w: float
    h: float
    score: float | None  # a prediction's confidence; None for ground truth
    iou: float  # of the two boxes


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Box IoU of every row of ``a`` (n, 4: x, y, w, h) with every row of ``b``: (n, m)."""
    ax, ay, aw, ah = (a[:, k : k + 1] for k in range(4))
    bx, by, bw, bh = (b[:, k] for k in range(4))
    iw = np.clip(np.minimum(ax + aw, bx + bw) - np.maximum(ax, bx), 0.0, None)
    ih = np.clip(np.minimum(ay + ah, by + bh) - np.maximum(ay, by), 0.0, None)
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _pick(values: np.ndarray, tie: np.ndarray | None = None) -> int | None:
    """The index of the largest positive value (ties: ``tie``'s largest, then the first)."""
    if not len(values) or values.max() <= 0:
        return None
    best = np.flatnonzero(values == values.max())
    if tie is not None and len(best) > 1:
        best = best[tie[best] == tie[best].max()]
    return int(best[0])


def _image_conflicts(
    gt: list[dict[str, Any]], dt: list[dict[str, Any]], wanted: dict[int, str]
) -> dict[int, Conflict | None]:
    """The conflicts of the objects ``wanted`` (ann id -> issue) among one image's boxes."""
    gt_box = np.array([[b["x"], b["y"], b["w"], b["h"]] for b in gt], float).reshape(-1, 4)
    dt_box = np.array([[b["x"], b["y"], b["w"], b["h"]] for b in dt], float).reshape(-1, 4)
    iou = _iou(dt_box, gt_box)  # (n_dt, n_gt)
    best = iou.max(axis=1) if gt else np.zeros(len(dt))
    owned = (iou > 0) & (iou >= best[:, None])  # a prediction speaks for its owner only
    conf = np.clip(np.nan_to_num(np.array([b["score"] for b in dt], float), nan=1.0), 0, 1)
    gt_at = {b["ann_id"]: k for k, b in enumerate(gt)}
    dt_at = {b["ann_id"]: k for k, b in enumerate(dt)}
    out: dict[int, Conflict | None] = {}
    for ann_id, issue in wanted.items():
        if issue == "overlooked":
            d = dt_at.get(ann_id)
            g = _pick(iou[d]) if d is not None and gt else None
            out[ann_id] = None if g is None else _conflict(gt[g], float(iou[d, g]))
            continue
        g = gt_at.get(ann_id)
        if g is None or not dt:
            out[ann_id] = None
            continue
        u = np.where(owned[:, g], iou[:, g], 0.0)
        same = np.array([b["label"] == gt[g]["label"] for b in dt])
        if issue == "swapped":
            ramp = np.clip((u - SWAP_IOU_LOW) / (SWAP_IOU_HIGH - SWAP_IOU_LOW), 0.0, 1.0)
            d = _pick(np.where(same, 0.0, conf * ramp))
        elif issue == "badly_located":
            d = _pick(np.where(same, u, 0.0), conf)
        else:  # spurious
            d = _pick(conf * np.minimum(u / SUPPORT_IOU, 1.0))
        out[ann_id] = None if d is None else _conflict(dt[d], float(iou[d, g]))
    return out


def _conflict(box: dict[str, Any], iou: float) -> Conflict:
    score = box["score"]
    return Conflict(
        ann_id=int(box["ann_id"]), source=box["source"], label=box["label"],
        x=box["x"], y=box["y"], w=box["w"], h=box["h"],
        score=None if score is None else float(score), iou=round(iou, 4),
    )  # fmt: skip


def conflicts(
    catalog: Catalog, dataset: str, model: str, objects: Iterable[dict[str, Any]]
) -> dict[int, Conflict | None]:
    """Per flagged object of ``objects`` (patches-page rows of ground truth or of ``model``,
    carrying ``lq_issue`` and ``lq_flagged`` of ``model``'s run), by annotation id, the
    object it disagrees with (see the module docstring), or None where there is none."""
    wanted: dict[int, dict[int, str]] = {}
    for o in objects:
        if o.get("lq_flagged") and o.get("lq_issue"):
            wanted.setdefault(int(o["sample_id"]), {})[int(o["ann_id"])] = o["lq_issue"]
    if not wanted:
        return {}
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT ann_id, sample_id, source, label, x, y, w, h, score FROM annotations "
            "WHERE dataset_id = ? AND source IN (?, ?) "
            "AND sample_id IN (SELECT unnest(?::BIGINT[])) ORDER BY ann_id",
            [dataset_id, GROUND_TRUTH, model, list(wanted)],
        ).fetchall()
    keys = ("ann_id", "sample_id", "source", "label", "x", "y", "w", "h", "score")
    boxes: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for row in rows:
        box = dict(zip(keys, row, strict=True))
        gt, dt = boxes.setdefault(int(box["sample_id"]), ([], []))
        (gt if box["source"] == GROUND_TRUTH else dt).append(box)
    out: dict[int, Conflict | None] = {}
    for sample_id, of_image in wanted.items():
        gt, dt = boxes.get(sample_id, ([], []))
        out.update(_image_conflicts(gt, dt, of_image))
    return out


def attach_conflicts(catalog: Catalog, dataset: str, page: dict[str, Any]) -> None:
    """Give each flagged object of a patches page of kind ``objects`` (read with a
    label-quality run, ``page["lq_model"]``) the object it disagrees with as its ``match``
    (null where there is none), so that its tile draws the two as a pair. Other pages and
    objects are left as they are."""
    model = page.get("lq_model")
    if page.get("kind") != "objects" or not model:
        return
    found = conflicts(catalog, dataset, model, page["objects"])
    for o in page["objects"]:
        if int(o["ann_id"]) in found:
            o["match"] = found[int(o["ann_id"])]
