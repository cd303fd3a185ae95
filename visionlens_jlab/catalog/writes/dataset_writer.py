"""Append parsed batches to the catalog so that a dataset appears atomically.

The parsers (:mod:`visionlens_jlab.ingest`) hand a
:class:`~visionlens_jlab.records.parsed.ParsedSource`; this is the catalog SQL that writes it.

A dataset's rows are committed (in row-group transactions) under a dataset id that has no
``datasets`` row yet (invisible to every read path); its ``datasets`` row, written last,
makes it appear at once. If the parser raises or the job is cancelled, the rows are deleted;
if the process is killed or the machine loses power, the next catalog open deletes them.
Either way no half dataset is ever visible and ingesting again simply works. A model's
predictions (smaller) are written in one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa

from ...records.batches import system_allocator
from ...records.parsed import VIDEO_COUNTS, ParsedSource, feature_rows_of
from ...records.report import IngestError
from ..base.errors import CatalogError, ConflictError
from ..derived import Change, Kind, apply_change
from ..reads.model_kinds import OBJECTS, check_model_kind
from ..store.catalog import Catalog, validate_name
from ..store.ingest_reservations import IngestIds
from ..store.registry import model_tables
from ..store.row_group_feed import ANNOTATIONS, CLASSIFICATIONS, SAMPLES, RowGroupFeed
from ..store.schema import GROUND_TRUTH
from .feature_rows import write_feature_rows
from .image_keys import create_image_keys
from .ingest_limits import IngestLimits
from .ingest_summary import IngestSummary, nothing_read
from .label_rows import (
    CATEGORIES_SQL,
    GROUND_TRUTH_CLASSIFICATIONS_SQL,
    categories_table,
    ground_truth_annotations_sql,
    label_type_counts,
    prediction_annotations_sql,
    report_unknown_images,
    write_classification_predictions,
)
from .model_rows import record_model
from .path_keys import PathKeys

ProgressCallback = Callable[[float, str], None]
DEFAULT_LIMITS = IngestLimits()
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _append(
    cur: duckdb.DuckDBPyConnection,
    table: pa.Table | pa.RecordBatchReader,
    sql: str,
    params: list[Any],
) -> None:
    cur.register("_vl_batch", table)
    # No try/finally: after a failed statement the transaction is aborted and unregister()
    # would raise, hiding the real error; the cursor is closed with the transaction anyway.
    cur.execute(sql, params)
    cur.unregister("_vl_batch")


def _numbered(table: pa.Table) -> pa.Table:
    """``table`` with its row numbers, so annotation ids follow the order of the source file
    (evaluation tie-breaks between equal scores depend on it, as in pycocotools)."""
    return table.append_column("_vl_row", pa.array(range(table.num_rows), pa.int64()))


def write_dataset(
    catalog: Catalog,
    name: str,
    parsed: ParsedSource,
    *,
    split: str | None = None,
    progress: ProgressCallback | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
    cancelled: Callable[[], bool] | None = None,
) -> IngestSummary:
    """Write a parsed dataset under ``name``; it appears atomically, and return its summary.
    A dataset past ``limits`` (classes, labels per image) is refused: :class:`IngestError`.
    A job stops the writer by raising from ``progress`` (between transactions) and by
    ``cancelled()``, which interrupts the last transaction's long statements.

    Samples and annotations are committed under a reserved dataset id that has no
    ``datasets`` row yet; every read path finds datasets through that table, so the rows
    stay invisible. The ``categories`` and ``datasets`` rows come last, in one transaction,
    which makes the whole dataset appear at once. The rows go in as whole DuckDB row groups
    (:mod:`.row_group_feed`): in the CLI one transaction streamed from the parser, in the
    server buffered transactions of a row group each, so the write lock is never held while
    a parser works. DuckDB writes full row groups straight to the database file, so memory
    stays bounded either way; a failure deletes the rows written so far, and a killed
    process leaves rows that the next :class:`Catalog` open removes.
    """
    validate_name(name)
    with catalog.write() as cur:
        _check_free(cur, name)
        ids = catalog.begin_ingest(cur, name)
        catalog.scope_write(ids.dataset_id, keeps_derived=True)  # a dataset nobody sees yet
    try:
        with system_allocator():
            summary = _write_rows(catalog, name, ids, parsed, split, progress, limits, cancelled)
    except BaseException:
        _discard(catalog, ids.dataset_id)
        raise
    finally:
        catalog.end_ingest(ids)
    return summary


def _check_free(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    if cur.execute("SELECT 1 FROM datasets WHERE name = ?", [name]).fetchall():
        raise ConflictError(
            f"a dataset named {name!r} already exists: delete it first "
            f"(visionlens delete {name}) or choose another name"
        )


def _write_rows(
    catalog: Catalog,
    name: str,
    ids: IngestIds,
    parsed: ParsedSource,
    split: str | None,
    progress: ProgressCallback | None,
    limits: IngestLimits,
    cancelled: Callable[[], bool] | None,
) -> IngestSummary:
    dataset_id = ids.dataset_id
    # A process that does nothing else while it ingests (the CLI) streams the parser's
    # batches straight into one transaction; elsewhere each transaction's batches wait in
    # memory first, so the write lock is never held while the parser works: a slow source
    # cannot stall other writers (tags, other ingests).
    feed = RowGroupFeed(
        parsed.batches(),
        json_checked=parsed.json_checked,
        live=catalog.ingests_alone,
    )
    while True:
        if not feed.live:
            feed.buffer()
        appended = False
        # rows of a dataset no reader sees before the last transaction: no answer changes
        with catalog.write(dataset_id, keeps_derived=True) as cur:
            for table, stream in feed.streams():
                appended = True
                if table == CLASSIFICATIONS:
                    _append(
                        cur,
                        stream,
                        GROUND_TRUTH_CLASSIFICATIONS_SQL,
                        [dataset_id, ids.sample_base, GROUND_TRUTH],
                    )
                elif table == SAMPLES:
                    _append(
                        cur,
                        stream,
                        """
                        INSERT INTO samples
                        SELECT ? + sample_index, ?, file_name, location, width, height,
                               COALESCE(split, ?), source_image_id, []::VARCHAR[], fields
                        FROM _vl_batch
                        """,
                        [ids.sample_base, dataset_id, split],
                    )
                else:
                    _append(
                        cur,
                        stream,
                        ground_truth_annotations_sql(stream.schema),
                        [ids.ann_base, ids.sample_base, dataset_id, GROUND_TRUTH],
                    )
        if not appended:
            break
        if progress:
            progress(-1.0, f"{feed.rows[SAMPLES]} samples, {feed.rows[ANNOTATIONS]} objects")
    n_samples, n_boxes = feed.rows[SAMPLES], feed.rows[ANNOTATIONS]
    n_labels = n_boxes + feed.rows[CLASSIFICATIONS]
    if n_samples == 0:
        raise IngestError(nothing_read(parsed))
    categories = parsed.categories()
    limits.check_categories(len(categories), parsed.source)
    parsed.report.counts.update(samples=n_samples, annotations=n_labels)
    if progress:  # a cancel now stops the writer before its longest transaction
        progress(-1.0, f"summarising {n_samples} samples, {n_boxes} objects")
    publish = partial(_publish, catalog, name, ids, parsed, categories, n_samples, n_labels, limits)
    # the last transaction summarises the whole dataset: more than the streaming limit holds
    catalog.lift_ingest_memory_limit()
    try:
        types = publish(cancelled)
    except duckdb.OutOfMemoryException:  # rolled back: retry under the catalog's own limit
        catalog.lift_ingest_memory_limit(to_default=True)
        types = publish(cancelled)
    return IngestSummary(
        dataset=name,
        samples=n_samples,
        annotations=n_labels,
        categories=len(categories),
        label_types=types,
        video_counts={k: n for k, n in parsed.report.counts.items() if k in VIDEO_COUNTS} or None,
        warnings=parsed.report.warnings,
        errors=parsed.report.errors,
    )


def _publish(
    catalog: Catalog,
    name: str,
    ids: IngestIds,
    parsed: ParsedSource,
    categories: list[Any],
    n_samples: int,
    n_boxes: int,
    limits: IngestLimits,
    cancelled: Callable[[], bool] | None,
) -> dict[str, int]:
    """Write the ``categories`` and ``datasets`` rows and everything derived from the rows,
    in one transaction: the dataset appears whole or not at all (a cancel meanwhile rolls it
    back, see :meth:`~..store.catalog.Catalog.interrupted_when`), with the rows the parser
    read for feature tables (:mod:`.feature_rows`). Returns the label counts by type."""
    dataset_id = ids.dataset_id
    classes = categories_table(categories)  # before the lock: other writers wait on it
    with catalog.write() as cur, catalog.interrupted_when(cancelled):
        _check_free(cur, name)
        limits.check_labels_per_image(cur, dataset_id, parsed.source)
        if classes.num_rows:
            _append(cur, classes, CATEGORIES_SQL, [dataset_id])
        write_feature_rows(cur, dataset_id, ids.sample_base, feature_rows_of(parsed))
        cur.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                dataset_id,
                name,
                parsed.format,
                parsed.source,
                parsed.media_root,
                _now(),
                n_samples,
                n_boxes,
                json.dumps(parsed.report.to_dict()),
            ],
        )
        # everything derived, with the datasets row: visible together
        apply_change(catalog, cur, Change(dataset_id, Kind.SAMPLES_ADDED))
        return label_type_counts(cur, dataset_id, GROUND_TRUTH)


def _discard(catalog: Catalog, dataset_id: int) -> None:
    """Delete the committed rows of a failed ingest (best effort: if this fails too, the next
    catalog open removes them, and until then they are invisible)."""
    try:
        with catalog.write(dataset_id, keeps_derived=True) as cur:  # never visible
            for table in ("classifications", "annotations", "samples", "categories"):
                cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - fixed identifiers
    except Exception:  # the ingest's own error is the one to report
        log.warning("could not remove the rows of a failed ingest", exc_info=True)


def write_predictions(
    catalog: Catalog,
    dataset: str,
    model: str,
    parsed: ParsedSource,
    *,
    split: str | None = None,
    progress: ProgressCallback | None = None,
    limits: IngestLimits = DEFAULT_LIMITS,
    cancelled: Callable[[], bool] | None = None,
) -> IngestSummary:
    """Replace model ``model``'s predictions on ``dataset`` atomically (a ``cancelled()``
    that turns true before the end rolls the whole replacement back).

    Prediction rows name their image by ``image_ref``: the source image id, the file name,
    its base name, its stem or a stem's number (``139`` for ``000000000139.jpg``), tried in
    that order; given a ``split``, among that split's
    samples only (:mod:`.image_keys`). Rows whose image is not in the dataset are counted
    in the report, never silently dropped. A set with more predictions on one image than
    ``limits`` allow is refused (:class:`IngestError`), the previous set kept.
    """
    validate_name(model, "model")
    if model in (GROUND_TRUTH, "predictions"):
        raise CatalogError(f"{model!r} is reserved; choose another model name")
    report = parsed.report
    with catalog.write() as cur, catalog.interrupted_when(cancelled):
        dataset_id = catalog.dataset_id(cur, dataset)
        catalog.scope_write(dataset_id)  # other datasets' cached answers stay valid
        # refused before the file is read (record_model checks again, as for every writer)
        check_model_kind(cur, dataset_id, model, OBJECTS)
        for labels in ("annotations", "classifications"):
            cur.execute(
                f"DELETE FROM {labels} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
                [dataset_id, model],
            )
        cur.execute("DELETE FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, model])
        for kept, column in model_tables().items():  # features' rows of the model go too
            cur.execute(
                f"DELETE FROM {kept} WHERE dataset_id = ? AND {column} = ?",  # noqa: S608 - registered identifiers
                [dataset_id, model],
            )
        create_image_keys(cur, dataset_id, split)
        paths = PathKeys(cur, dataset_id, split)
        ann_next = catalog.next_annotation_id(cur)
        n_preds = n_read = 0
        for batch in parsed.batches():
            if batch.classifications is not None and batch.classifications.num_rows:
                n_read += batch.classifications.num_rows
                n_preds += write_classification_predictions(
                    cur, batch.classifications, dataset_id, model, report, paths
                )
            table = batch.annotations
            if table is None or not table.num_rows:
                continue
            paths.add(table.column("image_ref").to_pylist())
            _append(
                cur,
                _numbered(table),
                """
                CREATE OR REPLACE TEMP TABLE _vl_matched AS
                SELECT b.*, k.sample_id AS matched_id, k.width AS img_w, k.height AS img_h
                FROM _vl_batch b LEFT JOIN _vl_image_keys k ON k.key = b.image_ref
                """,
                [],
            )
            report_unknown_images(
                cur,
                "SELECT image_ref FROM _vl_matched WHERE matched_id IS NULL",
                report,
            )
            (row,) = cur.execute(
                prediction_annotations_sql(table.schema),
                [ann_next, dataset_id, model],
            ).fetchall()
            inserted = int(row[0])
            ann_next += table.num_rows
            n_read += table.num_rows
            n_preds += inserted
            if progress:
                progress(-1.0, f"{n_preds} predictions")
        cur.execute("DROP TABLE IF EXISTS _vl_matched")
        cur.execute("DROP TABLE _vl_image_keys; DROP TABLE _vl_ambiguous_keys")
        if n_preds == 0:
            raise IngestError(
                nothing_read(parsed)
                + (
                    " (no prediction could be matched to an image of the dataset)"
                    if n_read
                    else " (it holds no prediction)"
                )
            )
        limits.check_labels_per_image(cur, dataset_id, parsed.source, labels=model)
        report.counts.update(predictions=n_preds)
        types = label_type_counts(cur, dataset_id, model)
        apply_change(catalog, cur, Change(dataset_id, Kind.PREDICTIONS, sources=(model,)))
        record_model(
            cur,
            dataset_id,
            model,
            kind=OBJECTS,
            model_format=parsed.format,
            source=parsed.source,
            predictions=n_preds,
            report=report.to_dict(),
        )
    return IngestSummary(
        dataset=dataset,
        model=model,
        predictions=n_preds,
        label_types=types,
        video_counts={k: n for k, n in report.counts.items() if k in VIDEO_COUNTS} or None,
        warnings=report.warnings,
        errors=report.errors,
    )
