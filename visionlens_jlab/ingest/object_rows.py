"""Row buffers for labels beyond the box: objects with keypoints or a mask area, and
image-level classifications.

:class:`ObjectRows` is :class:`~visionlens_jlab.ingest.base.AnnotationRows` plus the optional
columns of :data:`~visionlens_jlab.records.batches.ANNOTATION_LABEL_FIELDS`; its tables always
carry all three, so every batch of a parser has one schema (one stream for the writer).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..records.batches import ANNOTATION_LABEL_FIELDS, CLASSIFICATION_SCHEMA, ColumnBuffer
from .base import AnnotationRows


class ObjectRows(AnnotationRows):
    """Column lists for objects that may have keypoints and a mask."""

    def _reset(self) -> None:
        super()._reset()
        self.keypoints: list[list[float] | None] = []
        self.num_keypoints: list[int | None] = []
        self.mask_area: list[float | None] = []

    def add(
        self,
        sample_index: int | None,
        image_ref: str | None,
        label: str,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        keypoints: list[float] | None = None,
        num_keypoints: int | None = None,
        mask_area: float | None = None,
        **fields: Any,
    ) -> None:
        """Append one object: the box fields of ``AnnotationRows.add`` plus the flat
        ``[x, y, v, ...]`` keypoints (absolute pixels), their labelled count and the mask's
        pixel area."""
        super().add(sample_index, image_ref, label, x, y, w, h, **fields)
        self.keypoints.append(keypoints)
        self.num_keypoints.append(num_keypoints)
        self.mask_area.append(mask_area)

    def take(self) -> pa.Table | None:
        extra = (self.keypoints, self.num_keypoints, self.mask_area)
        table = super().take()  # resets every list, ours included
        if table is None:
            return None
        for field, values in zip(ANNOTATION_LABEL_FIELDS, extra, strict=True):
            table = table.append_column(field, pa.array(values, field.type))
        return table


def classification_rows() -> ColumnBuffer:
    """A buffer of image-level labels (:data:`CLASSIFICATION_SCHEMA`)."""
    return ColumnBuffer(CLASSIFICATION_SCHEMA)


def polygon_areas(coords: list[np.ndarray]) -> np.ndarray:
    """Shoelace areas of polygons given as flat ``[x1, y1, x2, y2, ...]`` arrays, in one
    vectorised pass over all their vertices."""
    if not coords:
        return np.zeros(0)
    flat = np.concatenate(coords)
    xs, ys = flat[0::2], flat[1::2]
    counts = np.fromiter((len(c) // 2 for c in coords), dtype=np.int64, count=len(coords))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    nxt = np.arange(len(xs)) + 1
    nxt[starts + counts - 1] = starts  # each polygon closes on its own first vertex
    cross = xs * ys[nxt] - xs[nxt] * ys
    return np.abs(np.add.reduceat(cross, starts)) / 2.0
