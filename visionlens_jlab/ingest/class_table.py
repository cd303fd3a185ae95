"""Image classification as a table: a CSV or Parquet file, streamed in record batches.

Ground truth (:class:`ClassificationTable`): one row per (image, label), with an optional
``score`` and ``split``; several rows of one image are a multi-label image. Predictions
(:class:`ClassificationPredictions`): a ``label`` and a ``score`` per row, or one numeric
column per class (the label is the arg-max, its score the max, and every class's score is
kept in ``scores``).

Columns are found by name (case-insensitive): the image in ``file``/``filename``/
``file_name``/``filepath``/``image``/``path``, the label in ``label``/``class``/
``category``/``ground_truth``/``prediction``, the score in ``score``/``confidence``/
``probability``. A label not in a given class list (predictions: the dataset's classes;
ground truth: a ``classes.txt``/``labels.txt`` ... beside the file), an empty label, a
non-numeric score or a file missing on disk is a report row.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..records.batches import Batch
from ..records.report import IngestError, IngestReport
from .base import SAMPLE_BATCH_ROWS, ParsedBase, SampleRows
from .class_names import names_beside
from .object_rows import classification_rows
from .prefetch import prefetch

FILE_COLUMNS = ("file", "filename", "file_name", "filepath", "image", "image_path", "path")
LABEL_COLUMNS = ("label", "class", "category", "ground_truth", "prediction", "predicted")
SCORE_COLUMNS = ("score", "confidence", "probability", "prob")
TABLE_EXTENSIONS = (".csv", ".parquet", ".pq")


def is_table(path: str) -> bool:
    """Whether ``path`` is a file this module reads."""
    return os.path.isfile(path) and path.lower().endswith(TABLE_EXTENSIONS)


def stream_table(
    path: str,
    report: IngestReport | None = None,
    types: dict[str, pa.DataType] | None = None,
    rows: int = 65_536,
) -> Iterator[pa.RecordBatch]:
    """The record batches of a CSV or Parquet file, read as they are needed. CSV columns
    named in ``types`` get those types (not inferred from the first block, which a later
    block may contradict); a CSV row with the wrong number of fields is skipped and counted
    in ``report``.

    The file is opened by Python, not by pyarrow's C++ reader: an ingest confined to the
    allowed roots (``confine_reads``, an audit hook) sees this open as it sees every other,
    after the request was checked, so a file swapped for a link out meanwhile is refused.
    """
    try:
        with open(path, "rb") as file:
            if path.lower().endswith(".csv"):
                yield from _csv_batches(pa.PythonFile(file, mode="r"), report, types)
            else:
                import pyarrow.parquet as pq

                yield from pq.ParquetFile(file).iter_batches(batch_size=rows)
    except (OSError, pa.ArrowException) as exc:
        raise IngestError(f"cannot read {path}: {exc}") from exc


def _csv_batches(
    source: pa.NativeFile,
    report: IngestReport | None,
    types: dict[str, pa.DataType] | None,
) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pcsv

    def skip(row: Any) -> str:
        if report is not None:
            report.error(
                "classification_bad_row",
                "CSV rows with the wrong number of fields skipped",
                repr(row.text[:100]),
            )
        return "skip"

    yield from pcsv.open_csv(
        source,
        read_options=pcsv.ReadOptions(block_size=1 << 22),
        parse_options=pcsv.ParseOptions(invalid_row_handler=skip),
        convert_options=pcsv.ConvertOptions(column_types=types or {}),
    )


def _column(schema: pa.Schema, candidates: tuple[str, ...]) -> str | None:
    by_lower = {name.lower(): name for name in schema.names}
    return next((by_lower[c] for c in candidates if c in by_lower), None)


def _strings(batch: pa.RecordBatch, name: str) -> list[str | None]:
    return batch.column(name).cast(pa.string()).to_pylist()


def _numbers(column: pa.Array, name: str, report: IngestReport) -> np.ndarray:
    """A score column as float64, NaN where empty. A cell that is not a number is NaN and
    reported: it costs only itself, never its whole column. Scores outside [0, 1] are kept
    and reported (calibration reads scores as probabilities)."""
    try:
        values = pc.fill_null(column.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        cells = column.to_pylist()
        values = np.full(len(cells), np.nan)
        bad = []
        for i, cell in enumerate(cells):
            try:
                values[i] = np.nan if cell is None else float(cell)
            except (TypeError, ValueError):
                bad.append(f"{name}={cell!r}"[:100])
        report.error(
            "classification_bad_score",
            "scores that are not numbers (taken as none)",
            count=len(bad),
            examples=bad,
        )
    out = (values < 0) | (values > 1)
    if out.any():
        report.warn(
            "classification_score_out_of_range",
            "scores outside [0, 1] (kept; calibration reads scores as probabilities)",
            count=int(out.sum()),
            examples=[f"{name}={v}" for v in values[out][:5].tolist()],
        )
    return values


def _scores(batch: pa.RecordBatch, name: str, report: IngestReport) -> list[float | None]:
    values = _numbers(batch.column(name), name, report)
    return [None if v != v else float(v) for v in values.tolist()]


class _TableSource(ParsedBase):
    def __init__(self, path: str, classes: list[str] | None, media_root: str) -> None:
        super().__init__("classification", path, media_root)
        self.classes = set(classes) if classes is not None else None
        for name in classes or []:
            self.add_class(name)
        first = next(stream_table(path), None)
        if first is None:
            raise IngestError(f"{path} holds no rows")
        self.file_col = _column(first.schema, FILE_COLUMNS)
        if self.file_col is None:
            raise IngestError(
                f"{path}: no image column (one of {', '.join(FILE_COLUMNS)}); "
                f"columns: {', '.join(first.schema.names)}"
            )
        self.label_col = _column(first.schema, LABEL_COLUMNS)
        self.score_col = _column(first.schema, SCORE_COLUMNS)
        self.split_col = _column(first.schema, ("split",))
        self.schema = first.schema
        # names and labels stay text in every block ("007" is a file, not the number 7)
        text = (self.file_col, self.label_col, self.split_col)
        self.types = {name: pa.string() for name in text if name is not None}

    def _stream(self) -> Iterator[pa.RecordBatch]:
        return stream_table(self.source, self.report, self.types)

    def _label_ok(self, label: str | None, where: str) -> bool:
        if not label:
            self.report.error("classification_no_label", "rows without a label skipped", where)
            return False
        if self.classes is not None and label not in self.classes:
            self.report.warn(
                "classification_unknown_class",
                "labels not in the class list (kept)",
                label,
            )
        self.add_class(label)
        return True


class ClassificationTable(_TableSource):
    """Ground-truth image labels from a CSV/Parquet file."""

    def __init__(
        self,
        path: str,
        images_root: str | None = None,
        split: str | None = None,
        classes: list[str] | None = None,
    ) -> None:
        path = os.path.abspath(path)
        root = images_root or os.path.dirname(path)
        if classes is None:
            classes = names_beside(os.path.dirname(path))
        super().__init__(path, classes, root if "://" in root else os.path.abspath(root))
        if self.label_col is None:
            raise IngestError(
                f"{path}: no label column (one of {', '.join(LABEL_COLUMNS)}); "
                f"columns: {', '.join(self.schema.names)}"
            )
        self.split = split

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        assert self.file_col is not None and self.label_col is not None
        samples, labels = SampleRows(), classification_rows()
        index: dict[str, int] = {}
        # each image's labels so far: a repeated row would make it a multi-label image
        # (which classification evaluation leaves out)
        labels_of: dict[int, tuple[str, ...]] = {}
        row = 0
        for batch in self._stream():
            files = _strings(batch, self.file_col)
            names = _strings(batch, self.label_col)
            scores = _scores(batch, self.score_col, self.report) if self.score_col else None
            splits = _strings(batch, self.split_col) if self.split_col else None
            for i, file_name in enumerate(files):
                row += 1
                where = f"row {row}"
                if not file_name:
                    self.report.error(
                        "classification_no_file", "rows without an image skipped", where
                    )
                    continue
                idx = index.get(file_name)
                if idx is None:
                    split = (splits[i] if splits else None) or self.split
                    idx = index[file_name] = self.add_image(file_name, split, samples)
                label = names[i]
                if not self._label_ok(label, where) or label is None:
                    continue
                known = labels_of.get(idx, ())
                if label in known:
                    self.report.warn(
                        "classification_duplicate_row",
                        "rows repeating an image's label (skipped)",
                        f"{where}: {file_name}, {label}",
                    )
                    continue
                labels_of[idx] = (*known, sys.intern(label))
                score = scores[i] if scores else None
                # the writer keeps no score for ground truth: a given one stays in ``scores``
                given = None if score is None else orjson.dumps({label: score}).decode()
                labels.append(sample_index=idx, label=label, scores=given)
            if len(samples) >= SAMPLE_BATCH_ROWS or len(labels) >= SAMPLE_BATCH_ROWS:
                yield Batch(samples=samples.take(), classifications=labels.take())
        yield Batch(samples=samples.take(), classifications=labels.take())


class ClassificationPredictions(_TableSource):
    """A model's image labels from a CSV/Parquet file: a label and a score, or per-class
    score columns."""

    def __init__(self, path: str, classes: list[str] | None = None) -> None:
        super().__init__(os.path.abspath(path), classes, "")
        self.class_cols: list[str] = []
        if self.label_col is None:
            # a class's column stays one when a bad cell made it text
            self.class_cols = [
                f.name
                for f in self.schema
                if f.name != self.file_col
                and (
                    pa.types.is_floating(f.type)
                    or pa.types.is_integer(f.type)
                    or f.name in (self.classes or ())
                )
            ]
            if not self.class_cols:
                raise IngestError(
                    f"{path}: no label column (one of {', '.join(LABEL_COLUMNS)}) and no "
                    "numeric per-class score columns"
                )
            for name in self.class_cols:
                self._label_ok(name, "columns")

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        assert self.file_col is not None
        for batch in self._stream():
            files = _strings(batch, self.file_col)
            if self.class_cols:
                table = self._argmax(batch, files)
            else:
                table = self._labelled(batch, files)
            if table is not None:
                yield Batch(classifications=table)

    def _labelled(self, batch: pa.RecordBatch, files: list[str | None]) -> pa.Table | None:
        assert self.label_col is not None
        rows = classification_rows()
        names = _strings(batch, self.label_col)
        scores = _scores(batch, self.score_col, self.report) if self.score_col else None
        for i, file_name in enumerate(files):
            if not file_name:
                self.report.error("classification_no_file", "rows without an image skipped")
                continue
            if self._label_ok(names[i], file_name):
                rows.append(
                    image_ref=file_name, label=names[i], score=scores[i] if scores else None
                )
        return rows.take()

    def _argmax(self, batch: pa.RecordBatch, files: list[str | None]) -> pa.Table | None:
        columns = [_numbers(batch.column(c), c, self.report) for c in self.class_cols]
        matrix = np.column_stack(columns)
        missing = np.isnan(matrix).all(axis=1)
        best = np.argmax(np.nan_to_num(matrix, nan=-np.inf), axis=1)
        rows = classification_rows()
        names = self.class_cols
        for i, file_name in enumerate(files):
            if not file_name or missing[i]:
                self.report.error(
                    "classification_no_scores",
                    "rows without an image or any class score skipped",
                    f"{file_name}",
                )
                continue
            scores = {
                n: (None if v != v else float(v)) for n, v in zip(names, matrix[i], strict=True)
            }
            rows.append(
                image_ref=file_name,
                label=names[best[i]],
                score=float(matrix[i, best[i]]),
                scores=orjson.dumps(scores).decode(),
            )
        return rows.take()
