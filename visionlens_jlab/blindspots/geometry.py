"""Per-object attributes measured from ground-truth geometry (no pixels needed)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SMALL_AREA = 32.0**2
MEDIUM_AREA = 96.0**2
CROWD_IOU = 0.1
BORDER_PX = 1.0
POSITIONS = ("center", "middle", "edge")


def object_attributes(
    ann_id: np.ndarray,
    sample_id: np.ndarray,
    box: np.ndarray,
    area: np.ndarray,
    img_w: np.ndarray,
    img_h: np.ndarray,
) -> pa.Table:
    """The ``object_attributes`` rows of ground-truth boxes (``box`` is ``[n, 4]`` x, y, w, h).

    ``area`` may hold NaN (then ``w * h`` is used, as evaluation does); unknown image sizes
    (NaN) make ``truncated`` and ``position`` null.
    """
    x, y, w, h = (box[:, i].astype(float) for i in range(4))
    a = np.where(np.isnan(area), w * h, area)
    size = np.where(a < SMALL_AREA, "small", np.where(a < MEDIUM_AREA, "medium", "large"))
    with np.errstate(invalid="ignore", divide="ignore"):
        aspect = np.round(np.where(h > 0, w / h, np.nan), 4)
        known = ~(np.isnan(img_w) | np.isnan(img_h))
        truncated = (
            (x <= BORDER_PX)
            | (y <= BORDER_PX)
            | (x + w >= img_w - BORDER_PX)
            | (y + h >= img_h - BORDER_PX)
        )
        d = 2 * np.maximum(np.abs((x + w / 2) / img_w - 0.5), np.abs((y + h / 2) / img_h - 0.5))
    position = np.where(d < 1 / 3, POSITIONS[0], np.where(d < 2 / 3, POSITIONS[1], POSITIONS[2]))
    return pa.table(
        {
            "ann_id": pa.array(ann_id, pa.int64()),
            "sample_id": pa.array(sample_id, pa.int64()),
            "size": pa.array(size.tolist(), pa.string()),
            "aspect": pa.array(aspect, pa.float64(), mask=np.isnan(aspect)),
            "truncated": pa.array(truncated, pa.bool_(), mask=~known),
            "crowding": pa.array(crowding(sample_id, box), pa.int32()),
            "position": pa.array(position.tolist(), pa.string(), mask=~known),
        }
    )


def crowding(sample_id: np.ndarray, box: np.ndarray) -> np.ndarray:
    """For each box, how many other boxes of its image overlap it with IoU > 0.1.

    All pairs within each image at once (``sum k^2`` pairs for images of ``k`` boxes).
    """
    n = len(sample_id)
    out = np.zeros(n, dtype=np.int32)
    if n == 0:
        return out
    order = np.argsort(sample_id, kind="stable")
    sid = sample_id[order]
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    counts = np.diff(np.r_[starts, n])
    # pairs (i, j) within each group: i repeats k times, j runs over the group
    group_of = np.repeat(np.arange(len(starts)), counts)
    k = counts[group_of]
    i = np.repeat(np.arange(n), k)
    j = starts[np.repeat(group_of, k)] + (np.arange(i.size) - np.repeat(np.cumsum(k) - k, k))
    keep = i != j
    i, j = i[keep], j[keep]
    b = box[order].astype(float)
    ix = np.clip(
        np.minimum(b[i, 0] + b[i, 2], b[j, 0] + b[j, 2]) - np.maximum(b[i, 0], b[j, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(b[i, 1] + b[i, 3], b[j, 1] + b[j, 3]) - np.maximum(b[i, 1], b[j, 1]), 0, None
    )
    inter = ix * iy
    union = b[i, 2] * b[i, 3] + b[j, 2] * b[j, 3] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        hit = inter / union > CROWD_IOU
    out[order] = np.bincount(i[hit], minlength=n).astype(np.int32)
    return out
