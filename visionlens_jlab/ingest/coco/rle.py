"""Bounding boxes of COCO segmentations, for predictions that carry only a mask.

A port of ``rleFrString`` and ``rleToBbox`` from the COCO API's ``maskApi.c`` (tested
against pycocotools), so segmentation results without ``bbox`` still get a box.
"""

from __future__ import annotations

from typing import Any


def decode_counts(text: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string."""
    counts: list[int] = []
    p, n = 0, len(text)
    while p < n:
        x = k = 0
        more = 1
        while more:
            if p >= n:
                raise ValueError("truncated RLE string")
            c = ord(text[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = c & 0x20
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def rle_bbox(counts: list[int], height: int, width: int) -> list[float]:
    """``[x, y, w, h]`` of a column-major RLE (``maskApi.c``'s ``rleToBbox``)."""
    m = len(counts) & ~1
    if m == 0 or height <= 0:
        return [0.0, 0.0, 0.0, 0.0]
    xs, ys, xe, ye, cc, xp = width, height, 0, 0, 0, 0
    for j in range(m):
        cc += counts[j]
        t = cc - j % 2
        y = t % height
        x = (t - y) // height
        if j % 2 == 0:
            xp = x
        elif xp < x:
            ys, ye = 0, height - 1
        xs, xe, ys, ye = min(xs, x), max(xe, x), min(ys, y), max(ye, y)
    return [float(xs), float(ys), float(xe - xs + 1), float(ye - ys + 1)]


def segmentation_bbox(seg: Any) -> list[float] | None:
    """The bbox of a polygon list or an RLE (compressed or not), or None if invalid."""
    try:
        if isinstance(seg, list) and seg:
            xs = [float(v) for poly in seg for v in poly[0::2]]
            ys = [float(v) for poly in seg for v in poly[1::2]]
            return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        if isinstance(seg, dict):
            height, width = (int(v) for v in seg["size"])
            counts = seg["counts"]
            runs = decode_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
            return rle_bbox(runs, height, width)
    except (TypeError, ValueError, KeyError):
        return None
    return None
