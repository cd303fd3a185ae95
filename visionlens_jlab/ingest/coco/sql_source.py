"""Large COCO annotation arrays (ground truth or results) parsed by DuckDB's JSON reader.

Python cannot build 700K annotation records faster than ``json.load`` does (ijson and orjson
both create a Python object per value, polygons included), so for large arrays the C++ JSON
reader of a private, in-memory DuckDB parses them and applies the type checks of the fast
path in :class:`~.annotations.AnnotationReader`, without the GIL, while the writer
appends on the other core. DuckDB reads files, not byte ranges, so the array's bytes are
first copied (in the kernel) to a temporary file.

Exactness: the SQL takes a record only if it has no explicit ``null`` on a standard key, no
repeated key and every value has the JSON shape the Python fast path accepts (the
``attributes`` of a record with extra keys are built from its text as the fast path does).
Everything else is a "slow" row, handed as its exact content to the ``slow_row`` callback:
the same policies, warnings and errors as the Python path, in source order (a JSON null or
an array in place of a record included). If DuckDB fails (a truncated file, an object over
16 MB, no memory) or most rows are slow, the Python path resumes at the first element not
yet consumed, so the result never depends on which path ran
(``tests/test_ingest_coco_sql.py`` checks both give the same). The query is in
:mod:`.sql_query`, the array's bytes are found and copied by :mod:`.array_region`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from array import array
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ...records.batches import ANNOTATION_SCHEMA, as_checked_json
from .array_region import array_region, copy_region
from .jsonstream import JsonLayout
from .label_checks import KEYPOINT_FIELDS
from .sql_query import QUERY, SHAPES, STANDARD_KEYS, standard_key_list
from .sql_read_ahead import SqlUnavailable, read_ahead

__all__ = ["SqlAnnotationSource", "SqlUnavailable"]

JSON_COLUMNS = ("segmentation", "attributes")

SlowRow = Callable[[Any], "tuple[Any, ...] | None"]
"""The Python policies for one record the SQL did not take: its row, or None if skipped."""

SQL_MIN_BYTES = 8 << 20
"""Arrays smaller than this are parsed in Python: DuckDB's start-up and the copy would cost
more than they save, and small files keep the simplest path."""

BATCH_ROWS = 4096
"""Rows per Arrow batch: two DuckDB vectors. A record with extra keys brings its text along
(hundreds of bytes); 10K-row batches raised the peak of a 100K-image file whose every record
has extra keys from 282 to 299 MB."""
MEMORY_LIMIT = "64MB"
"""The private DuckDB's limit: its JSON reader alone holds two 16 MB buffers."""
SLOW_SHARE_LIMIT = 0.5
SLOW_SHARE_MIN_ROWS = 1000
"""Once this many rows are read, more slow rows than ``SLOW_SHARE_LIMIT`` of them hand the
rest of the array to Python, whose fast path is then the faster one (e.g. every record
has a string id)."""


