"""The files ``visionlens embeddings-import`` reads, as a stream of ``(keys, vectors)`` chunks.

Parquet and Arrow IPC files hold a ``vector`` column (a list or fixed-size list of floats;
``embedding`` or ``embeddings`` when there is no ``vector``, as FiftyOne, Lightly and
Hugging Face ``datasets`` name it) beside one key column, ``sample_id``, ``image_id`` or
``file_name`` (other names chosen by :class:`Columns`); they are read one record batch at a
time. Lightly's ``embeddings.csv`` (``filenames``, ``embedding_0`` ..., ``labels``) is read
in blocks too (:mod:`.import_lightly`). A folder of Parquet files (as
Spark, pyarrow or Dask write one, partitioned by ``key=value`` folders or not) is read as one
file. A ``.npy`` file (a 2-D float array, memory-mapped and read in row chunks)
takes its keys from an ids file: text (one key a line), CSV (a header naming the key kind)
or JSON (a list). Nothing here looks at the catalog: :mod:`.imported` matches the keys.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .base import EmbedError

KEY_KINDS = ("sample_id", "image_id", "file_name")
"""The columns that name a vector's sample, in the order a file's columns are tried."""
VECTOR_COLUMN = "vector"
VECTOR_ALIASES = ("embedding", "embeddings")
"""What other tools call the vector column: read as it when the file has no ``vector``."""
CHUNK_ROWS = 8192
"""Rows per chunk: ~16 MB of 512-d float32 vectors at a time, whatever the file's size."""
ARROW_SUFFIXES = (".arrow", ".feather", ".ipc")
"""Names of Arrow IPC files in a folder of embeddings (file or stream format)."""


@dataclass
class Chunk:
    """One chunk of a file: its keys (a string or integer array) and its vectors (an Arrow
    list array, any lengths, nulls allowed: the importer checks them)."""

    keys: pa.Array
    vectors: pa.Array


@dataclass(frozen=True)
class Columns:
    """Which columns of a Parquet or Arrow file hold the vectors and the keys: ``vector``
    and the first of :data:`KEY_KINDS` there unless named (a named key column's kind is
    the ``key`` given, or for a text column ``file_name``)."""

    vector: str = VECTOR_COLUMN
    key: str | None = None


@dataclass
class Source:
    """An opened embeddings file: the key kind and its chunks (read lazily)."""

    key: str
    chunks: Iterator[Chunk]
    rows: int | None
    """The row count when the file says it (for progress), else None."""


