"""The labels beyond the box of a COCO annotation table: ``mask_area``, the keypoint count, and
the validation report of masks and keypoints.

Both reading paths (DuckDB's and the Python loop, :mod:`.annotations`) hand every annotation
table they produce to :meth:`LabelChecks.finish`, so the result and the report never depend on
which path read a record. The work per table is a few vectorised Arrow / numpy passes; Python
touches only the rows that need it:

- ``mask_area`` is COCO's ``area`` for an object with a mask (COCO computes it from the mask);
  only a mask without ``area`` is measured, with pycocotools (``COCO.annToRLE`` + ``area``).
  Predictions without ``area`` get the mask area as their area, as ``COCO.loadRes`` does.
- The ``size`` of every RLE mask is compared with its image's height and width, read from
  the text's bytes (:func:`~.mask_geometry.rle_text_sizes`), never parsing the run lengths.
- Polygons are parsed only when a cheap test points at them: a ``-`` in their text (a negative
  coordinate), a box reaching outside the image, or a recorded area of 0; and the first
  :data:`GEOMETRY_SAMPLE_ROWS` polygon objects of a file are all checked. A polygon past those
  whose box lies inside the image and whose area is not 0 is not parsed: parsing every
  polygon costs about a quarter of ``json.load``'s time (measured: 0.39 s for 70K objects).
- Self-intersection (pairs of edges, quadratic) is checked on the first
  :data:`SELF_INTERSECTION_SAMPLE_ROWS` polygon objects only, as the warning says.
- Keypoints (:mod:`.keypoint_checks`): the point count against the category's keypoint names,
  points on a category that names none, visibility flags outside 0-2, labelled points outside
  the image, ``num_keypoints`` against the labelled points, for every object (vectorised);
  ``num_keypoints`` missing from a record is the count of labelled points (v > 0).
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ...records.report import IngestReport
from .keypoint_checks import KEYPOINT_CODES, check_keypoints
from .mask_geometry import (
    SELF_INTERSECTION_MAX_POINTS,
    mask_area,
    polygon_flags,
    rle_problem,
    rle_text_sizes,
    self_intersecting,
)

GEOMETRY_SAMPLE_ROWS = 5000
"""Polygon objects at the start of a file whose polygons are all checked (outside the image,
degenerate); past them, only the objects a cheap test points at."""
SELF_INTERSECTION_SAMPLE_ROWS = 1000
"""Polygon objects at the start of a file checked for self-intersection."""

CHECK_CODES = (
    "coco_rle_size_mismatch",
    "coco_bad_rle",
    "coco_polygon_outside_image",
    "coco_degenerate_polygon",
    "coco_self_intersecting_polygon",
    *KEYPOINT_CODES,
    "coco_mask_area_unknown",
)
"""The warnings of these checks, in the order the report lists them."""

KEYPOINT_FIELDS = (
    pa.field("keypoints", pa.list_(pa.float64())),
    pa.field("num_keypoints", pa.int32()),
)


class ImageSizes:
    """``(width, height)`` of the images by sample index (-1 where unknown)."""

    def __init__(self) -> None:
        self._w: array[int] = array("q")
        self._h: array[int] = array("q")
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, width: int | None, height: int | None) -> None:
        """The size of the next sample index."""
        self._w.append(width or -1)
        self._h.append(height or -1)
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Widths and heights as numpy arrays (made once the images are all read)."""
        if self._arrays is None:
            self._arrays = (
                np.frombuffer(self._w, dtype=np.int64).astype(np.float64),
                np.frombuffer(self._h, dtype=np.int64).astype(np.float64),
            )
        return self._arrays


