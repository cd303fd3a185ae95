"""Masks and keypoints of evaluated objects, as loaded from the catalog's label columns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa


class TextSource(ABC):
    """Segmentation texts read where they are kept (the catalog) when they are needed, a
    chunk of objects at a time, instead of all of them held in memory at once."""

    @abstractmethod
    def texts(self, index: np.ndarray) -> list[str | None]:
        """The texts of the objects at ``index`` (positions on the side), in that order."""


@dataclass
class ObjectLabels:
    """The masks and keypoints of one side's objects, parallel to its :class:`~.boxes.Boxes`.

    ``segmentation``: the COCO segmentation JSON text of each object (None without a mask),
    a list or an Arrow string array, chunked or not (compact: 1M masks need no 1M Python
    strings), or a :class:`TextSource` that reads them when asked;
    ``mask_area``: the stored mask area (NaN where unknown); keypoints as one flat array,
    object ``i``'s ``[x1, y1, v1, ...]`` at ``keypoints[offsets[i]:offsets[i + 1]]``;
    ``num_keypoints``: the stored count of labelled points (0 where NULL); ``height`` and
    ``width``: the size of the object's image (the size polygons are rasterised at);
    ``obb``: rotated boxes' corners as ``(n, 8)`` (NaN rows for objects without; empty when
    none were loaded).
    """

    segmentation: list[str | None] | Any
    mask_area: np.ndarray
    keypoints: np.ndarray
    offsets: np.ndarray
    num_keypoints: np.ndarray
    height: np.ndarray
    width: np.ndarray
    obb: np.ndarray = field(default_factory=lambda: np.zeros((0, 8)))

    @classmethod
    def empty(cls, n: int) -> ObjectLabels:
        """``n`` objects without masks or keypoints."""
        return cls(
            [None] * n,
            np.full(n, np.nan),
            np.zeros(0),
            np.zeros(n + 1, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
        )

    def in_order(self, index: np.ndarray) -> list[str | None] | pa.Array | pa.ChunkedArray:
        """The segmentation texts of the objects at ``index``, in one piece that slices
        cheaply (an Arrow array stays one)."""
        if isinstance(self.segmentation, TextSource):
            return self.segmentation.texts(index)
        if isinstance(self.segmentation, pa.Array | pa.ChunkedArray):
            return self.segmentation.take(pa.array(index, pa.int64()))
        return [self.segmentation[i] for i in index.tolist()]

    def texts(self, index: np.ndarray) -> list[str | None]:
        """The segmentation texts of the objects at ``index``, as a list."""
        part = self.in_order(index)
        return part if isinstance(part, list) else part.to_pylist()

    def points(self) -> np.ndarray:
        """Keypoints per object (``len // 3``; 0 for objects without keypoints)."""
        return np.diff(self.offsets) // 3

    def take(self, index: np.ndarray) -> ObjectLabels:
        """The objects at ``index`` (an integer or boolean array), as new labels."""
        idx = np.flatnonzero(index) if index.dtype == bool else np.asarray(index)
        lengths = np.diff(self.offsets)[idx]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        at = np.repeat(self.offsets[idx] - offsets[:-1], lengths) + np.arange(offsets[-1])
        return ObjectLabels(
            self.in_order(idx),
            self.mask_area[idx],
            self.keypoints[at],
            offsets,
            self.num_keypoints[idx],
            self.height[idx],
            self.width[idx],
            self.obb[idx] if len(self.obb) else self.obb,
        )