class SqlAnnotationSource:
    """Streams the annotation tables of a COCO annotations array (ground truth: boxes name
    their sample by index; predictions: by reference, with a score).

    ``consumed`` counts the source elements fully handled so far (written or reported): the
    Python path resumes there after :class:`SqlUnavailable`.
    """

    def __init__(
        self,
        layout: JsonLayout,
        key: str | None,
        *,
        categories: dict[Any, str],
        images: dict[Any, Any] | None,
        predictions: bool,
        id_sink: array[int],
        slow_row: SlowRow,
    ) -> None:
        """Read array ``key`` of ``layout`` (None: the file is the array).

        ``categories``: category id -> class name. ``images``: image id -> sample index
        (ground truth) or image reference (predictions that name images by the file's own
        ids); None for predictions that use the id itself as the reference. ``id_sink``
        receives the annotation ids of the rows taken here (the caller checks duplicates);
        ``slow_row`` applies the Python policies to every record the SQL did not take.
        """
        self.layout = layout
        self.key = key
        self.predictions = predictions
        self.consumed = 0
        self._id_sink = id_sink
        self._slow_row = slow_row
        self._slow_rows = 0
        self._region: tuple[int, int] | None = None  # found by usable()
        self._standard = standard_key_list(predictions)
        self._standard_others = tuple(k for k in self._standard if k != "attributes")
        self._by_id = images is not None
        int_ids = sorted((k, v) for k, v in (images or {}).items() if k.__class__ is int)
        self._img_keys = np.array([k for k, _ in int_ids], dtype=np.int64)
        values = [v for _, v in int_ids]
        self._img_rows = pa.array(values, pa.string() if predictions else pa.int64())
        cats = sorted((k, v) for k, v in categories.items() if k.__class__ is int)
        self._cat_keys = np.array([k for k, _ in cats], dtype=np.int64)
        self._img_contiguous = _contiguous(self._img_keys)
        self._cat_contiguous = _contiguous(self._cat_keys)
        self._cat_names = pa.array([v for _, v in cats], pa.string())

    def usable(self) -> bool:
        """Whether the array is big enough (and its bounds known) for the SQL path."""
        self._region = array_region(self.layout, self.key)
        return self._region is not None and self._region[1] - self._region[0] >= SQL_MIN_BYTES

    def batches(self) -> Generator[pa.Table, None, None]:
        """Annotation tables in source order; raises :class:`SqlUnavailable` to hand over."""
        import duckdb  # the parse worker imports DuckDB only when it is needed

        region = self._region
        if region is None:
            raise SqlUnavailable("array bounds unknown")
        tmp = tempfile.mkdtemp(prefix="visionlens-coco-")
        try:
            path = os.path.join(tmp, "annotations.json")
            try:
                copy_region(self.layout.path, path, region[0] + 1, region[1] - 1)
                con = duckdb.connect(
                    ":memory:",
                    config={
                        # One file is parsed by one thread; the JSON reader's buffers are
                        # 32 MB each, the rest of the query streams.
                        "threads": "1",
                        "memory_limit": MEMORY_LIMIT,
                        "temp_directory": tmp,
                        "preserve_insertion_order": "true",
                    },
                )
                # the result queue (10 MB by default) only needs to keep one batch ahead
                con.execute("SET streaming_buffer_size = '2MB'")
            except (OSError, duckdb.Error) as exc:
                raise SqlUnavailable(str(exc)) from exc
            with contextlib.closing(con):
                try:
                    params: dict[str, Any] = {"path": path, "standard": STANDARD_KEYS, **SHAPES}
                    params["standard_keys"] = self._standard
                    query = con.sql(QUERY, params={**params, "predictions": self.predictions})
                    stream = query.to_arrow_reader(BATCH_ROWS)  # streams, unlike execute()
                except duckdb.Error as exc:
                    raise SqlUnavailable(str(exc)) from exc
                for batch in read_ahead(stream):
                    try:
                        table = self._table(batch)
                    except orjson.JSONDecodeError as exc:  # NaN, which DuckDB reads: Python
                        raise SqlUnavailable(str(exc)) from exc  # reports it as it would
                    self.consumed += batch.num_rows
                    if table is not None:
                        yield table
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _table(self, batch: pa.RecordBatch) -> pa.Table | None:
        n = batch.num_rows
        ok = batch.column("ok").to_numpy(zero_copy_only=False)
        iid = batch.column("iid").fill_null(0).to_numpy(zero_copy_only=False)
        cid = batch.column("cid").fill_null(0).to_numpy(zero_copy_only=False)
        if self._by_id:
            ipos, ifound = _lookup(self._img_keys, iid, self._img_contiguous)
        else:
            ipos, ifound = iid, np.ones(n, dtype=bool)
        cpos, cfound = _lookup(self._cat_keys, cid, self._cat_contiguous)
        fast = ok & ifound & cfound
        slow_rows = np.flatnonzero(~fast)
        self._slow_rows += len(slow_rows)
        seen = self.consumed + n
        if seen >= SLOW_SHARE_MIN_ROWS and self._slow_rows > SLOW_SHARE_LIMIT * seen:
            raise SqlUnavailable("mostly unusual records")
        positions = np.flatnonzero(fast)
        sel = pa.array(positions)

        # copies, even of a batch taken whole: an imported column keeps DuckDB's whole batch
        # alive (the ``raw`` texts of records with extra keys included: +22 MB of peak RSS
        # on the extra_keys variant without them)
        def column(name: str) -> pa.Array:
            return batch.column(name).take(sel)

        aid = column("aid")
        ids = aid.drop_null().to_numpy(zero_copy_only=False)  # predictions may have no ids
        self._id_sink.frombytes(ids.astype(np.int64).tobytes())
        parts: list[pa.Table] = []
        if len(sel):
            if self._by_id:
                image = self._img_rows.take(pa.array(ipos[fast]))
            else:  # predictions that name images by the results file's image_id
                image = pc.cast(column("iid"), pa.string())
            parts.append(
                _annotation_table(
                    position=positions,
                    image=image,
                    score=column("score"),
                    label=self._cat_names.take(pa.array(cpos[fast])),
                    x=column("x"),
                    y=column("y"),
                    w=column("w"),
                    h=column("h"),
                    area=column("area"),
                    iscrowd=column("iscrowd"),
                    source_ann_id=pc.cast(aid, pa.string()),
                    segmentation=column("segmentation"),
                    attributes=self._attributes(batch, positions, column("attributes")),
                    keypoints=column("keypoints"),
                    num_keypoints=column("num_keypoints"),
                )
            )
        if len(slow_rows):
            slow = self._slow(batch, slow_rows)
            if slow is not None:
                parts.append(slow)
        if not parts:
            return None
        if len(parts) == 1 and not len(slow_rows):  # JSON only from DuckDB and orjson
            return as_checked_json(parts[0].drop_columns(["_pos"]), JSON_COLUMNS)
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        return table.sort_by("_pos").drop_columns(["_pos"])

    def _attributes(self, batch: pa.RecordBatch, sel: np.ndarray, attributes: pa.Array) -> pa.Array:
        """The ``attributes`` of the rows taken (their positions ``sel`` in ``batch``, and
        DuckDB's ``attributes`` column of them), as the text the Python fast path stores: a
        record with extra keys gets them (with a CVAT-style ``attributes`` object merged in),
        built from its text; a record whose only extra is that object gets orjson's text of
        it (DuckDB writes ``1e16`` as ``10000000000000000.0`` and keeps a repeated key).

        What :func:`~.policies.attributes_json` does, on a record parsed for this alone:
        removing its standard keys in place keeps the others in their order and costs a
        quarter less than copying them (700K records: ~0.4 s less with the GIL held).
        """
        extra = batch.column("extra").to_numpy(zero_copy_only=False)[sel]
        nested = attributes.is_valid().to_numpy(zero_copy_only=False) & ~extra
        if not extra.any() and not nested.any():
            return attributes
        values = attributes.to_pylist()
        loads, dumps, pop = orjson.loads, orjson.dumps, dict.pop
        for j in np.flatnonzero(nested).tolist():
            # DuckDB's text of a record's only attributes object: written again as the Python
            # path writes it (orjson's numbers and escapes; a repeated key's last value)
            values[j] = dumps(loads(values[j])).decode()
        which = np.flatnonzero(extra)
        texts = batch.column("raw").take(pa.array(sel[which])).to_pylist()
        others = self._standard_others
        for j, text in zip(which.tolist(), texts, strict=True):
            record = loads(text)
            nested = pop(record, "attributes", None)
            for key in others:
                pop(record, key, None)
            if nested.__class__ is dict:
                record.update(nested)
            elif nested is not None:
                record["attributes"] = nested
            # orjson's own output (always serialisable), as str: see base.fast_dumps
            values[j] = dumps(record).decode() if record else None
        return pa.array(values, pa.string())

    def _slow(self, batch: pa.RecordBatch, rows: np.ndarray) -> pa.Table | None:
        """Run the Python policies on the rows the SQL did not take, in their order."""
        raw = batch.column("raw")
        ok = batch.column("ok").to_numpy(zero_copy_only=False)
        kept: list[int] = []
        out: list[tuple[Any, ...]] = []
        for i in rows.tolist():
            # well-typed with an unknown image or category id (its text was not fetched: the
            # SQL cannot know the id is unknown), or else its exact content
            record = _typed_record(batch, i) if ok[i] else orjson.loads(raw[i].as_py())
            row = self._slow_row(record)
            if row is not None:
                kept.append(i)
                out.append(row)
        if not out:
            return None
        cols = list(zip(*out, strict=True))
        si, ref, label, x, y, w, h, score, area, crowd, aid, seg, attrs, kps, nkp = cols
        return _annotation_table(
            position=np.array(kept, dtype=np.int64),
            image=pa.array(ref, pa.string()) if self.predictions else pa.array(si, pa.int64()),
            score=pa.array(score, pa.float64()),
            label=pa.array(label, pa.string()),
            x=pa.array(x, pa.float64()),
            y=pa.array(y, pa.float64()),
            w=pa.array(w, pa.float64()),
            h=pa.array(h, pa.float64()),
            area=pa.array(area, pa.float64()),
            iscrowd=pa.array([c == 1 for c in crowd], pa.bool_()),
            source_ann_id=pa.array(aid, pa.string()),
            segmentation=pa.array(seg, pa.string()),
            attributes=pa.array(attrs, pa.string()),
            keypoints=pa.array(kps, KEYPOINT_FIELDS[0].type),
            num_keypoints=pa.array(nkp, KEYPOINT_FIELDS[1].type),
        )