class LabelChecks:
    """Adds ``mask_area`` to annotation tables and reports bad masks and keypoints."""

    def __init__(
        self,
        report: IngestReport,
        *,
        keypoint_counts: dict[str, int] | None = None,
        image_sizes: ImageSizes | None = None,
        predictions: bool = False,
    ) -> None:
        """``keypoint_counts``: class name -> number of keypoint names; ``image_sizes``: the
        ground truth's image sizes by sample index (predictions: None, images unknown)."""
        self.report = report
        # gathered apart and reported by flush(): the report's order then does not depend on
        # the batches each reading path makes
        self._found = IngestReport()
        self.keypoint_counts = keypoint_counts or {}
        self.sizes = image_sizes
        self.predictions = predictions
        self._polygon_rows = 0  # polygon objects seen so far (the samples' positions)

    def finish(self, table: pa.Table) -> pa.Table:
        """``table`` with ``mask_area`` (and, for predictions, the missing areas) filled and
        ``num_keypoints`` completed; its bad masks and keypoints reported."""
        seg_col = _one_chunk(table.column("segmentation"))
        seg = seg_col.storage if isinstance(seg_col, pa.ExtensionArray) else seg_col
        if seg.type != pa.string():
            seg = seg.cast(pa.string())
        if seg.null_count < len(seg):
            dropped = self._unreadable_rles(table, seg)
            if dropped is not None:
                seg = pc.if_else(dropped, pa.scalar(None, pa.string()), seg)
                table = _with_segmentation(table, seg_col, seg)
        area = _one_chunk(table.column("area"))
        has_mask = seg.is_valid()
        mask_area_col = pc.if_else(has_mask, area, pa.scalar(None, pa.float64()))
        if seg.null_count < len(seg):
            mask_area_col = self._masks(table, seg, area, mask_area_col)
            if self.predictions:
                i = table.schema.get_field_index("area")
                table = table.set_column(i, "area", pc.coalesce(area, mask_area_col))
        table = table.append_column(pa.field("mask_area", pa.float64()), mask_area_col)
        kp = _one_chunk(table.column("keypoints"))
        if kp.null_count < len(kp):
            table = self._keypoints(table, kp)
        return table

    # ----------------------------------------------------------------------------- masks
    def _masks(
        self, table: pa.Table, seg: pa.Array, area: pa.Array, mask_area_col: pa.Array
    ) -> pa.Array:
        n = len(seg)
        offsets, data = _text_buffers(seg)
        first = _first_bytes(offsets, data)
        rle, poly = first == ord("{"), first == ord("[")
        no_area = (
            pc.and_(seg.is_valid(), area.is_null()).to_numpy(zero_copy_only=False)
            if area.null_count
            else np.zeros(n, dtype=bool)
        )
        width = height = None
        if self.sizes is not None:
            sample = table.column("sample_index").to_numpy()
            ws, hs = self.sizes.arrays()
            width, height = ws[sample], hs[sample]
        # the polygon objects checked: the file's first ones, and those a cheap test points at
        order = np.cumsum(poly) - 1 + self._polygon_rows
        self._polygon_rows += int(poly.sum())
        check = poly & (order < GEOMETRY_SAMPLE_ROWS)
        if poly.any():
            # a "-": a negative coordinate (or an exponent's sign)
            hits = np.flatnonzero(data == ord("-")) + offsets[0]
            minus = np.zeros(n, dtype=bool)
            minus[np.searchsorted(offsets, hits, side="right") - 1] = True
            check |= poly & minus
            check |= poly & (area.fill_null(1.0).to_numpy(zero_copy_only=False) == 0.0)
            if width is not None and height is not None:
                x, y = table.column("x").to_numpy(), table.column("y").to_numpy()
                x2, y2 = x + table.column("w").to_numpy(), y + table.column("h").to_numpy()
                known = width > 0
                check |= poly & known & ((x < 0) | (y < 0) | (x2 > width) | (y2 > height))
        if width is not None and height is not None and rle.any():
            self._rle_sizes(table, offsets, data, rle, width, height)
        rows = np.flatnonzero(check | no_area)
        if not len(rows):
            return mask_area_col
        computed = mask_area_col.to_pylist()
        values = [orjson.loads(t) for t in seg.take(pa.array(rows)).to_pylist()]
        sel = rows[check[rows]]
        checked = [v for i, v in zip(rows.tolist(), values, strict=True) if check[i]]
        far, flat = polygon_flags(
            checked,
            None if width is None else width[sel],
            None if height is None else height[sel],
        )
        crossed = np.zeros(len(sel), dtype=bool)
        sampled = order[sel] < SELF_INTERSECTION_SAMPLE_ROWS
        if sampled.any():
            crossed[sampled] = self_intersecting([checked[k] for k in np.flatnonzero(sampled)])
        flags = dict(
            zip(
                sel.tolist(),
                zip(far.tolist(), flat.tolist(), crossed.tolist(), strict=True),
                strict=True,
            )
        )
        for i, value in zip(rows.tolist(), values, strict=True):
            w = int(width[i]) if width is not None and width[i] > 0 else None
            h = int(height[i]) if height is not None and height[i] > 0 else None
            if check[i]:
                self._polygons(table, i, *flags[i])
            if no_area[i]:
                computed[i] = mask_area(value, h, w)
                if computed[i] is None:
                    self._warn(
                        "coco_mask_area_unknown",
                        "pycocotools could not measure a mask without 'area' (mask kept, "
                        "mask_area left empty)",
                        table,
                        i,
                    )
        return pa.array(computed, pa.float64())

    def _unreadable_rles(self, table: pa.Table, seg: pa.Array) -> pa.Array | None:
        """The rows whose RLE mask pycocotools cannot read (reported; None if there are
        none): their mask is dropped, so every stored mask decodes. RLEs are crowd objects,
        a few per thousand, so each is parsed."""
        offsets, data = _text_buffers(seg)
        rows = np.flatnonzero(_first_bytes(offsets, data) == ord("{"))
        bad = np.zeros(len(seg), dtype=bool)
        texts = seg.take(pa.array(rows)).to_pylist() if len(rows) else []
        for i, text in zip(rows.tolist(), texts, strict=True):
            problem = rle_problem(orjson.loads(text))
            if problem is not None:
                bad[i] = True
                self._warn(
                    "coco_bad_rle",
                    "an RLE mask pycocotools cannot read (mask dropped, box kept)",
                    table,
                    i,
                    problem,
                )
        return pa.array(bad) if bad.any() else None

    def _rle_sizes(
        self,
        table: pa.Table,
        offsets: np.ndarray,
        data: np.ndarray,
        rle: np.ndarray,
        width: np.ndarray,
        height: np.ndarray,
    ) -> None:
        """Report the RLE masks whose ``size`` is not their image's ``[height, width]``, read
        from their text without parsing the run lengths."""
        h, w = rle_text_sizes(offsets, data, len(rle))
        wrong = rle & (h >= 0) & (width > 0) & (height > 0) & ((h != height) | (w != width))
        for i in np.flatnonzero(wrong).tolist():
            self._warn(
                "coco_rle_size_mismatch",
                "an RLE mask's 'size' differs from its image's [height, width] (kept)",
                table,
                i,
                f"size={[int(h[i]), int(w[i])]}, image={[int(height[i]), int(width[i])]}",
            )

    def _polygons(self, table: pa.Table, i: int, far: bool, flat: bool, crossed: bool) -> None:
        if far:
            self._warn(
                "coco_polygon_outside_image",
                "a polygon has points outside its image (kept)",
                table,
                i,
            )
        if flat:
            self._warn(
                "coco_degenerate_polygon",
                "a polygon has fewer than 3 distinct points or a zero area (kept)",
                table,
                i,
            )
        if crossed:
            self._warn(
                "coco_self_intersecting_polygon",
                f"a polygon crosses itself (kept; checked on the first "
                f"{SELF_INTERSECTION_SAMPLE_ROWS} polygon objects of a file only, polygons "
                f"of up to {SELF_INTERSECTION_MAX_POINTS} points)",
                table,
                i,
            )

    # ------------------------------------------------------------------------- keypoints
    def _keypoints(self, table: pa.Table, kp: pa.Array) -> pa.Table:
        sizes = None
        if self.sizes is not None:
            sample = table.column("sample_index").to_numpy()
            ws, hs = self.sizes.arrays()
            sizes = (ws[sample], hs[sample])

        def warn(code: str, message: str, i: int, detail: str | None) -> None:
            self._warn(code, message, table, i, detail)

        return check_keypoints(table, kp, self.keypoint_counts, sizes, warn, self.predictions)

    def _warn(
        self, code: str, message: str, table: pa.Table, i: int, detail: str | None = None
    ) -> None:
        aid = table.column("source_ann_id")[i].as_py()
        if aid is not None:
            where = f"annotation id={aid}"
        else:  # predictions may have no ids: their image (the same whichever path read it)
            where = f"an object of image {table.column('image_ref')[i].as_py()}"
        self._found.warn(code, message, f"{where}: {detail}" if detail else where)

    def flush(self) -> None:
        """Add what the checks found to the report (once every table is finished), in a
        fixed order of codes: the same whichever batches the rows came in."""
        found = sorted(self._found.warnings, key=lambda e: CHECK_CODES.index(e["code"]))
        for entry in found:
            self.report.warn(
                entry["code"], entry["message"], count=entry["count"], examples=entry["examples"]
            )
        self._found = IngestReport()


