"""Row buffers for labels beyond the box: objects with keypoints or a mask area, and
image-level classifications.

:class:`ObjectRows` is :class:`~visionlens_jlab.ingest.base.AnnotationRows` plus the optional
columns of :data:`~visionlens_jlab.records.batches.ANNOTATION_LABEL_FIELDS`; its tables always
carry all of them, so every batch of a parser has one schema (one stream for the writer).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..records.batches import ANNOTATION_LABEL_FIELDS, CLASSIFICATION_SCHEMA, ColumnBuffer
from .base import AnnotationRows

_LABEL_NAMES = {f.name for f in ANNOTATION_LABEL_FIELDS}


class ObjectRows(AnnotationRows):
    """Column lists for objects that may have keypoints and a mask: boxes are added with
    ``add`` as in :class:`AnnotationRows` (the hot path costs nothing more), and the few
    rows with more get it through :meth:`set_labels`."""

    def _reset(self) -> None:
        super()._reset()
        self.extras: dict[int, dict[str, Any]] = {}

    def set_labels(self, row: int = -1, **labels: Any) -> None:
        """Give buffered row ``row`` (default: the last added) label columns by name: the
        flat ``[x, y, v, ...]`` ``keypoints`` (absolute pixels), their labelled count
        ``num_keypoints``, the mask's pixel area ``mask_area``, a rotated box's corners
        ``obb``..., any column of :data:`ANNOTATION_LABEL_FIELDS` (None: left as it is)."""
        unknown = labels.keys() - _LABEL_NAMES
        if unknown:
            raise TypeError(f"not label columns: {sorted(unknown)} (known: {sorted(_LABEL_NAMES)})")
        if row < 0:
            row += len(self.label)
        kept = self.extras.setdefault(row, {})
        kept.update((name, value) for name, value in labels.items() if value is not None)

    def take(self) -> pa.Table | None:
        n, extras = len(self.label), self.extras
        table = super().take()  # resets every list, ours included
        if table is None:
            return None
        for field in ANNOTATION_LABEL_FIELDS:  # by name: the kinds declare the columns
            column: list[Any] = [None] * n
            for row, values in extras.items():
                column[row] = values.get(field.name)
            table = table.append_column(field, pa.array(column, field.type))
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