def _contiguous(keys: np.ndarray) -> bool:
    """Whether sorted, distinct ``keys`` are consecutive integers (ids 1..N, as exporters
    number images and categories): :func:`_lookup` then subtracts instead of searching.
    Keys beyond +-2**62 are searched: a taken row's id (18 digits at most) minus them could
    overflow int64."""
    if not len(keys) or min(int(keys[0]), -int(keys[-1])) < -(1 << 62):
        return False
    return int(keys[-1]) - int(keys[0]) == len(keys) - 1


def _lookup(
    keys: np.ndarray, values: np.ndarray, contiguous: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``values`` in sorted, distinct ``keys`` and whether each was found
    (``contiguous``: the keys are consecutive integers)."""
    if not len(keys):
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    if contiguous:
        pos = values - keys[0]
        found = (pos >= 0) & (pos < len(keys))
        pos[~found] = 0
        return pos, found
    pos = np.searchsorted(keys, values)
    pos[pos >= len(keys)] = 0
    return pos, keys[pos] == values


def _typed_record(batch: pa.RecordBatch, i: int) -> dict[str, Any]:
    """A well-typed record whose image or category id is unknown, rebuilt for the report
    (its JSON text was not fetched: the SQL could not know the id was unknown)."""
    record: dict[str, Any] = {
        "image_id": batch.column("iid")[i].as_py(),
        "category_id": batch.column("cid")[i].as_py(),
        "bbox": [batch.column(c)[i].as_py() for c in ("x", "y", "w", "h")],
        "iscrowd": int(batch.column("iscrowd")[i].as_py()),
    }
    for key in ("id", "area", "score", "segmentation", "attributes", "keypoints", "num_keypoints"):
        value = batch.column("aid" if key == "id" else key)[i].as_py()
        if value is not None:
            record[key] = orjson.loads(value) if key in ("segmentation", "attributes") else value
    return record


def _annotation_table(*, position: np.ndarray, image: pa.Array, **columns: Any) -> pa.Table:
    """Rows in :data:`~..batches.ANNOTATION_SCHEMA` and the keypoint columns, plus their
    positions in the batch; ``image`` is the sample index (int64, ground truth) or the image
    reference (string, predictions)."""
    n = len(position)
    by_ref = pa.types.is_string(image.type)
    data = {
        "sample_index": pa.nulls(n, pa.int64()) if by_ref else image,
        "image_ref": image if by_ref else pa.nulls(n, pa.string()),
        "label": columns["label"],
        "x": columns["x"],
        "y": columns["y"],
        "w": columns["w"],
        "h": columns["h"],
        "score": columns["score"],
        "area": columns["area"],
        "iscrowd": columns["iscrowd"],
        "difficult": pa.array(np.zeros(n, dtype=bool)),
        "source_ann_id": columns["source_ann_id"],
        "segmentation": columns["segmentation"],
        "attributes": columns["attributes"],
        "normalized": pa.array(np.zeros(n, dtype=bool)),
    }
    table = pa.table(data, schema=ANNOTATION_SCHEMA)
    for field in KEYPOINT_FIELDS:
        table = table.append_column(field, pc.cast(columns[field.name], field.type))
    return table.append_column("_pos", pa.array(position, pa.int64()))
