"""Bulk exports of samples and boxes as Arrow record batches (the notebook API's tables).

These back ``POST /datasets/{name}/export/samples`` and ``.../export/annotations``, which
stream Arrow IPC to the kernel: a 100K-sample selection or 700K boxes cross as columnar
binary, never as JSON lists. Queries are parameterized; source (model) names are data and
never appear in the SQL text: per-source count columns get positional aliases in SQL and
their real names only when the Arrow schema is renamed in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from .catalog import Catalog
from .filters import FilterError, Params, compile_filter, source_clause
from .schema import GROUND_TRUTH

BATCH_ROWS = 65_536
BOX_COUNT_PREFIX = "box_count."
"""Samples exports name the per-source box count columns ``box_count.<source>``."""


@dataclass
class Export:
    """An export ready to stream: its schema and a reader of record batches."""

    schema: pa.Schema
    reader: pa.RecordBatchReader


def dataset_sources(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """Annotation sources of a dataset: ground truth first, then models by name."""
    models = [
        r[0]
        for r in cur.execute(
            "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
        ).fetchall()
    ]
    return [GROUND_TRUTH, *models]


def _check_source(source: Any, sources: list[str]) -> None:
    if source is None or source == "predictions":
        return
    if not isinstance(source, str):
        raise FilterError("'source' must be 'ground_truth', 'predictions' or a model name")
    if source not in sources:
        models = ", ".join(sources[1:]) or "none"
        raise FilterError(
            f"unknown source {source!r}: use 'ground_truth', 'predictions' or a model name "
            f"(models of this dataset: {models})"
        )


@contextmanager
def export_samples(catalog: Catalog, dataset: str, spec: dict[str, Any] | None) -> Iterator[Export]:
    """Samples matching ``spec`` in id order, with ``box_count.<source>`` for every source.

    Columns: sample_id, file_name, location, width, height, split, source_image_id,
    tags (list<string>), fields (JSON text), then one int64 count column per source.
    """
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_filter(dataset_id, spec)
        sources = dataset_sources(cur, dataset_id)
        params = Params()
        count_cols = ", ".join(
            f"COUNT(*) FILTER (WHERE a.source = {params.add(src)}) AS c{i}"
            for i, src in enumerate(sources)
        )
        select_counts = ", ".join(
            f"COALESCE(c.c{i}, 0)::BIGINT AS c{i}" for i in range(len(sources))
        )
        sql = f"""
            WITH sel AS (SELECT s.* FROM samples s WHERE {flt.where}),
            c AS (
                SELECT a.sample_id, {count_cols}
                FROM annotations a SEMI JOIN sel ON a.sample_id = sel.sample_id
                WHERE a.dataset_id = {params.add(dataset_id)}
                GROUP BY a.sample_id
            )
            SELECT sel.sample_id, sel.file_name, sel.location, sel.width, sel.height,
                   sel.split, sel.source_image_id, sel.tags,
                   CAST(sel.fields AS VARCHAR) AS fields, {select_counts}
            FROM sel LEFT JOIN c ON c.sample_id = sel.sample_id
            ORDER BY sel.sample_id
        """  # noqa: S608 - compiled filter and positional aliases only; values are bound
        reader = cur.sql(sql, params=[*flt.params, *params.values]).to_arrow_reader(BATCH_ROWS)
        names = [*reader.schema.names[: -len(sources)], *(BOX_COUNT_PREFIX + s for s in sources)]
        schema = pa.schema(
            [field.with_name(name) for field, name in zip(reader.schema, names, strict=True)],
            metadata={b"visionlens.sources": ",".join(sources).encode()},
        )
        yield Export(schema, _renamed(reader, schema))


@contextmanager
def export_annotations(
    catalog: Catalog, dataset: str, spec: dict[str, Any] | None, source: str | None = None
) -> Iterator[Export]:
    """Every column of the boxes of the samples matching ``spec``, with the sample's file name.

    ``source``: ``None`` (all), ``'ground_truth'``, ``'predictions'`` (every model) or a
    model name. Rows are ordered by sample id, source and box id.
    """
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        _check_source(source, dataset_sources(cur, dataset_id))
        flt = compile_filter(dataset_id, spec)
        params = Params()
        where_dataset = f"a.dataset_id = {params.add(dataset_id)}"
        where_source = source_clause(source, params)  # after: its ? come second in the SQL
        sql = f"""
            WITH sel AS (SELECT s.sample_id, s.file_name FROM samples s WHERE {flt.where})
            SELECT a.ann_id, a.sample_id, sel.file_name, a.source, a.label,
                   a.x, a.y, a.w, a.h, a.score, a.area, a.iscrowd, a.difficult,
                   a.source_ann_id, CAST(a.segmentation AS VARCHAR) AS segmentation,
                   CAST(a.attributes AS VARCHAR) AS attributes
            FROM annotations a JOIN sel ON a.sample_id = sel.sample_id
            WHERE {where_dataset} AND {where_source}
            ORDER BY a.sample_id, a.source, a.ann_id
        """  # noqa: S608 - compiled, parameterized
        reader = cur.sql(sql, params=[*flt.params, *params.values]).to_arrow_reader(BATCH_ROWS)
        yield Export(reader.schema, reader)


def _renamed(reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def write_ipc(export: Export) -> bytes:
    """The whole export as one Arrow IPC stream (tests and small results)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, export.schema) as writer:
        for batch in export.reader:
            writer.write_batch(batch)
    return sink.getvalue().to_pybytes()
