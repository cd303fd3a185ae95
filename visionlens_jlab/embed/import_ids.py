"""The keys of a ``.npy`` file's rows (``visionlens embeddings-import FILE.npy --ids IDS``).

An ids file is text with one key a line, a CSV whose header names the key kind (comma, tab
or semicolon separated, as spreadsheets in other locales save it), a JSON list, or a 1-D
``.npy`` array (numbers, text or bytes); text is UTF-8 or, with its byte order mark, UTF-16
(what Windows PowerShell's ``>`` writes). Integers are sample ids, other keys file names,
unless ``--key`` says. A file that cannot be read is an :class:`~.base.EmbedError` naming it.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from typing import Any

import numpy as np
import pyarrow as pa

from .base import EmbedError

KEY_KINDS = ("sample_id", "image_id", "file_name")
"""The columns that name a vector's sample, in the order a file's columns are tried."""
DELIMITERS = (",", "\t", ";")
"""The separators of a CSV ids file's header, tried in this order."""


def load_npy(path: str, mmap: bool, fix: str) -> np.ndarray:
    """The array of the ``.npy`` file ``path`` (memory-mapped when ``mmap``); an
    :class:`EmbedError` for an array of Python objects (``fix`` says how to save it) or a
    file cut short."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as exc:
        # an object array (Python objects, pickled): numpy's words differ with mmap_mode
        if "allow_pickle" in str(exc) or "Python objects" in str(exc):
            raise EmbedError(f"{path} holds Python objects ({exc}): {fix}") from exc
        # numpy says "mmap length is greater than file size" or "cannot reshape"
        raise EmbedError(f"{path} could not be read as a .npy array ({exc}): it is cut short "
                         "or damaged (a copy that stopped?); write it again") from exc  # fmt: skip
    except (OSError, EOFError) as exc:
        raise EmbedError(f"{path} could not be read as a .npy array: {exc}") from exc


def read_ids(path: str, key: str | None = None) -> tuple[str, pa.Array]:
    """The key kind and keys of an ids file: a JSON list, a CSV whose header names the key
    kind, or text with one key a line (integers are sample ids, other keys file names,
    unless ``key`` says)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise EmbedError(f"no ids file at {path} ({exc.strerror}): name the file of the "
                         ".npy rows' keys with --ids") from exc  # fmt: skip
    if data.startswith(b"\x93NUMPY"):  # np.save of the ids: its values keep their type
        array = load_npy(path, False, "save the ids as numbers or strings, e.g. "
                         "np.array(ids, dtype=str)")  # fmt: skip
        if array.ndim != 1:
            raise EmbedError(f"{path} must hold a 1-D array of ids, not shape {array.shape}")
        if array.dtype.kind == "S":  # bytes (as h5py hands text back): names, decoded
            array = np.char.decode(array, "utf-8", errors="replace")
        return infer_keys(array.tolist(), key, typed=True)
    text = _decode(path, data)
    if text.lstrip().startswith("{") and path.lower().endswith(".json"):
        raise EmbedError(f"{path} is a JSON object: write the keys as a JSON list, one a row "
                         "in the rows' order, e.g. json.dump(list(ids), f)")  # fmt: skip
    if text.lstrip().startswith("["):
        try:
            values = json.loads(text)
        except ValueError as exc:
            if path.lower().endswith(".json"):
                raise EmbedError(f"{path} is not a JSON list: {exc}") from exc
            values = None  # a text file whose first name starts with '[': lines
        if isinstance(values, list):
            return infer_keys(values, key, typed=True)
    lines = text.splitlines()
    for delimiter in DELIMITERS:
        header = [h.strip() for h in next(csv.reader(lines[:1], delimiter=delimiter), [])]
        if any(h in KEY_KINDS for h in header):
            column = key if key in header else next(h for h in header if h in KEY_KINDS)
            at = header.index(column)
            rows = csv.reader(lines[1:], delimiter=delimiter)
            return infer_keys([row[at] if at < len(row) else "" for row in rows if row], column)
    return infer_keys([line.strip() for line in lines if line.strip()], key)


def _decode(path: str, data: bytes) -> str:
    """The text of an ids file: UTF-8 (a byte order mark is no key), or UTF-16 with its
    byte order mark."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EmbedError(
            f"{path} is not UTF-8 text (line {line}: {exc.reason}): save it as UTF-8 (or "
            "list the keys in a JSON file)"
        ) from exc


def infer_keys(values: list[Any], key: str | None, typed: bool = False) -> tuple[str, pa.Array]:
    """``values`` as keys of kind ``key``, or without one: sample ids when every value is
    an integer (or integer text without leading zeros), file names otherwise. ``typed`` values (a JSON list, a
    ``.npy`` array) say what they are: there a string is a name even when it is digits
    (the stem ``000000000139``), an integral float an integer; text is a sample id only
    when ``key`` says so."""

    def as_int(v: Any) -> int | None:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, str) and (not typed or key == "sample_id"):
            # zero-padded digits (COCO's stem 000000397133) are names unless key says ids
            digits = r"[0-9]+" if key == "sample_id" else r"(?:0|[1-9][0-9]*)"
            if re.fullmatch(rf"\s*[+-]?{digits}\s*", v):
                return int(v)
        return None

    if typed and key != "sample_id":  # integral floats as integers, for image ids too
        values = [as_int(v) if isinstance(v, float) and v.is_integer() else v for v in values]

    if key in (None, "sample_id"):
        ints = [as_int(v) for v in values]
        if all(i is not None for i in ints):
            return "sample_id", pa.array(ints, pa.int64())
        if key == "sample_id":
            bad = next(v for v, i in zip(values, ints, strict=True) if i is None)
            raise EmbedError(f"sample ids must be integers, not {bad!r}")
    return key or "file_name", pa.array([str(v) for v in values], pa.string())