def open_source(
    path: str, ids: str | None = None, key: str | None = None, columns: Columns = Columns()
) -> Source:
    """The :class:`Source` of ``path`` (Parquet, Arrow IPC file or stream, a folder of
    Parquet files, or ``.npy`` with the ``ids`` file); ``key`` forces the key kind,
    ``columns`` names the columns. Raises :class:`EmbedError` naming what is missing (no key
    column, no vector column, a ``.npy`` without ids)."""
    if key is not None and key not in KEY_KINDS:
        raise EmbedError(f"unknown key kind {key!r}: use {', '.join(KEY_KINDS)}")
    if os.path.isdir(path):
        return _folder(path, key, columns)
    if not os.path.isfile(path):
        raise EmbedError(f"no embeddings file at {path}")
    with open(path, "rb") as f:
        head = f.read(16)
    magic = head[:6]
    if magic.startswith(b"PK\x03\x04"):
        raise EmbedError(f"{path} is a zip (an .npz?): save the array itself with np.save "
                         "as a .npy file, its row keys in an --ids file")  # fmt: skip
    if magic.startswith(b"\x93NUMPY"):
        if columns != Columns():
            raise EmbedError("--vector-column and --id-column go with Parquet and Arrow "
                             "files: a .npy file's rows are its vectors, --ids its keys")  # fmt: skip
        return _npy(path, ids, key)
    if ids is not None:
        raise EmbedError("--ids goes with a .npy file; Parquet and Arrow files hold their keys")
    if path.lower().endswith(".csv") or head.removeprefix(b"\xef\xbb\xbf").startswith(b"filename"):
        from .import_lightly import open_lightly_csv

        if columns != Columns():
            raise EmbedError("--vector-column and --id-column go with Parquet and Arrow "
                             "files: Lightly's CSV names its columns itself")  # fmt: skip
        return open_lightly_csv(path)
    if magic.startswith(b"PAR1"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        kind, name, vector = _key_column(pf.schema_arrow, key, path, columns)
        batches = pf.iter_batches(batch_size=CHUNK_ROWS, columns=[name, vector])
        return Source(kind, _chunks(batches, name, vector), pf.metadata.num_rows)
    return _arrow(path, magic, key, columns)


def _folder(path: str, key: str | None, columns: Columns) -> Source:
    """A folder of Parquet files (``part-0.parquet``, ``year=2024/part-0.parquet``, Spark's
    ``_SUCCESS`` and ``.crc`` files beside them) read as one dataset; else a folder of Arrow
    files (Hugging Face ``datasets``' ``save_to_disk``: ``data-00000-of-00002.arrow`` beside
    its JSON files), read one after the other in the order of their names."""
    import pyarrow.dataset as ds

    found = sorted(os.path.relpath(os.path.join(top, f), path)
                   for top, _, files in os.walk(path) for f in files)  # fmt: skip
    if not any(f.endswith((".parquet", ".parq")) for f in found):
        arrows = [f for f in found if f.endswith(ARROW_SUFFIXES)]
        if arrows:
            return _arrow_folder(path, arrows, key, columns)
        listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise EmbedError(
            f"{path} is a folder without .parquet or .arrow files (it holds: "
            f"{listed or 'nothing'}): name one Parquet, Arrow or .npy file, or a folder of "
            "Parquet or Arrow files"
        )
    try:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
    except (pa.ArrowException, OSError) as exc:
        raise EmbedError(f"{path} could not be read as a folder of Parquet files: {exc}") from exc
    kind, name, vector = _key_column(dataset.schema, key, path, columns)
    scanner = dataset.scanner(columns=[name, vector], batch_size=CHUNK_ROWS)
    return Source(kind, _chunks(scanner.to_batches(), name, vector), dataset.count_rows())


def _arrow_folder(path: str, names: list[str], key: str | None, columns: Columns) -> Source:
    """The Arrow files ``names`` of the folder ``path`` as one source (one key kind)."""
    parts = []
    for name in names:
        file = os.path.join(path, name)
        with open(file, "rb") as f:
            parts.append(_arrow(file, f.read(6), key, columns))
    kinds = {part.key for part in parts}
    if len(kinds) > 1:
        raise EmbedError(f"the Arrow files of {path} key their rows differently: "
                         f"{', '.join(sorted(kinds))}; name the column with --id-column")  # fmt: skip
    counted = [part.rows for part in parts]
    rows = None if None in counted else sum(r or 0 for r in counted)
    return Source(parts[0].key, itertools.chain.from_iterable(p.chunks for p in parts), rows)


def _arrow(path: str, magic: bytes, key: str | None, columns: Columns) -> Source:
    try:
        if magic == b"ARROW1":
            reader: Any = pa.ipc.open_file(pa.memory_map(path))
            schema, rows = (
                reader.schema,
                sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches)),
            )
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            reader = pa.ipc.open_stream(pa.memory_map(path))
            schema, rows, batches = reader.schema, None, iter(reader)
    except pa.ArrowInvalid as exc:
        raise EmbedError(
            f"{path} is neither Parquet, Arrow IPC, .npy nor Lightly's embeddings CSV (it "
            f"starts {magic!r}): write the vectors as Parquet, a 'vector' column beside "
            "a sample_id, image_id or file_name column"
        ) from exc
    kind, name, vector = _key_column(schema, key, path, columns)
    return Source(kind, _chunks(batches, name, vector), rows)


def _key_column(
    schema: pa.Schema, key: str | None, path: str, columns: Columns
) -> tuple[str, str, str]:
    """The key kind, the key column's name and the vector column's (checked)."""
    names, vector = set(schema.names), columns.vector
    listed = ", ".join(schema.names)
    if vector == VECTOR_COLUMN and vector not in names:
        aliases = [a for a in VECTOR_ALIASES if a in names]
        if len(aliases) > 1:
            raise EmbedError(f"{path} has both {' and '.join(map(repr, aliases))} columns and "
                             "no 'vector': name the vectors' with --vector-column")  # fmt: skip
        vector = aliases[0] if aliases else vector
    if vector not in names:
        hint = "" if vector != VECTOR_COLUMN else (
            "; name another with --vector-column (read without it: 'vector', 'embedding' "
            "or 'embeddings')")  # fmt: skip
        raise EmbedError(f"{path} has no {vector!r} column (its columns: {listed}){hint}")
    kind = schema.field(vector).type
    is_list = pa.types.is_list(kind) or pa.types.is_large_list(kind)
    if not (is_list or pa.types.is_fixed_size_list(kind)) or not (
        pa.types.is_floating(kind.value_type) or pa.types.is_integer(kind.value_type)
    ):
        raise EmbedError(f"the {vector!r} column of {path} must be a list of floats, not "
                         f"{kind}: write each vector as numbers (a list or array a row), "
                         "not as text or bytes")  # fmt: skip
    if columns.key is not None:
        if columns.key not in names:
            raise EmbedError(f"{path} has no {columns.key!r} column (its columns: {listed})")
        keys = schema.field(columns.key).type
        if pa.types.is_dictionary(keys):
            keys = keys.value_type
        if key is None and not (pa.types.is_string(keys) or pa.types.is_large_string(keys)):
            raise EmbedError(f"say what the {columns.key!r} column holds: --key sample_id "
                             "or --key image_id (a text column is file names)")  # fmt: skip
        return key or "file_name", columns.key, vector
    found = [k for k in KEY_KINDS if k in names and (key is None or k == key)]
    if not found:
        raise EmbedError(
            f"{path} has no key column: add one of {', '.join(KEY_KINDS)} beside "
            f"{vector!r}, or name yours with --id-column (its columns: {listed})"
        )
    return found[0], found[0], vector


