"""Model-job messages as JSON: how a kernel (the ``kernel`` runner) sends results to the server.

One message of :mod:`.stream` per request body, ``{"type", ...}``: ``meta``, ``stages`` and
``done`` carry ``info``; ``boxes``, ``captions``, ``labels`` and ``answers`` carry ``ids``, ``results`` and
``failed``. The rows are short tuples of numbers and strings, so JSON keeps them exact
(Python writes a float's shortest round-tripping form): the server writes what the process
runner would. The work list travels the other way as ``{"items": [[sample_id, location,
width, height], ...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .base import PredictError, WorkItem

RESULT_KINDS = ("boxes", "captions", "labels", "answers")
ROW_LENGTH = {"boxes": 7, "labels": 4}


def encode_message(message: tuple[Any, ...]) -> bytes:
    """A message of :mod:`.stream` as a JSON body."""
    kind = message[0]
    if kind in RESULT_KINDS:
        _, ids, results, failed = message
        body: dict[str, Any] = {
            "type": kind,
            "ids": [int(i) for i in ids],
            "results": [r if isinstance(r, str) else list(r) for r in results],
            "failed": [[int(i), str(reason)] for i, reason in failed],
        }
    else:
        body = {"type": kind, "info": message[1]}
    return json.dumps(body).encode()


def decode_message(body: bytes) -> tuple[Any, ...]:
    """The message in a JSON body; :class:`PredictError` (a bad request) when it is not one."""
    try:
        data = json.loads(body)
        kind = data["type"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PredictError(f"not a model-job message (JSON with a 'type'): {exc}") from exc
    if kind in ("meta", "stages", "done"):
        if not isinstance(data.get("info"), dict):
            raise PredictError(f"a {kind} message needs an 'info' object")
        return (kind, data["info"])
    if kind not in RESULT_KINDS:
        raise PredictError(f"unknown model-job message type {kind!r}")
    try:
        ids = [int(i) for i in data["ids"]]
        failed = [(int(i), str(reason)) for i, reason in data["failed"]]
        results = [_row(kind, r) for r in data["results"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise PredictError(f"a malformed {kind} message: {exc}") from exc
    return (kind, ids, results, failed)


def _row(kind: str, row: Any) -> Any:
    if kind == "captions":
        if not isinstance(row, str):
            raise ValueError("a caption must be a string")
        return row
    if kind == "answers":
        if not isinstance(row, list) or not all(isinstance(a, str) for a in row):
            raise ValueError("answers must be a list of strings")
        return list(row)
    if not isinstance(row, list) or len(row) != ROW_LENGTH[kind]:
        raise ValueError(f"a {kind} row has {ROW_LENGTH[kind]} values")
    if kind == "boxes":
        return (int(row[0]), str(row[1]), *(float(v) for v in row[2:]))
    return (int(row[0]), str(row[1]), float(row[2]), str(row[3]))


def encode_items(items: Sequence[WorkItem]) -> bytes:
    """The work list as a JSON body: each item ``[sample_id, location, width, height]``."""
    rows = [[int(i.sample_id), str(i.location), int(i.width), int(i.height)] for i in items]
    return json.dumps({"items": rows}).encode()


def decode_items(body: bytes) -> list[WorkItem]:
    """The work list back from its JSON body."""
    return [
        WorkItem(int(i), str(loc), int(w), int(h)) for i, loc, w, h in json.loads(body)["items"]
    ]
