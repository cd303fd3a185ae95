"""What the YOLO label readers share: a readable row (:class:`LabelRow`), where a file's
objects go (:class:`LabelTarget`) and the slack of normalised coordinates; read by
:mod:`.yolo_labels` and, for OBB rows, :mod:`.yolo_obb`."""

from __future__ import annotations

FLAT_AREA_FRACTION = 1e-9
"""A polygon or rotated box whose area is at most this fraction of its extent's is flat."""

TOLERANCE = 1e-5  # 6-decimal labels overshoot [0, 1] by rounding: clamp those silently
UNIT = (1.0, 1.0)  # the "size" of normalised predictions: coordinates stay fractions


class LabelRow:
    """One readable row: its class, numbers (confidence removed), confidence and kind."""

    __slots__ = ("label", "values", "score", "where", "line", "points", "dims")

    def __init__(self, label: str, where: str, line: str) -> None:
        self.label, self.where, self.line = label, where, line
        self.values: list[float] = []
        self.score: float | None = None
        self.points = self.dims = 0  # a pose row's K and D; 0 for boxes and polygons


class LabelTarget:
    """Where a file's objects go: a ground-truth sample (``idx``, its pixel ``size``) or a
    prediction's image reference (``ref``, coordinates kept normalised)."""

    __slots__ = ("idx", "ref", "size", "normalized")

    def __init__(self, idx: int | None, ref: str | None, size: tuple[int, int] | None) -> None:
        self.idx, self.ref = idx, ref
        self.size: tuple[float, float] = size or UNIT
        self.normalized = size is None
