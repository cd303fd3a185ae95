"""The VisionLens comm protocol, version 1 (see docs/notebook-bridge.md).

Every message is a JSON object ``{"v": 1, "type": ..., "id": ...}`` plus the fields of its
type; id sets travel in ``buffers[0]`` as little-endian int64 (sorted, unique), never as JSON
lists. ``id`` is unique per sender; an answer names the message it answers in ``reply_to``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

VERSION = 1
TARGET = "visionlens"

# kernel → frontend
HELLO = "hello"  # comm open: {session, dataset, open}; answered by a ``hello``
SELECT = "select"  # set the selection: {dataset, count} + ids buffer
FILTER = "filter"  # set the panels' filter: {dataset, filter}
REQUEST = "request"  # {method, params}: "open" (show the grid), "state" (resend state)
# frontend → kernel
SELECTION = "selection"  # the panels' selection: {dataset, count, origin} + ids buffer,
#                          or {dataset, filter} for "every sample matching the filter"
VIEW = "view"  # the panels' filter: {dataset, filter, shown}
RESPONSE = "response"  # {reply_to, result}
ERROR = "error"  # {reply_to?, message}

KERNEL_TYPES = frozenset({HELLO, SELECT, FILTER, REQUEST})
FRONTEND_TYPES = frozenset({HELLO, SELECTION, VIEW, RESPONSE, ERROR})
METHODS = frozenset({"open", "state"})

_ids = itertools.count(1)


class ProtocolError(ValueError):
    """A message that does not follow the protocol."""


def message(kind: str, **fields: Any) -> dict[str, Any]:
    """A new kernel → frontend message of type ``kind`` with a fresh ``id``."""
    if kind not in KERNEL_TYPES:
        raise ProtocolError(f"not a kernel message type: {kind!r}")
    return {"v": VERSION, "type": kind, "id": f"k{next(_ids)}", **fields}


def check(data: Any, allowed: frozenset[str] = FRONTEND_TYPES) -> dict[str, Any]:
    """Validate a received message's envelope; return it."""
    if not isinstance(data, dict):
        raise ProtocolError("a message must be a JSON object")
    if data.get("v") != VERSION:
        raise ProtocolError(
            f"protocol version {data.get('v')!r} is not supported (this kernel speaks "
            f"{VERSION}); update visionlens_jlab so the kernel and JupyterLab match"
        )
    if data.get("type") not in allowed:
        raise ProtocolError(f"unknown message type {data.get('type')!r}")
    return data


def encode_ids(ids: Iterable[int] | np.ndarray) -> tuple[np.ndarray, bytes]:
    """Sorted unique int64 ids and their little-endian bytes for ``buffers[0]``."""
    values = list(ids) if isinstance(ids, set | frozenset) else ids
    array = np.unique(np.asarray(values, dtype=np.int64))
    return array, array.astype("<i8", copy=False).tobytes()


def decode_ids(buffers: Sequence[Any] | None, count: Any) -> np.ndarray:
    """The int64 ids in ``buffers[0]``; checks that there are ``count`` of them."""
    if not buffers:
        if count in (0, None):
            return np.empty(0, dtype=np.int64)
        raise ProtocolError(f"{count} ids announced but no buffer came with the message")
    raw = buffers[0]
    data = bytes(raw) if not isinstance(raw, bytes | bytearray | memoryview) else raw
    if len(memoryview(data).cast("B")) % 8:
        raise ProtocolError("the ids buffer is not a whole number of int64 values")
    array = np.frombuffer(data, dtype="<i8").astype(np.int64, copy=False)
    if count is not None and count != len(array):
        raise ProtocolError(f"{count} ids announced, {len(array)} received")
    return array
