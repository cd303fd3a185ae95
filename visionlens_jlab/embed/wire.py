"""Embedding messages as Arrow IPC: how a kernel sends its vectors to the server.

One message per request body: a table of ``sample_id`` (int64) and ``vector``
(fixed-size list of float32), with the message kind, its JSON details and the failed
samples in the schema metadata under ``visionlens``. ``meta``, ``stages`` and ``done`` carry no rows.
The work list travels the other way as a table of ``sample_id`` and ``location``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from .base import EmbedError

ARROW_STREAM = "application/vnd.apache.arrow.stream"
MAX_DIM = 65536


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encode_message(message: tuple[Any, ...]) -> bytes:
    """An embedding message (see :mod:`visionlens_jlab.embed.stream`) as Arrow IPC bytes."""
    kind = message[0]
    if kind == "vectors":
        _, ids, vectors, failed = message
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim)
        meta = {"type": kind, "failed": [[int(i), str(r)] for i, r in failed]}
        table = pa.table({"sample_id": pa.array(ids, pa.int64()), "vector": column})
    else:
        meta = {"type": kind, "info": message[1]}
        table = pa.table({"sample_id": pa.array([], pa.int64())})
    return _ipc(table.replace_schema_metadata({"visionlens": json.dumps(meta)}))


def decode_message(body: bytes) -> tuple[Any, ...]:
    """The message in an Arrow IPC body; :class:`EmbedError` when it is not one."""
    try:
        table = pa.ipc.open_stream(body).read_all()
        meta = json.loads((table.schema.metadata or {})[b"visionlens"])
        kind = meta["type"]
    except (pa.ArrowInvalid, KeyError, ValueError, TypeError) as exc:
        raise EmbedError(
            f"not an embedding message (Arrow IPC with visionlens metadata): {exc}"
        ) from exc
    if kind in ("meta", "stages", "done"):
        if not isinstance(meta.get("info"), dict):
            raise EmbedError(f"a {kind} message needs an 'info' object")
        return (kind, meta["info"])
    if kind != "vectors":
        raise EmbedError(f"unknown embedding message type {kind!r}")
    ids = table.column("sample_id").to_numpy().astype(np.int64, copy=False)
    if "vector" not in table.column_names or not pa.types.is_fixed_size_list(
        table.schema.field("vector").type
    ):
        raise EmbedError("a vectors message needs a fixed-size list column 'vector'")
    dim = table.schema.field("vector").type.list_size
    if not 1 <= dim <= MAX_DIM:
        raise EmbedError(f"vector dimension {dim} out of range")
    flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    vectors = np.asarray(flat, dtype=np.float32).reshape(len(ids), dim)
    failed = [(int(i), str(r)) for i, r in meta.get("failed", [])]
    return ("vectors", ids, vectors, failed)


def encode_items(items: Sequence[tuple[int, str]]) -> bytes:
    """The work list ``(sample_id, location)`` as Arrow IPC bytes."""
    table = pa.table(
        {
            "sample_id": pa.array([i for i, _ in items], pa.int64()),
            "location": pa.array([loc for _, loc in items], pa.string()),
        }
    )
    return _ipc(table)


def decode_items(body: bytes) -> list[tuple[int, str]]:
    """The work list back from Arrow IPC bytes."""
    table = pa.ipc.open_stream(body).read_all()
    return list(
        zip(
            table.column("sample_id").to_pylist(), table.column("location").to_pylist(), strict=True
        )
    )
