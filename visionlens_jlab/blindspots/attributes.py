"""The attributes job: measure every image and ground-truth object of a dataset, store them.

Pixels are measured in a worker process (the server's GIL stays free; cancelling the job
stops it); the server process alone reads and writes the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH
from ..catalog.extensions.measured import write_object_attributes, write_sample_attributes
from ..media.lookup import dataset_samples
from .geometry import object_attributes
from .pixels import PIXEL_COLUMNS, ImageRef, measure_images

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext

Progress = Callable[[float, str], None]


def compute_attributes(
    catalog: Catalog,
    dataset: str,
    cache_root: str,
    *,
    job: JobContext | None = None,
    progress: Progress | None = None,
    in_process: bool = False,
) -> dict[str, Any]:
    """Measure and store the attributes of ``dataset``; returns a JSON-able summary.

    ``in_process`` measures pixels in this process (tests, benchmarks); otherwise in a
    spawned worker process streaming results back.
    """
    started = time.monotonic()
    report = progress or (lambda fraction, message: None)
    read = dataset_samples(catalog, dataset, ("width", "height"))
    dataset_id, samples = read.dataset_id, read.samples
    with catalog.cursor() as cur:
        boxes = cur.sql(
            """
            SELECT a.ann_id, a.sample_id, a.x, a.y, a.w, a.h, a.area, s.width, s.height
            FROM annotations a JOIN samples s ON s.sample_id = a.sample_id
            WHERE a.dataset_id = ? AND a.source = ? ORDER BY a.ann_id
            """,
            params=[dataset_id, GROUND_TRUTH],
        ).to_arrow_table()
    report(0.05, f"measuring {len(boxes)} objects")
    objects = object_attributes(
        boxes["ann_id"].to_numpy(),
        boxes["sample_id"].to_numpy(),
        np.column_stack([_floats(boxes[c]) for c in ("x", "y", "w", "h")]),
        _floats(boxes["area"]),
        _floats(boxes["width"]),
        _floats(boxes["height"]),
    )
    write_object_attributes(catalog, dataset_id, objects)

    # the media route's rule: never read outside the media root, nor an impossible name
    confined = read.confine()
    refs = [ImageRef(sample_id, location) for sample_id, location in confined.items]
    report(0.1, f"measuring {len(refs)} images")
    parts: list[pa.Table] = []
    pixel_started = time.monotonic()
    if in_process:
        stream = measure_images(cache_root, refs)
    else:
        from ..jobs import stream_from_worker

        stream = stream_from_worker(job, measure_images, cache_root, refs)
    for part in stream:
        parts.append(part)
        done = sum(len(p) for p in parts)
        report(0.1 + 0.85 * done / max(len(refs), 1), f"{done}/{len(refs)} images measured")
    pixel_seconds = time.monotonic() - pixel_started
    empty = pa.table(
        {"sample_id": pa.array([], pa.int64())}
        | {c: pa.array([], pa.bool_() if c == "grayscale" else pa.float64()) for c in PIXEL_COLUMNS}
    )
    pixels = pa.concat_tables(parts) if parts else empty
    table = _with_header_attributes(samples, pixels)
    write_sample_attributes(catalog, dataset_id, table)
    report(1.0, "done")
    measured = int(pc.sum(pc.is_valid(pixels["brightness"])).as_py() or 0)
    return {
        "dataset": dataset,
        "images": len(samples),
        "measured": measured,
        "unreadable": len(refs) - measured,
        **confined.summary(),
        "objects": len(objects),
        "seconds": round(time.monotonic() - started, 3),
        "images_per_s": round(len(refs) / pixel_seconds, 1) if pixel_seconds > 0 else None,
    }


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.cast(pa.float64()).fill_null(float("nan")).to_numpy(), dtype=float)


def _with_header_attributes(samples: pa.Table, pixels: pa.Table) -> pa.Table:
    """Pixel measurements joined with what the image header gives (megapixels, aspect)."""
    w, h = _floats(samples["width"]), _floats(samples["height"])
    with np.errstate(invalid="ignore", divide="ignore"):
        megapixels = np.round(w * h / 1e6, 4)
        aspect = np.round(w / h, 4)
    header = pa.table(
        {
            "sample_id": samples["sample_id"],
            "megapixels": pa.array(megapixels, mask=~np.isfinite(megapixels)),
            "aspect": pa.array(aspect, mask=~np.isfinite(aspect)),
        }
    )
    return header.join(pixels, "sample_id", join_type="left outer").sort_by("sample_id")
