"""The image-quality job: measure every image's thumbnail, score, store computed fields.

Pixels are measured in a spawned worker process (decoding holds the GIL; cancelling the job
terminates the worker); scoring is numpy over the whole dataset; this process alone writes
the catalog, one transaction for all fields, replacing the previous run's.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog.extensions.computed import write_computed
from ..catalog.store.catalog import NotFoundError
from ..jobs import job_progress
from ..media.lookup import dataset_samples
from .fields import PRODUCER, flag_field, score_field
from .measure import CHUNK, RAW_COLUMNS, QualityRef, measure_quality
from .scores import ISSUES, IssueScores, score_issues

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext

THUMBNAILS_DIR = "thumbnails"
MAX_WORKERS = 4
"""Worker processes at most (one per core below that): a many-core server keeps cores for
its other requests."""


def reproduce_code(dataset: str) -> str:
    """The notebook call that reproduces a result."""
    return f"vl.dataset({dataset!r}).image_quality()"


def run_image_quality(
    catalog: Catalog,
    dataset: str,
    *,
    ctx: JobContext | None = None,
    in_process: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Score ``dataset``'s images for every issue type of :data:`~.scores.ISSUES`, store the
    ``computed.quality_<issue>_score`` and ``computed.is_<issue>_issue`` fields, and return
    the summary (:func:`summary`'s shape plus timings and what was not read).

    ``in_process`` measures in this process (tests, benchmarks) instead of worker
    processes; ``workers``: how many (default: one per core, at most :data:`MAX_WORKERS`).
    """
    started = time.monotonic()
    progress = job_progress(ctx)
    read = dataset_samples(catalog, dataset, ("width", "height"))
    samples = read.samples
    ids = samples["sample_id"].to_numpy()
    width = _floats(samples["width"])
    height = _floats(samples["height"])
    # the media route's rule: never read outside the media root, nor an impossible name
    confined = read.confine()
    position = {int(s): k for k, s in enumerate(ids)}
    refs = [
        QualityRef(sid, loc, _size(width[position[sid]]), _size(height[position[sid]]))
        for sid, loc in confined.items
    ]
    progress(0.0, f"measuring {len(refs):,} images")
    cache_root = str(catalog.data_dir / THUMBNAILS_DIR)
    raw = {name: np.full(len(ids), np.nan) for name in RAW_COLUMNS}
    measure_started, done = time.monotonic(), 0
    stream = (
        measure_quality(cache_root, refs)
        if in_process
        else worker_streams(ctx, cache_root, refs, workers)
    )
    for part in stream:
        rows = np.array([position[int(s)] for s in part["sample_id"].to_pylist()], dtype=np.int64)
        for name in RAW_COLUMNS:
            raw[name][rows] = _floats(part[name])
        done += len(part)
        progress(0.95 * done / max(len(refs), 1), f"measured {done:,} of {len(refs):,} images")
    measure_seconds = time.monotonic() - measure_started
    scored = score_issues(raw, width, height)
    params = json.dumps({"thresholds": scored.thresholds})
    write_computed(catalog, read.dataset_id, _fields(ids, scored), producer=PRODUCER, params=params)
    progress(1.0, "done")
    measured = int(np.isfinite(raw["entropy"]).sum())
    return {
        **_summary_dict(dataset, len(ids), measured, scored.thresholds, _counts(scored)),
        "unreadable": len(refs) - measured,
        **confined.summary(),
        "seconds": round(time.monotonic() - started, 3),
        "images_per_s": round(len(refs) / measure_seconds, 1) if measure_seconds > 0 else None,
    }


def worker_streams(
    ctx: JobContext | None, cache_root: str, refs: list[QualityRef], workers: int | None
) -> Iterator[pa.Table]:
    """The measured chunks of ``refs`` from ``workers`` spawned worker processes, each given
    a contiguous share, in the order they arrive
    (:func:`~visionlens_jlab.jobs.processes.stream_from_workers`)."""
    from ..jobs.processes import stream_from_workers

    n = workers or min(os.cpu_count() or 1, MAX_WORKERS)
    n = max(1, min(n, -(-len(refs) // CHUNK)))
    share = -(-len(refs) // n)
    shards = [refs[k * share : (k + 1) * share] for k in range(n)]
    yield from stream_from_workers(ctx, measure_quality, (cache_root,), shards)


def summary(catalog: Catalog, dataset: str) -> dict[str, Any]:
    """The stored result of the last run: per issue the flagged count and the thresholds
    used; NotFoundError if the dataset has none."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        fields = cur.execute(
            "SELECT field, params FROM computed_fields WHERE dataset_id = ? AND producer = ?",
            [dataset_id, PRODUCER],
        ).fetchall()
        if not fields:
            raise NotFoundError(
                f"no image quality computed for {dataset!r} yet: POST this path, or run "
                f"`visionlens image-quality {dataset}`"
            )
        rows = cur.execute(
            "SELECT field, COUNT(*) FILTER (WHERE text = 'true'), COUNT(*) FROM computed_values "
            "WHERE dataset_id = ? AND list_contains(?, field) GROUP BY field",
            [dataset_id, [flag_field(i) for i in ISSUES]],
        ).fetchall()
        n_images = cur.execute(
            "SELECT COUNT(*) FROM samples WHERE dataset_id = ?", [dataset_id]
        ).fetchall()[0][0]
    thresholds = json.loads(fields[0][1] or "{}").get("thresholds", {})
    by_field = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    counts = {issue: by_field.get(flag_field(issue), (0, 0))[0] for issue in ISSUES}
    measured = by_field.get(flag_field("dark"), (0, 0))[1]
    return _summary_dict(dataset, int(n_images), measured, thresholds, counts)


def _summary_dict(
    dataset: str,
    images: int,
    measured: int,
    thresholds: dict[str, Any],
    counts: dict[str, int],
) -> dict[str, Any]:
    """The stable JSON shape (docs/quality.md): one entry per issue type, in order."""
    return {
        "dataset": dataset,
        "images": images,
        "measured": measured,
        "issues": [
            {
                "issue": issue,
                "count": counts[issue],
                "thresholds": thresholds.get(issue, {}),
                "score_field": "computed." + score_field(issue),
                "flag_field": "computed." + flag_field(issue),
                "filter": {"sample": {"computed." + flag_field(issue): {"eq": "true"}}},
            }
            for issue in ISSUES
        ],
        "code": reproduce_code(dataset),
    }


def _counts(scored: IssueScores) -> dict[str, int]:
    return {issue: int(scored.flags[issue].sum()) for issue in ISSUES}


def _fields(ids: np.ndarray, scored: IssueScores) -> dict[str, tuple[Any, Any]]:
    """The computed fields: scores where known, flags only where the score is known."""
    out: dict[str, tuple[Any, Any]] = {}
    for issue in ISSUES:
        score = scored.scores[issue]
        known = np.isfinite(score)
        out[score_field(issue)] = (ids[known], np.round(score[known], 6))
        out[flag_field(issue)] = (
            ids[known],
            np.where(scored.flags[issue][known], "true", "false").tolist(),
        )
    return out


def _floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(column.cast(pa.float64()).fill_null(float("nan")).to_numpy(), dtype=float)


def _size(value: float) -> int | None:
    return int(value) if np.isfinite(value) and value > 0 else None