def _one_chunk(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array (without a copy when it has one chunk)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _with_segmentation(table: pa.Table, column: pa.Array, seg: pa.Array) -> pa.Table:
    """``table`` with the texts ``seg`` as its segmentation, in the type of ``column``."""
    if isinstance(column, pa.ExtensionArray):
        texts = pa.ExtensionArray.from_storage(column.type, seg.cast(column.storage.type))
    else:
        texts = seg.cast(column.type)
    i = table.schema.get_field_index("segmentation")
    return table.set_column(i, table.schema.field(i), texts)


def _first_bytes(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Each text's first byte (0: null or empty), from :func:`_text_buffers`."""
    first = np.zeros(len(offsets) - 1, dtype=np.uint8)
    filled = offsets[1:] > offsets[:-1]
    first[filled] = data[offsets[:-1][filled] - offsets[0]]
    return first


def _text_buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (one more than the strings) and the bytes they index of a string array,
    without a copy: tests on the bytes are one numpy pass (Arrow's ``match_substring`` took
    14 ms per 4096 polygons, a byte comparison 0.4 ms)."""
    _, offsets_buf, data_buf = texts.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    if data_buf is None:
        return offsets, np.zeros(0, dtype=np.uint8)
    return offsets, np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]


def with_keypoint_columns(table: pa.Table, keypoints: list[Any], counts: list[Any]) -> pa.Table:
    """``table`` with the ``keypoints`` and ``num_keypoints`` columns of its rows appended."""
    table = table.append_column(KEYPOINT_FIELDS[0], pa.array(keypoints, KEYPOINT_FIELDS[0].type))
    return table.append_column(KEYPOINT_FIELDS[1], pa.array(counts, KEYPOINT_FIELDS[1].type))
