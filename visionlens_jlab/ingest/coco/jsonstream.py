"""Stream the top-level arrays of a large JSON object file with ijson, in any order.

COCO files put ``images``, ``annotations`` and ``categories`` in any order (the official
val2014 file has annotations first and categories last), but labels and image indices are
needed before annotations can be written. ``ijson.items(f, "annotations.item")`` would
tokenize the whole file once per array; instead one fast byte scan (C speed)
finds where each top-level key's value starts, and ijson parses each array from that offset
only, stopping at the "trailing garbage" right after the array's closing bracket. So every
byte is tokenized once, and arrays can be read in the order the parser needs them.

The scan (chunked reads; Arrow's RE2 skips the chunks without any key, Python's ``re`` finds
them in the others) is exact when a key occurs once in the file: ``"annotations"`` followed by ``:``
cannot occur inside a JSON string (its quotes would have to be escaped), so a single match
is the key itself. When a key occurs more than once (nested objects with the same key), the
reader falls back to ``ijson.items`` with the top-level prefix, which is always correct.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ijson
import pyarrow as pa
import pyarrow.compute as pc

from ...records.report import IngestError

_AFTER_KEY = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*")
_BOM = b"\xef\xbb\xbf"
_CHUNK = 8 << 20
_MAX_BLANKS = 64  # whitespace between a key and its value that the scan sees across chunks


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
    """Find the top-level kind of ``path`` and where each of ``keys`` has its value.

    Reads the file in chunks (not mmap: mapped pages would count in the peak RSS).
    """
    try:
        with open(path, "rb") as f:
            return _scan(f, path, keys)
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _scan(f: Any, path: str, keys: tuple[str, ...]) -> JsonLayout:
    head = f.read(_CHUNK)
    start = 3 if head[:3] == _BOM else 0
    stripped = head[start:].lstrip()
    if not stripped:
        return JsonLayout(path, "empty")
    start = len(head) - len(stripped)
    first = stripped[:1]
    kind = "object" if first == b"{" else "array" if first == b"[" else "other"
    layout = JsonLayout(path, kind, start)
    if kind != "object":
        return layout
    # one pattern for every key: a third of the time of one bytes.find per key (350 MB)
    pattern = '"(' + "|".join(_escaped(k) for k in keys) + ')"'
    needle = re.compile(pattern.encode())
    overlap = max(len(k.encode()) for k in keys) + 2 + _MAX_BLANKS
    buf, base = head, 0  # base: file offset of buf[0]
    while True:
        more = f.read(_CHUNK)
        eof = not more
        buf += more
        limit = len(buf) if eof else len(buf) - overlap  # matches must start before this
        found = needle.search(buf) if _may_contain(pattern, buf) else None
        while found is not None and found.start() < limit:
            key = found.group(1).decode()
            m = _AFTER_KEY.match(buf, found.end())
            if key not in layout.ambiguous and m is not None and (m.end() < len(buf) or eof):
                # a key: a string value is never followed by ':'
                offset = base + m.end()
                if key in layout.offsets and layout.offsets[key] != offset:
                    layout.ambiguous.add(key)
                else:
                    layout.offsets[key] = offset
                    layout.first_chars[key] = buf[m.end() : m.end() + 1].decode("latin-1")
            found = needle.search(buf, found.start() + 1)  # overlapping matches too
        if eof:
            return layout
        buf, base = buf[limit:], base + limit


def _escaped(key: str) -> str:
    """``key`` as a pattern that Python's ``re`` (on bytes) and RE2 read alike: every
    character as its ``\\xHH`` escape, which is a byte to ``re`` and a code point to RE2,
    hence the same character only for ASCII keys (the COCO keys are)."""
    if not key.isascii():
        raise ValueError(f"not an ASCII key: {key!r}")
    return "".join(f"\\x{b:02x}" for b in key.encode())


def _may_contain(pattern: str, buf: bytes) -> bool:
    """Whether ``pattern`` occurs in ``buf``, by Arrow's RE2 on the bytes in place: a DFA at
    ~1.5 GB/s where Python's ``re`` stops at every quote of a JSON file (``scan_layout`` of
    the 270-400 MB benchmark files: a median 0.19-0.26 s of CPU against 0.33-0.46 s, all
    before the first image is read). Its unanchored search steps over any byte, so invalid UTF-8 hides
    no key (``tests/test_ingest_jsonstream.py``)."""
    offsets = pa.py_buffer(struct.pack("<qq", 0, len(buf)))
    chunk = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(buf)])
    # its one-value answer from malloc: no mimalloc heap is started for it before the ingest
    # switches Arrow to the system allocator (``records.batches.system_allocator``)
    found = pc.match_substring_regex(chunk, pattern, memory_pool=pa.system_memory_pool())
    return bool(found[0].as_py())


class _ArrayContext:
    def __init__(self, layout: JsonLayout, key: str | None) -> None:
        self.layout, self.key = layout, key
        self.f: Any = None

    def __enter__(self) -> tuple[Iterator[Any], Callable[[BaseException], None]]:
        layout, key = self.layout, self.key
        self.f = f = open(layout.path, "rb")
        trailing = key is not None and key not in layout.ambiguous
        if key is None:
            f.seek(layout.start)
            prefix = "item"
        elif key in layout.ambiguous:
            f.seek(layout.start)
            prefix = f"{key}.item"
        else:
            f.seek(layout.offsets[key])
            prefix = "item"

        def on_error(exc: BaseException) -> None:
            _translate(exc, layout.path, allow_trailing=trailing)

        return ijson.items(f, prefix, use_float=True), on_error

    def __exit__(self, *exc: object) -> None:
        self.f.close()


def open_array(layout: JsonLayout, key: str | None) -> _ArrayContext:
    """``with open_array(layout, key) as (items, on_error)``: iterate ``items`` inside
    ``try: ... except JSON_ERRORS as exc: on_error(exc)``; ``on_error`` returns at the
    normal end of the array and raises :class:`IngestError` for invalid JSON. (Lets the hot
    loop iterate ijson directly, without a generator layer per element.)"""
    return _ArrayContext(layout, key)


def iter_array(layout: JsonLayout, key: str | None) -> Iterator[Any]:
    """Yield the elements of top-level array ``key`` (``None``: the top-level array itself).

    Raises :class:`IngestError` when the JSON is invalid or truncated inside the array.
    """
    with open_array(layout, key) as (items, on_error):
        try:
            yield from items
        except JSON_ERRORS as exc:
            on_error(exc)


def read_value(layout: JsonLayout, key: str) -> Any:
    """The whole value of top-level ``key`` (only for small values such as ``categories``)."""
    with open(layout.path, "rb") as f:
        ambiguous = key in layout.ambiguous
        f.seek(layout.start if ambiguous else layout.offsets[key])
        try:
            for value in ijson.items(f, key if ambiguous else "", use_float=True):
                return value
        except JSON_ERRORS as exc:
            _translate(exc, layout.path, allow_trailing=not ambiguous)
    return None


JSON_ERRORS = (ijson.JSONError, ValueError, UnicodeDecodeError)


def _translate(exc: BaseException, path: str, *, allow_trailing: bool) -> None:
    message = str(exc)
    if allow_trailing and "trailing garbage" in message:
        return
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = lines[0] if lines else "invalid JSON"
    # yajl's next line is the text around the error: it shows the user what to fix
    near = f" near {lines[1][-80:]!r}" if len(lines) > 1 else ""
    if re.search(r"\b(NaN|-?Infinity)\b", near):
        hint = (
            "NaN and Infinity are not JSON (Python's json.dump writes them unless "
            "allow_nan=False): replace them, e.g. by dropping the point or the object"
        )
    else:
        hint = "the file may be truncated or damaged"
    raise IngestError(f"{path} is not valid JSON ({first}{near}); {hint}") from exc
