"""The files ``visionlens embeddings-import`` reads, as a stream of ``(keys, vectors)`` chunks.

Parquet and Arrow IPC files hold a ``vector`` column (a list or fixed-size list of floats;
``embedding`` or ``embeddings`` when there is no ``vector``, as FiftyOne, Lightly and
Hugging Face ``datasets`` name it) beside one key column, ``sample_id``, ``image_id`` or
``file_name`` (other names chosen by :class:`Columns`); they are read one record batch at a
time. Lightly's ``embeddings.csv`` (``filenames``, ``embedding_0`` ..., ``labels``) is read
in blocks too (:mod:`.import_lightly`). A folder of Parquet files (as
Spark, pyarrow or Dask write one, partitioned by ``key=value`` folders or not) is read as one
file. A key column pandas kept as a ``RangeIndex`` (``df.set_index("sample_id")`` of evenly
spaced ids: in the file's pandas metadata, not its columns) is read from there. A ``.npy``
file (a 2-D float array, memory-mapped and read in row chunks) takes its keys from an ids
file (:mod:`.import_ids`). Nothing here looks at the catalog: :mod:`.imported` matches the
keys.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .base import EmbedError
from .import_ids import KEY_KINDS, load_npy, read_ids

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

        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise EmbedError(f"{path} could not be read as Parquet ({exc}): it is cut short or "
                             "damaged (a copy that stopped?); write it again") from exc  # fmt: skip
        ranges = _range_keys(pf.schema_arrow)
        kind, name, vector = _key_column(pf.schema_arrow, key, path, columns, ranges)
        read = [vector] if name in ranges else [name, vector]
        batches = pf.iter_batches(batch_size=CHUNK_ROWS, columns=read)
        return Source(kind, _chunks(batches, name, vector, ranges.get(name)), pf.metadata.num_rows)
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
        if magic == b"ARROW1":
            raise EmbedError(f"{path} could not be read as an Arrow IPC file ({exc}): it is cut "
                             "short or damaged (a copy that stopped?); write it again") from exc  # fmt: skip
        raise EmbedError(
            f"{path} is neither Parquet, Arrow IPC, .npy nor Lightly's embeddings CSV (it "
            f"starts {magic!r}): write the vectors as Parquet, a 'vector' column beside "
            "a sample_id, image_id or file_name column"
        ) from exc
    ranges = _range_keys(schema)
    kind, name, vector = _key_column(schema, key, path, columns, ranges)
    return Source(kind, _chunks(batches, name, vector, ranges.get(name)), rows)


def _range_keys(schema: pa.Schema) -> dict[str, range]:
    """The key columns pandas kept as a ``RangeIndex`` in the file's metadata instead of
    writing them (``df.set_index("sample_id").to_parquet()`` of ids 1, 3, 5...): each
    index's name and its range."""
    try:
        meta = schema.pandas_metadata or {}
    except ValueError:  # metadata that is no JSON: no index to read
        return {}
    return {
        index["name"]: range(int(index["start"]), int(index["stop"]), int(index["step"]))
        for index in meta.get("index_columns", [])
        if isinstance(index, dict) and index.get("kind") == "range"
        and isinstance(index.get("name"), str) and index["name"] not in schema.names
    }  # fmt: skip


def _key_column(
    schema: pa.Schema,
    key: str | None,
    path: str,
    columns: Columns,
    ranges: dict[str, range] | None = None,
) -> tuple[str, str, str]:
    """The key kind, the key column's name and the vector column's (checked); ``ranges``:
    key columns kept as a pandas ``RangeIndex`` (:func:`_range_keys`)."""
    names, vector = set(schema.names), columns.vector
    ranges = ranges or {}
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
        if columns.key not in names | set(ranges):
            raise EmbedError(f"{path} has no {columns.key!r} column (its columns: {listed})")
        keys = pa.int64() if columns.key in ranges else schema.field(columns.key).type
        if pa.types.is_dictionary(keys):
            keys = keys.value_type
        if key is None and not (pa.types.is_string(keys) or pa.types.is_large_string(keys)):
            raise EmbedError(f"say what the {columns.key!r} column holds: --key sample_id "
                             "or --key image_id (a text column is file names)")  # fmt: skip
        return key or "file_name", columns.key, vector
    found = [k for k in KEY_KINDS if k in names | set(ranges) and (key is None or k == key)]
    if not found:
        raise EmbedError(
            f"{path} has no key column: add one of {', '.join(KEY_KINDS)} beside "
            f"{vector!r}, or name yours with --id-column (its columns: {listed})"
        )
    return found[0], found[0], vector


def _chunks(batches: Any, key: str, vector: str, index: range | None = None) -> Iterator[Chunk]:
    """The batches as chunks; ``index``: the keys are a pandas ``RangeIndex``, not a
    column (one key a row: a table filtered after pandas wrote the index is refused)."""
    row = 0
    for batch in batches:
        if index is not None and row + batch.num_rows > len(index):
            raise EmbedError(_RANGE_ROWS.format(key=key, n=len(index)))
        if batch.num_rows:
            part = index[row : row + batch.num_rows] if index is not None else None
            keys = batch.column(key) if part is None else pa.array(np.asarray(part, np.int64))
            yield Chunk(keys, batch.column(vector))
        row += batch.num_rows
    if index is not None and row != len(index):
        raise EmbedError(_RANGE_ROWS.format(key=key, n=len(index)))


_RANGE_ROWS = (
    "the file's pandas index {key!r} names {n} rows, not one a row of the file (a table "
    "filtered after pandas made it?): write the keys as a column, e.g. df.reset_index()"
)


def _npy(path: str, ids: str | None, key: str | None) -> Source:
    if ids is None:
        raise EmbedError("a .npy file holds no keys: name its ids file with --ids")
    matrix = load_npy(path, True, "save a 2-D float array, e.g. "
                      "np.save(path, np.stack(vectors).astype(np.float32))")  # fmt: skip
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