def _chunks(batches: Any, key: str, vector: str) -> Iterator[Chunk]:
    for batch in batches:
        if batch.num_rows:
            yield Chunk(batch.column(key), batch.column(vector))


def _npy(path: str, ids: str | None, key: str | None) -> Source:
    if ids is None:
        raise EmbedError("a .npy file holds no keys: name its ids file with --ids")
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:  # an object array: Python objects, pickled
        raise EmbedError(
            f"{path} holds Python objects ({exc}): save a 2-D float array, "
            "e.g. np.save(path, np.stack(vectors).astype(np.float32))"
        ) from exc
    real = np.issubdtype(matrix.dtype, np.floating) or np.issubdtype(matrix.dtype, np.integer)
    if matrix.ndim != 2 or not real:
        fix = ("save m.reshape(1, -1) for one vector" if matrix.ndim == 1
               else "pool or flatten each sample's vectors to one first"
               if real else "save the vectors as float32")  # fmt: skip
        raise EmbedError(f"{path} must hold a 2-D array of floats, not {matrix.dtype} of "
                         f"shape {matrix.shape}, one row a vector: {fix}")  # fmt: skip
    kind, keys = read_ids(ids, key)
    if len(keys) != len(matrix):
        hint = ""
        if len(keys) == len(matrix) + 1:  # a header line not naming a key kind
            hint = (f"; if its first line {keys[0].as_py()!r} is a header, name the column "
                    "sample_id, image_id or file_name (or drop the line)")  # fmt: skip
        raise EmbedError(f"{ids} has {len(keys)} keys for the {len(matrix)} rows of {path}{hint}")

    def chunks() -> Iterator[Chunk]:
        dim = matrix.shape[1]
        for start in range(0, len(matrix), CHUNK_ROWS):
            rows = np.ascontiguousarray(matrix[start : start + CHUNK_ROWS], dtype=np.float32)
            vectors = pa.FixedSizeListArray.from_arrays(pa.array(rows.reshape(-1)), dim)
            yield Chunk(keys[start : start + len(rows)], vectors)

    return Source(kind, chunks(), len(matrix))


def read_ids(path: str, key: str | None = None) -> tuple[str, pa.Array]:
    """The key kind and keys of an ids file: a JSON list, a CSV whose header names the key
    kind, or text with one key a line (integers are sample ids, other keys file names,
    unless ``key`` says)."""
    with open(path, "rb") as f:
        npy = f.read(6) == b"\x93NUMPY"
    if npy:  # np.save of the ids: its values keep their type, as JSON's do
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise EmbedError(
                f"{path} holds Python objects ({exc}): save the ids as "
                "numbers or strings, e.g. np.array(ids, dtype=str)"
            ) from exc
        if array.ndim != 1:
            raise EmbedError(f"{path} must hold a 1-D array of ids, not shape {array.shape}")
        return infer_keys(array.tolist(), key, typed=True)
    with open(path, encoding="utf-8-sig") as f:  # -sig: a byte order mark is no key
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            values = json.loads(text)
        except ValueError as exc:
            raise EmbedError(f"{path} is not a JSON list: {exc}") from exc
        return infer_keys(values, key, typed=True)
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    if header and any(h.strip() in KEY_KINDS for h in header):
        names = [h.strip() for h in header]
        column = key if key in names else next(h for h in names if h in KEY_KINDS)
        at = names.index(column)
        values = [row[at] for row in csv.reader(lines[1:]) if row]
        return infer_keys(values, column)
    return infer_keys([line.strip() for line in lines if line.strip()], key)


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
