"""Synthetic datasets for the notebook API tests and benchmarks.

Rows are written through the real ingest writer (``write_dataset`` / ``write_predictions``)
from Arrow batches with the parser schemas, so the catalog holds exactly what an ingest
would produce, at any size, in seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.batches import ANNOTATION_SCHEMA, SAMPLE_SCHEMA, Batch
from visionlens_jlab.ingest.report import IngestReport
from visionlens_jlab.ingest.writer import write_dataset, write_predictions

CLASSES = ["cat", "dog", "person", "car", "bus"]


@dataclass
class SyntheticSource:
    """A ``ParsedSource`` of ``n`` images with ``boxes_per_image`` boxes each (predictions
    when ``predictions`` is true: they name their image by file name and carry a score)."""

    n: int
    boxes_per_image: int
    predictions: bool = False
    batch_rows: int = 20_000
    segmentation: bool = False
    format: str = "coco"
    source: str = "synthetic.json"
    media_root: str = "/nonexistent"
    report: IngestReport = field(default_factory=IngestReport)

    def batches(self) -> Iterator[Batch]:
        rng = np.random.default_rng(7 if self.predictions else 3)
        for start in range(0, self.n, self.batch_rows):
            idx = np.arange(start, min(self.n, start + self.batch_rows), dtype=np.int64)
            samples = None
            if not self.predictions:
                samples = pa.table(
                    {
                        "sample_index": idx,
                        "file_name": [f"img_{i:07d}.jpg" for i in idx],
                        "location": [f"/nonexistent/img_{i:07d}.jpg" for i in idx],
                        "width": np.full(len(idx), 640, dtype=np.int32),
                        "height": np.full(len(idx), 480, dtype=np.int32),
                        "split": ["train" if i % 5 else "val" for i in idx],
                        "source_image_id": [str(i) for i in idx],
                        "fields": [json.dumps({"weather": "rain" if i % 3 == 0 else "sun",
                                               "quality": int(i % 10)}) for i in idx],
                    },
                    schema=SAMPLE_SCHEMA,
                )
            k = self.boxes_per_image
            rows = len(idx) * k
            owner = np.repeat(idx, k)
            xy = rng.uniform(0, 400, size=(rows, 2))
            wh = rng.uniform(5, 200, size=(rows, 2))
            labels = np.array(CLASSES, dtype=object)[(owner + np.tile(np.arange(k), len(idx))) % 5]
            seg = (
                [json.dumps([[float(a), float(b), float(a) + 5, float(b), float(a), float(b) + 5]])
                 for a, b in xy]
                if self.segmentation
                else None
            )
            columns = {
                "sample_index": None if self.predictions else owner,
                "image_ref": [f"img_{i:07d}.jpg" for i in owner] if self.predictions else None,
                "label": labels,
                "x": xy[:, 0],
                "y": xy[:, 1],
                "w": wh[:, 0],
                "h": wh[:, 1],
                "score": rng.uniform(0, 1, rows) if self.predictions else None,
                "area": wh[:, 0] * wh[:, 1],
                "iscrowd": np.zeros(rows, dtype=bool),
                "difficult": np.zeros(rows, dtype=bool),
                "source_ann_id": None,
                "segmentation": seg,
                "attributes": None,
                "normalized": np.zeros(rows, dtype=bool),
            }
            ann = None
            if rows:
                ann = pa.table(
                    {
                        name: pa.nulls(rows, ANNOTATION_SCHEMA.field(name).type)
                        if value is None
                        else value
                        for name, value in columns.items()
                    },
                    schema=ANNOTATION_SCHEMA,
                )
            yield Batch(samples=samples, annotations=ann)

    def categories(self) -> list[tuple[str, str | None]]:
        return [(c, None) for c in CLASSES]


def write_synthetic(
    catalog: Catalog,
    name: str,
    n: int,
    boxes_per_image: int,
    *,
    model: str | None = None,
    preds_per_image: int = 0,
    segmentation: bool = False,
) -> None:
    """Write a synthetic dataset (and optionally one model's predictions) into ``catalog``."""
    write_dataset(catalog, name, SyntheticSource(n, boxes_per_image, segmentation=segmentation))
    if model:
        write_predictions(
            catalog, name, model, SyntheticSource(n, preds_per_image, predictions=True)
        )
