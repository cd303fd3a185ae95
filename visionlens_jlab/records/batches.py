"""Column-oriented batches that parsers emit and the catalog writer appends.

Parsers never touch the catalog: they yield :class:`Batch` objects (Arrow tables with the
columns below) and the writer (:mod:`~visionlens_jlab.catalog.writes.dataset_writer`) appends them
in row-group transactions, under a dataset that becomes visible only with its last
transaction. Because batches are Arrow,
they can also cross a process boundary cheaply (IPC) when a job worker parses.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .label_kinds import OBJECT_KINDS

SAMPLE_SCHEMA = pa.schema(
    [
        ("sample_index", pa.int64()),  # 0-based, in the order the parser meets images
        ("file_name", pa.string()),  # as written in the source
        ("location", pa.string()),  # resolved absolute path or gs:// URI
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("split", pa.string()),
        ("source_image_id", pa.string()),
        ("fields", pa.string()),  # JSON object of extra keys, or null
    ]
)

ANNOTATION_SCHEMA = pa.schema(
    [
        ("sample_index", pa.int64()),  # ground truth: the sample_index of its image
        ("image_ref", pa.string()),  # predictions: file name / stem / source image id
        ("label", pa.string()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("w", pa.float64()),
        ("h", pa.float64()),
        ("score", pa.float64()),
        ("area", pa.float64()),
        ("iscrowd", pa.bool_()),
        ("difficult", pa.bool_()),
        ("source_ann_id", pa.string()),
        ("segmentation", pa.string()),  # JSON, or null
        ("attributes", pa.string()),  # JSON object, or null
        ("normalized", pa.bool_()),  # predictions: x, y, w, h are fractions of the image size
    ]
)
"""The columns every annotation batch has. A batch may add any of
:data:`ANNOTATION_LABEL_FIELDS` and :data:`TRACK_ID_FIELD` (the writer stores NULL for those
it lacks)."""

TRACK_ID_FIELD = pa.field("track_id", pa.int64())
"""An object's identity across the frames of its video (``annotations.track_id``), unique
within a dataset (or a model's prediction set); NULL for an object outside any track."""

ANNOTATION_LABEL_FIELDS = tuple(
    column.field
    for kind in OBJECT_KINDS
    for column in kind.columns
    if column.name not in ANNOTATION_SCHEMA.names
)
"""Optional annotation columns of the labels beyond the box: every column an object kind
declares (:mod:`.label_kinds`) that the base schema lacks (keypoints, num_keypoints,
mask_area; absolute pixels, or fractions with ``normalized``)."""

CLASSIFICATION_SCHEMA = pa.schema(
    [
        ("sample_index", pa.int64()),  # ground truth: the sample_index of its image
        ("image_ref", pa.string()),  # predictions: file name / stem / source image id
        ("label", pa.string()),
        ("score", pa.float64()),  # null for ground truth
        ("scores", pa.string()),  # JSON object {class: score}, or null
    ]
)
"""Image-level labels (one row per label: a multi-label image has several)."""


@dataclass
class Batch:
    """Some samples, annotations and/or image-level classifications; any may be ``None``."""

    samples: pa.Table | None = None
    annotations: pa.Table | None = None
    classifications: pa.Table | None = None


COALESCE_ROWS = 50_000
"""Rows of one table a run of coalesced batches stops at (:func:`coalesced`): a few
statements per 100K rows, while the parser still runs ahead of the writer in small steps."""

_TABLES = ("samples", "annotations", "classifications")


def coalesced(batches: Iterable[Batch], rows: int = COALESCE_ROWS) -> Iterator[Batch]:
    """``batches`` with runs of consecutive ones concatenated table by table, each run up to
    the batch that brings one of its tables to ``rows`` rows, or up to a table's schema
    changing. The writer appends each batch's tables in statements of their own, a few
    milliseconds each whatever their size: 100 MOT sequences were 200 statements, ~0.35 s
    of a 1.9 s ingest. Rows keep their order within each table."""
    run: list[Batch] = []
    schemas: dict[str, pa.Schema] = {}
    counts = dict.fromkeys(_TABLES, 0)
    for batch in batches:
        tables = {n: t for n in _TABLES if (t := getattr(batch, n)) is not None}
        if any(n in schemas and not t.schema.equals(schemas[n]) for n, t in tables.items()):
            yield _concatenated(run)
            run, schemas, counts = [], {}, dict.fromkeys(_TABLES, 0)
        run.append(batch)
        for name, table in tables.items():
            schemas.setdefault(name, table.schema)
            counts[name] += table.num_rows
        if max(counts.values()) >= rows:
            yield _concatenated(run)
            run, schemas, counts = [], {}, dict.fromkeys(_TABLES, 0)
    if run:
        yield _concatenated(run)


def _concatenated(run: list[Batch]) -> Batch:
    if len(run) == 1:
        return run[0]
    tables = {}
    for name in _TABLES:
        parts = [t for b in run if (t := getattr(b, name)) is not None]
        tables[name] = pa.concat_tables(parts) if parts else None
    return Batch(**tables)


def dumps_or_none(value: Any) -> str | None:
    """JSON text of ``value``, or ``None`` for ``None``/empty containers."""
    if value is None or value == {} or value == []:
        return None
    return json.dumps(value, separators=(",", ":"), default=str)


def as_checked_json(table: pa.Table, names: tuple[str, ...]) -> pa.Table:
    """``table`` with its string columns ``names`` typed as Arrow's ``arrow.json`` extension:
    JSON text this package serialised itself, valid by construction, which the catalog
    writer stores without DuckDB parsing every value again to validate it (only for the
    parsers of this package, see ``ParsedBase.json_checked``)."""
    for name in names:
        i = table.schema.get_field_index(name)
        column = table.column(i)
        chunks = [pa.ExtensionArray.from_storage(pa.json_(), c) for c in column.chunks]
        table = table.set_column(i, name, pa.chunked_array(chunks, pa.json_()))
    return table


def as_plain_json(table: pa.Table) -> pa.Table:
    """``table`` with its ``arrow.json`` columns as plain strings (which DuckDB validates on
    insert): the inverse of :func:`as_checked_json`."""
    for i, field in enumerate(table.schema):
        if isinstance(field.type, pa.JsonType):
            storage = [c.storage for c in table.column(i).chunks]
            table = table.set_column(
                i, field.name, pa.chunked_array(storage, field.type.storage_type)
            )
    return table


class ColumnBuffer:
    """Accumulates rows column-wise and turns them into an Arrow table of ``schema``."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: dict[str, list[Any]] = {name: [] for name in schema.names}

    def __len__(self) -> int:
        return len(self.columns[self.schema.names[0]])

    def append(self, **row: Any) -> None:
        """Append one row; columns not given are null."""
        for name, values in self.columns.items():
            values.append(row.get(name))

    def take(self) -> pa.Table | None:
        """Return the buffered rows as a table (``None`` if empty) and start afresh."""
        if not len(self):
            return None
        table = pa.table(self.columns, schema=self.schema)
        self.columns = {name: [] for name in self.schema.names}
        return table


_pool_lock = threading.Lock()
_pool_users = 0
_pool_before: pa.MemoryPool | None = None


@contextmanager
def system_allocator() -> Iterator[None]:
    """Make Arrow allocate with the C library's ``malloc`` while the block runs (nested and
    concurrent uses share one switch; the last to leave restores the previous pool).

    An ingest allocates and frees thousands of short-lived batches; pyarrow's default
    mimalloc pool keeps the freed pages, the system allocator returns them: the 100K-image
    COCO ingest peaks 10-15 MB lower at the same speed (``benchmarks/results/ingest.md``).
    """
    global _pool_users, _pool_before
    with _pool_lock:
        if _pool_users == 0:
            _pool_before = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
        _pool_users += 1
    try:
        yield
    finally:
        with _pool_lock:
            _pool_users -= 1
            if _pool_users == 0 and _pool_before is not None:
                pa.set_memory_pool(_pool_before)
                _pool_before = None


@contextmanager
def without_pandas() -> Iterator[None]:
    """Make ``import pandas`` fail while the block runs, in a process that has not imported
    it yet (an ingest through the CLI, a parse worker); a no-op where pandas is loaded.

    pyarrow imports pandas (~50 MB of RSS, ~0.4 s of CPU) on its first conversion of a
    Python list, only to recognise pandas objects and missing-value markers, which an
    ingest never passes it; without pandas it converts the same. pyarrow's explicit pandas
    output (``to_pandas``) tries the import again after the block.
    """
    if "pandas" in sys.modules:
        yield
        return
    blocker = _NoPandas()
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)


class _NoPandas:
    """A module finder under which ``import pandas`` raises ImportError."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        """Refuse pandas and its submodules; leave every other module to the next finder."""
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is kept out of this command (without_pandas)")
        return None
