"""Parquet: ``samples.parquet`` (one row per sample, as the notebook's samples table),
``objects.parquet`` (every column the catalog keeps per object) and
``classifications.parquet`` (image-level labels), with ``images/`` when images are written.
Written for analysis tools; VisionLens does not ingest them back."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .staging import image_name, unique_names
from .view import SAMPLE_COLUMNS, ExportView


def write_parquet(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]]]:
    """Write the three tables; returns the object count and the images to place."""
    s = view.samples
    names = [image_name(f) for f in s["file_name"]]
    unique_names(names, "image")
    columns = {name: s[name] for name in SAMPLE_COLUMNS}
    columns["split"] = [splits.get(sid) for sid in s["sample_id"]]
    columns["image"] = [f"images/{n}" for n in names]
    pq.write_table(pa.table(columns), root / "samples.parquet")
    writer: pq.ParquetWriter | None = None
    try:
        for _, _, labels in view.objects.batches(None):  # a row group per batch
            if writer is None:
                writer = pq.ParquetWriter(root / "objects.parquet", labels.table.schema)
            writer.write_table(labels.table)
    finally:
        if writer is not None:
            writer.close()
    pq.write_table(view.classifications.table, root / "classifications.parquet")
    pairs = [(loc, root / "images" / n) for loc, n in zip(s["location"], names, strict=True)]
    return len(view.objects), pairs
