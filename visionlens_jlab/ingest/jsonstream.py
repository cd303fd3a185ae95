"""Stream the top-level arrays of a large JSON object file with ijson, in any order.

COCO files put ``images``, ``annotations`` and ``categories`` in any order (the official
val2014 file has annotations first and categories last), but labels and image indices are
needed before annotations can be written. ``ijson.items(f, "annotations.item")`` would
tokenize the whole file once per array; instead one fast byte scan (``mmap.find``, C speed)
finds where each top-level key's value starts, and ijson parses each array from that offset
only, stopping at the "trailing garbage" right after the array's closing bracket. So every
byte is tokenized once, and arrays can be read in the order the parser needs them.

The scan is exact when a key occurs once in the file: ``"annotations"`` followed by ``:``
cannot occur inside a JSON string (its quotes would have to be escaped), so a single match
is the key itself. When a key occurs more than once (nested objects with the same key), the
reader falls back to ``ijson.items`` with the top-level prefix, which is always correct.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ijson

from .report import IngestError

_AFTER_KEY = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*")
_BOM = b"\xef\xbb\xbf"


@dataclass
class JsonLayout:
    """Where the top-level values of interest start in a JSON file."""

    path: str
    kind: str  # "object", "array" or "empty"
    start: int = 0  # byte offset of the first non-blank character (after a BOM)
    offsets: dict[str, int] = field(default_factory=dict)  # key -> offset of its value
    first_chars: dict[str, str] = field(default_factory=dict)  # key -> "[", "{", ...
    ambiguous: set[str] = field(default_factory=set)  # keys that occur more than once


def scan_layout(path: str, keys: tuple[str, ...]) -> JsonLayout:
    """Find the top-level kind of ``path`` and where each of ``keys`` has its value."""
    try:
        with open(path, "rb") as f:
            try:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # empty file
                return JsonLayout(path, "empty")
            with mm:
                return _scan(mm, path, keys)
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _scan(mm: mmap.mmap, path: str, keys: tuple[str, ...]) -> JsonLayout:
    start = 3 if mm[:3] == _BOM else 0
    head = mm[start : start + 4096].lstrip()
    if not head:
        return JsonLayout(path, "empty")
    start = start + (len(mm[start : start + 4096]) - len(head))
    first = head[:1]
    kind = "object" if first == b"{" else "array" if first == b"[" else "other"
    layout = JsonLayout(path, kind, start)
    if kind != "object":
        return layout
    for key in keys:
        needle = b'"' + key.encode() + b'"'
        pos = mm.find(needle, start)
        while pos >= 0:
            m = _AFTER_KEY.match(mm, pos + len(needle))
            if m is not None:  # a key (a string value is never followed by ':')
                if key in layout.offsets:
                    layout.ambiguous.add(key)
                    break
                layout.offsets[key] = m.end()
                layout.first_chars[key] = mm[m.end() : m.end() + 1].decode("latin-1")
            pos = mm.find(needle, pos + 1)
    return layout


def iter_array(layout: JsonLayout, key: str | None) -> Iterator[Any]:
    """Yield the elements of top-level array ``key`` (``None``: the top-level array itself).

    Raises :class:`IngestError` when the JSON is invalid or truncated inside the array.
    """
    with open(layout.path, "rb") as f:
        if key is None:
            f.seek(layout.start)
            yield from _items(f, "item", layout.path, allow_trailing=False)
        elif key in layout.ambiguous:
            f.seek(layout.start)
            yield from _items(f, f"{key}.item", layout.path, allow_trailing=False)
        else:
            f.seek(layout.offsets[key])
            yield from _items(f, "item", layout.path, allow_trailing=True)


def read_value(layout: JsonLayout, key: str) -> Any:
    """The whole value of top-level ``key`` (only for small values such as ``categories``)."""
    with open(layout.path, "rb") as f:
        if key in layout.ambiguous:
            f.seek(layout.start)
            for value in _items(f, key, layout.path, allow_trailing=False):
                return value
            return None
        f.seek(layout.offsets[key])
        for value in _items(f, "", layout.path, allow_trailing=True):
            return value
    return None


def _items(f: Any, prefix: str, path: str, *, allow_trailing: bool) -> Iterator[Any]:
    try:
        yield from ijson.items(f, prefix, use_float=True)
    except ijson.IncompleteJSONError as exc:
        message = str(exc)
        if allow_trailing and "trailing garbage" in message:
            return
        first = message.splitlines()[0] if message else "invalid JSON"
        raise IngestError(
            f"{path} is not valid JSON ({first}); the file may be truncated or damaged"
        ) from exc
    except (ijson.JSONError, ValueError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path} is not valid JSON ({exc})") from exc
