"""Binary answers about a map: points, per-point values, id lists.

Frame (``application/octet-stream``), little-endian, every array 4-byte aligned so a
browser can view it in place (``new Float32Array(buffer, offset, n)``)::

    magic (4 bytes: b"VLMP" points, b"VLMV" values) | uint32 header length H |
    header: UTF-8 JSON, space-padded to a multiple of 4 | the arrays named in the header

Points: ``x`` float32[n], ``y`` float32[n], ``index`` uint32[n] (the point's position in the
dataset's sample ids sorted ascending), in sample-id order: 12 bytes a point plus the
header. The header's ``id_ranges`` (``[[first_id, count], ...]``) give the dataset's sorted
sample ids, so ``index`` -> sample id needs no second request while ids come in a few runs
(a lone ingest numbers its samples densely); beyond ``MAX_ID_RANGES`` runs it is ``null``
and the client reads the ids from ``POST .../ids``.

Values: ``values`` float32[n] (numeric, NaN = none) or uint16[n] (categorical codes; the
legend is in the header).

Arrow IPC with the same three columns is the alternative (``format=arrow``): a few hundred
bytes more, and readable by any Arrow client.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import pyarrow as pa

from .tables import MapPoints
from .values import PointValues

POINTS_MAGIC = b"VLMP"
VALUES_MAGIC = b"VLMV"
MAX_ID_RANGES = 65_536


def id_ranges(sorted_ids: np.ndarray) -> list[list[int]] | None:
    """Runs of consecutive ids as ``[[first, count], ...]``, or ``None`` if too many."""
    ids = np.asarray(sorted_ids, dtype=np.int64)
    if len(ids) == 0:
        return []
    starts = np.flatnonzero(np.diff(ids) != 1) + 1
    if len(starts) + 1 > MAX_ID_RANGES:
        return None
    firsts = np.concatenate([[0], starts])
    counts = np.diff(np.concatenate([firsts, [len(ids)]]))
    return [[int(ids[f]), int(c)] for f, c in zip(firsts, counts, strict=True)]


def ids_from_ranges(ranges: list[list[int]]) -> np.ndarray:
    """The sorted ids that :func:`id_ranges` compressed (what a client does)."""
    if not ranges:
        return np.empty(0, dtype=np.int64)
    return np.concatenate([np.arange(f, f + c, dtype=np.int64) for f, c in ranges])


def point_index(points: MapPoints, dataset_ids: np.ndarray) -> np.ndarray:
    """Each point's position in the dataset's sorted sample ids, as uint32."""
    index = np.searchsorted(dataset_ids, points.sample_ids)
    if len(index) and (
        int(index.max()) >= len(dataset_ids)
        or not np.array_equal(dataset_ids[index], points.sample_ids)
    ):
        raise ValueError("the map holds samples that are not in the dataset any more")
    return index.astype(np.uint32)


def _frame(magic: bytes, header: dict[str, Any], arrays: list[np.ndarray]) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    parts = [magic, struct.pack("<I", len(text)), text]
    for arr in arrays:
        raw = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
        parts += [raw, b"\0" * (-len(raw) % 4)]
    return b"".join(parts)


def encode_points(header: dict[str, Any], points: MapPoints, dataset_ids: np.ndarray) -> bytes:
    """The points frame of a map; ``header`` is the map descriptor (bounds, id...)."""
    full = {
        **header,
        "points": len(points),
        "dataset_samples": len(dataset_ids),
        "id_ranges": id_ranges(dataset_ids),
        "arrays": [["x", "float32"], ["y", "float32"], ["index", "uint32"]],
    }
    return _frame(POINTS_MAGIC, full, [points.x, points.y, point_index(points, dataset_ids)])


def encode_points_arrow(points: MapPoints, dataset_ids: np.ndarray) -> bytes:
    """The same points as an Arrow IPC stream (columns x, y, index)."""
    table = pa.table({"x": points.x, "y": points.y, "index": point_index(points, dataset_ids)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def encode_values(values: PointValues) -> bytes:
    """The values frame of one field."""
    dtype = "float32" if values.kind == "numeric" else "uint16"
    header = {**values.header(), "arrays": [["values", dtype]]}
    return _frame(VALUES_MAGIC, header, [values.values.astype(dtype)])


def decode_frame(data: bytes) -> tuple[bytes, dict[str, Any], dict[str, np.ndarray]]:
    """``(magic, header, arrays)`` of a frame: what the Python clients (and tests) read."""
    if len(data) < 8:
        raise ValueError("not a VisionLens map frame: too short")
    magic = data[:4]
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + length])
    offset = 8 + length
    n = int(header["points"])
    arrays: dict[str, np.ndarray] = {}
    for name, dtype in header["arrays"]:
        dt = np.dtype(dtype).newbyteorder("<")
        size = dt.itemsize * n
        if offset + size > len(data):
            raise ValueError("truncated map frame")
        arrays[name] = np.frombuffer(data, dtype=dt, count=n, offset=offset)
        offset += size + (-size % 4)
    return magic, header, arrays


def encode_ids(ids: np.ndarray) -> bytes:
    """Sample ids as raw little-endian int64 (8 bytes an id, no header)."""
    return np.ascontiguousarray(ids, dtype="<i8").tobytes()
