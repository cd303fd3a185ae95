"""YOLO detection and segmentation rows, formatted with numpy and orjson: one batch's
coordinates normalised in numpy (the same IEEE operations, in the same order, as the SQL of
:mod:`.yolo` does them) and turned to text by one ``orjson.dumps`` of the whole array.

700K polygon rows are ~11M float-to-text conversions: orjson writes the shortest text that
reads back to the same float, as Python's ``repr`` and DuckDB's DOUBLE to VARCHAR do, about
5x faster than DuckDB's per-value casts and string concatenation (which took most of a 100K
YOLO export's CPU). Its notation differs outside [1e-4, 1e16) (``0.00001`` where ``repr``
writes ``1e-05``): such a value, or a non-finite one, is written with ``repr`` (rare: a
coordinate within 1e-4 of the image's edge). The rows of a batch are assembled in numpy too
(the class ids inserted, the newlines set) into one buffer whose slices are the label files.
"""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc


def rows_text(
    table: pa.Table,
    big_w: np.ndarray,
    big_h: np.ndarray,
    class_names: list[str],
    polygons: pa.ListArray | None,
) -> tuple[bytes, np.ndarray]:
    """Every object's YOLO row (class id, then its values, then a newline), laid end to end
    in the rows' order, and where each row begins (``bounds[k]:bounds[k + 1]`` is row k; a
    sample's consecutive rows are one slice: its label file). ``table``: label, x, y, w, h;
    ``big_w``, ``big_h``: each row's image size; ``polygons``: the flattened polygon of each
    row (null: none), for the segmentation task (a row with fewer than 6 values is written
    as its box's corners), or None for detection (centre and size). Built in numpy: no
    Python step per row."""
    n = table.num_rows
    x, y, w, h = (table.column(c).to_numpy() for c in ("x", "y", "w", "h"))
    if polygons is None:
        values = np.column_stack(((x + w / 2) / big_w, (y + h / 2) / big_h, w / big_w, h / big_h))
        flat, offsets = values.ravel(), np.arange(0, 4 * n + 1, 4)
    else:
        flat, offsets = _segment_values(x, y, w, h, big_w, big_h, polygons)
    text, ends = _shortest(flat)
    # row k's values end at the end of value offsets[k + 1] - 1, where the separator after
    # it becomes the row's newline; the next row begins right after
    stops = ends[offsets[1:] - 1]
    lines = np.frombuffer(text + b" ", np.uint8).copy()
    lines[stops] = ord("\n")
    begins = np.concatenate(([0], stops[:-1] + 1))
    ids = pc.index_in(table.column("label"), value_set=pa.array(class_names))
    return _prefixed(lines, begins, ids.to_numpy(zero_copy_only=False), len(class_names))


def _prefixed(
    lines: np.ndarray, begins: np.ndarray, ids: np.ndarray, classes: int
) -> tuple[bytes, np.ndarray]:
    """``lines`` with each row's class id and a space inserted where it begins, and the
    rows' new beginnings (plus the end)."""
    prefixes = [f"{i} ".encode() for i in range(classes)]
    table = np.frombuffer(b"".join(prefixes), np.uint8)
    sizes = np.array([len(p) for p in prefixes], np.int64)
    where = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    lengths = sizes[ids]
    ahead = np.cumsum(lengths) - lengths  # prefix bytes inserted before row k's own
    owner = np.repeat(np.arange(len(ids)), lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(ahead, lengths)
    out = np.insert(lines, np.repeat(begins, lengths), table[where[ids][owner] + within])
    return out.tobytes(), np.append(begins + ahead, len(out))


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
    text = orjson.dumps(np.where(odd, 0.0, values), option=orjson.OPT_SERIALIZE_NUMPY)
    text = text[1:-1].replace(b",", b" ")
    ends = np.append(np.flatnonzero(np.frombuffer(text, np.uint8) == ord(" ")), len(text))
    if odd.any():  # rare: those values' texts (a 0.0 placeholder) replaced by repr's
        return _spliced(text, ends, values, np.flatnonzero(odd))
    return text, ends


def _spliced(
    text: bytes, ends: np.ndarray, values: np.ndarray, odd: np.ndarray
) -> tuple[bytes, np.ndarray]:
    """``text`` with the values at the indices ``odd`` written by ``repr``, and the new ends."""
    starts = np.concatenate(([0], ends[:-1] + 1))
    tokens = [repr(v).encode() for v in values[odd].tolist()]
    pieces, prev = [], 0
    for index, token in zip(odd.tolist(), tokens, strict=True):
        pieces += [text[prev : starts[index]], token]
        prev = int(ends[index])
    pieces.append(text[prev:])
    grown = np.zeros(len(values), np.int64)
    grown[odd] = np.array([len(t) for t in tokens]) - (ends[odd] - starts[odd])
    return b"".join(pieces), ends + np.cumsum(grown)
