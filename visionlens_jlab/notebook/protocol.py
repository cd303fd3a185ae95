"""The VisionLens comm protocol, version 1 (see docs/notebook-bridge.md).

Every message is a JSON object ``{"v": 1, "type": ..., "id": ...}`` plus the fields of its
type; id sets travel in ``buffers[0]`` as little-endian int64 (sorted, unique), never as JSON
lists. ``id`` is unique per sender; an answer names the message it answers in ``reply_to``.

The message types and their fields are described once, in ``comm_messages.json`` (shipped
with the package): the TypedDicts below and the TypeScript types of the lab extension
(``src/features/bridge/protocol.ts``) are checked against it by tests on both sides, and every message
sent or received here is validated against it at run time.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any, Literal, TypedDict, cast

import numpy as np

from ..int_unique import unique_ints

VERSION = 1
TARGET = "visionlens"

DESCRIPTION: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("comm_messages.json").read_text(encoding="utf-8")
)
"""``comm_messages.json``: the envelope and, per sender, each message type's fields."""


class _Envelope(TypedDict):
    v: int
    id: str


class _Reply(TypedDict, total=False):
    reply_to: str | None


# kernel → frontend


class KernelHello(_Envelope, _Reply):
    """Comm open data; also the answer to a frontend ``hello`` with ``resume``."""

    type: Literal["hello"]
    session: str
    dataset: str
    open: bool


class Select(_Envelope, _Reply):
    """Set the panels' selection to the ids in ``buffers[0]``."""

    type: Literal["select"]
    dataset: str
    count: int


class Filter(_Envelope, _Reply):
    """Set the panels' filter (``None`` clears it)."""

    type: Literal["filter"]
    dataset: str
    filter: dict[str, Any] | None


class _RequestParams(TypedDict, total=False):
    params: dict[str, Any]


class Request(_Envelope, _Reply, _RequestParams):
    """``open`` the grid on ``params["dataset"]``, or resend the ``state``."""

    type: Literal["request"]
    method: Literal["open", "state"]


class KernelError(_Envelope, _Reply):
    """A frontend message the kernel could not apply."""

    type: Literal["error"]
    message: str


# frontend → kernel


class _FrontendHelloFields(TypedDict, total=False):
    frontend: str
    shown: str | None
    resume: bool


class FrontendHello(_Envelope, _Reply, _FrontendHelloFields):
    """The answer to the kernel's hello, or ``resume`` after a page reload."""

    type: Literal["hello"]


class _SelectionFields(TypedDict, total=False):
    count: int
    filter: dict[str, Any]


class Selection(_Envelope, _Reply, _SelectionFields):
    """The panels' selection: ``ids`` (``count`` + buffer) or ``all`` matching ``filter``."""

    type: Literal["selection"]
    dataset: str | None
    origin: Literal["panels"]
    mode: Literal["ids", "all"]


class View(_Envelope, _Reply):
    """The dataset the panels show and its filter."""

    type: Literal["view"]
    dataset: str | None
    filter: dict[str, Any]


class Response(_Envelope, _Reply):
    """The answer to a ``request``."""

    type: Literal["response"]
    result: dict[str, Any]


class FrontendError(_Envelope, _Reply):
    """A kernel message the frontend could not apply."""

    type: Literal["error"]
    message: str


KernelMessage = KernelHello | Select | Filter | Request | KernelError
FrontendMessage = FrontendHello | Selection | View | Response | FrontendError
KernelType = Literal["hello", "select", "filter", "request", "error"]

KERNEL_MESSAGES: dict[str, type] = {
    "hello": KernelHello,
    "select": Select,
    "filter": Filter,
    "request": Request,
    "error": KernelError,
}
FRONTEND_MESSAGES: dict[str, type] = {
    "hello": FrontendHello,
    "selection": Selection,
    "view": View,
    "response": Response,
    "error": FrontendError,
}

_ids = itertools.count(1)

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "null": (type(None),),
}


class ProtocolError(ValueError):
    """A message that does not follow the protocol."""


def _problem(data: Mapping[str, Any], spec: Mapping[str, Any], what: str) -> str | None:
    """Why ``data`` does not have the fields of ``spec`` (``None`` when it does)."""
    for name, field in spec.items():
        if name not in data:
            if field.get("required", True):
                return f"{what} needs the field {name!r}"
            continue
        value = data[name]
        kinds = field["type"] if isinstance(field["type"], list) else [field["type"]]
        ok = any(
            isinstance(value, _JSON_TYPES[k]) and not (k != "boolean" and isinstance(value, bool))
            for k in kinds
        )
        if not ok:
            return f"{what}: {name!r} must be {' or '.join(kinds)}, not {type(value).__name__}"
        if "enum" in field and value not in field["enum"]:
            return f"{what}: {name!r} must be one of {field['enum']}, not {value!r}"
    return None


def _validate(data: Any, sender: Literal["kernel", "frontend"]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError("a message must be a JSON object")
    if data.get("v") != VERSION:
        raise ProtocolError(
            f"protocol version {data.get('v')!r} is not supported (this kernel speaks "
            f"{VERSION}); update visionlens_jlab so the kernel and JupyterLab match"
        )
    kind = data.get("type")
    messages = DESCRIPTION[sender]
    if kind not in messages:
        raise ProtocolError(f"unknown message type {kind!r}")
    problem = _problem(data, DESCRIPTION["envelope"], "a message") or _problem(
        data, messages[kind]["fields"], f"a {kind!r} message"
    )
    if problem:
        raise ProtocolError(problem)
    return data


def message(kind: KernelType, **fields: Any) -> KernelMessage:
    """A new kernel → frontend message of type ``kind`` with a fresh ``id`` (validated)."""
    if kind not in KERNEL_MESSAGES:
        raise ProtocolError(f"not a kernel message type: {kind!r}")
    data = {"v": VERSION, "type": kind, "id": f"k{next(_ids)}", **fields}
    return cast(KernelMessage, _validate(data, "kernel"))


def check(data: Any) -> FrontendMessage:
    """Validate a message received from the frontend (envelope and fields); return it."""
    return cast(FrontendMessage, _validate(data, "frontend"))


def encode_ids(ids: Iterable[int] | np.ndarray) -> tuple[np.ndarray, bytes]:
    """Sorted unique int64 ids and their little-endian bytes for ``buffers[0]``."""
    values = list(ids) if isinstance(ids, set | frozenset) else ids
    array = unique_ints(np.asarray(values, dtype=np.int64).ravel())
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
