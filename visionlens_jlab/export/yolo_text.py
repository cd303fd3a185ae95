"""YOLO detection and segmentation rows, formatted with numpy and orjson: one batch's
coordinates normalised in numpy (the same IEEE operations, in the same order, as the SQL of
:mod:`.yolo` does them) and turned to text by one ``orjson.dumps`` of the whole array.

700K polygon rows are ~11M float-to-text conversions: orjson writes the shortest text that
reads back to the same float, as Python's ``repr`` and DuckDB's DOUBLE to VARCHAR do, about
5x faster than DuckDB's per-value casts and string concatenation (which took most of a 100K
YOLO export's CPU). Its notation differs outside [1e-4, 1e16) (``0.00001`` where ``repr``
writes ``1e-05``): a batch holding such a value, or a non-finite one, is written with
``repr`` (rare: a coordinate within 1e-4 of the image's edge).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc


def row_texts(
    table: pa.Table,
    sizes: Mapping[int, tuple[float, float]],
    starts: dict[int, tuple[int, int]],
    class_names: list[str],
    polygons: pa.ListArray | None,
) -> list[bytes]:
    """Each object's YOLO row (class id, then its values), in the rows' order. ``table``:
    sample_id, label, x, y, w, h; ``sizes``: each sample's width and height; ``starts``:
    each sample's rows; ``polygons``: the flattened polygon of each row (null: none), for
    the segmentation task (a row with fewer than 6 values is written as its box's corners),
    or None for detection (centre and size)."""
    n = table.num_rows
    big_w, big_h = np.empty(n), np.empty(n)
    for sid, (first, last) in starts.items():
        big_w[first:last], big_h[first:last] = sizes[sid]
    x, y, w, h = (table.column(c).to_numpy() for c in ("x", "y", "w", "h"))
    if polygons is None:
        values = np.column_stack(((x + w / 2) / big_w, (y + h / 2) / big_h, w / big_w, h / big_h))
        flat, offsets = values.ravel(), np.arange(0, 4 * n + 1, 4)
    else:
        flat, offsets = _segment_values(x, y, w, h, big_w, big_h, polygons)
    ids = pc.index_in(table.column("label"), value_set=pa.array(class_names)).to_pylist()
    prefix = [str(i).encode() + b" " for i in range(len(class_names))]
    text, ends = _shortest(flat)
    # row k is the text from the end of value offsets[k] - 1 (its separator after it) to the
    # end of value offsets[k + 1] - 1
    stops = ends[offsets[1:] - 1].tolist()
    begins = [0, *(stop + 1 for stop in stops[:-1])]
    return [prefix[ids[k]] + text[begins[k] : stops[k]] for k in range(n)]


def _segment_values(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    h: np.ndarray,
    big_w: np.ndarray,
    big_h: np.ndarray,
    polygons: pa.ListArray,
) -> tuple[np.ndarray, np.ndarray]:
    """Every row's values laid end to end and each row's offsets: its polygon's points
    (x by the width, y by the height) or, without one of 3 points, its box's 4 corners."""
    n = len(x)
    corners = np.column_stack(
        (
            x / big_w, y / big_h, (x + w) / big_w, y / big_h,
            (x + w) / big_w, (y + h) / big_h, x / big_w, (y + h) / big_h,
        )
    )  # fmt: skip
    starts = polygons.offsets.to_numpy()[: n + 1].astype(np.int64)
    starts = starts - starts[0]
    lengths = np.where(polygons.is_null().to_numpy(zero_copy_only=False), 0, np.diff(starts))
    points = polygons.flatten().to_numpy(zero_copy_only=False)
    use = lengths >= 6
    counts = np.where(use, lengths, 8)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    flat = np.empty(int(offsets[-1]))
    rows = np.flatnonzero(~use)
    flat[offsets[rows][:, None] + np.arange(8)] = corners[rows]
    rows = np.flatnonzero(use)
    if rows.size:
        sizes = counts[rows]
        owner = np.repeat(np.arange(rows.size), sizes)
        within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        source = points[starts[rows][owner] + within]
        by = np.where(within % 2 == 0, big_w[rows][owner], big_h[rows][owner])
        flat[offsets[rows][owner] + within] = source / by
    return flat, offsets


def _shortest(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The values as the shortest texts that read back to them, in ``repr``'s notation,
    separated by spaces, and where each value's text ends."""
    if values.size == 0:
        return b"", np.zeros(0, np.int64)
    size = np.abs(values)
    odd = ~np.isfinite(values) | ((values != 0) & ((size < 1e-4) | (size >= 1e16)))
    if odd.any():  # rare: the batch through repr (the same text for the other values)
        tokens = [repr(v) for v in values.tolist()]
        text = " ".join(tokens).encode()
        return text, np.cumsum([len(t) + 1 for t in tokens]) - 1
    text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].replace(b",", b" ")
    spaces = np.flatnonzero(np.frombuffer(text, np.uint8) == ord(" "))
    return text, np.append(spaces, len(text))
