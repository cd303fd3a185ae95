"""The duplicates job: gather a dataset's hashes and vectors, find duplicates, store them.

Runs on a job thread of the server (or in the CLI's process when no server runs): the
image hashes are computed in a spawned worker process (decoding is CPU-bound Python/C
that would hold the GIL against the server's event loop); the near-duplicate join is numpy
matmuls, which release the GIL. Only this process writes the catalog.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog.extensions.computed import write_computed
from ..catalog.reads.result_basis import basis
from ..jobs import job_progress
from ..media.lookup import DatasetSamples, dataset_samples
from ..search.spaces import NoVectorsError, choose_space, read_vectors
from .compute import DuplicateInputs, find_duplicates
from .hashes import DEFAULT_MAX_DISTANCE, hash_chunks
from .near import DEFAULT_THRESHOLD, normalize_rows
from .results import save_result

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext
    from ..vectors import VectorStore


def check_threshold(threshold: Any) -> float:
    """The similarity threshold as a float in (0, 1], or ValueError with the reason."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValueError("'threshold' must be a number in (0, 1], e.g. 0.95")
    if not 0 < float(threshold) <= 1:
        raise ValueError(f"'threshold' must be in (0, 1], got {threshold}")
    return float(threshold)


def reproduce_code(dataset: str, threshold: float, exact: bool, model: str | None) -> str:
    """The notebook call that reproduces a duplicates result."""
    args = [f"threshold={threshold!r}"]
    if exact:
        args.append("exact=True")
    if model:
        args.append(f"model={model!r}")
    return f"vl.dataset({dataset!r}).duplicates({', '.join(args)})"


def run_duplicates(
    catalog: Catalog,
    store: VectorStore | None,
    dataset: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exact: bool = False,
    model: str | None = None,
    hashes: bool = True,
    max_hamming: int = DEFAULT_MAX_DISTANCE,
    ctx: JobContext | None = None,
) -> dict[str, Any]:
    """Find the duplicates of ``dataset``, write its computed fields and its last result."""
    started = time.monotonic()
    threshold = check_threshold(threshold)

    progress = job_progress(ctx)
    read = dataset_samples(catalog, dataset, ("split",))
    dataset_id = read.dataset_id
    with catalog.cursor() as cur:
        computed_over = basis(cur, dataset_id)
    sample_ids = np.asarray(read.samples["sample_id"].to_numpy(), dtype=np.int64)
    data = DuplicateInputs(sample_ids, read.samples["split"].to_pylist())
    notes: list[str] = []
    space_info = None
    try:
        space_info = choose_space(store, dataset, dataset_id, model)[0]
    except NoVectorsError as exc:
        if model is not None:
            raise
        notes.append(f"near duplicates skipped: {exc}")
    if space_info is not None and store is not None:
        progress(0.0, f"reading the vectors of {space_info.model}")
        ids, vectors = read_vectors(store, space_info, dataset_id, progress)
        data.vector_ids, data.vectors = ids, normalize_rows(vectors)
    skipped: dict[str, Any] = {}
    if hashes:
        data.content, data.phash, data.thumbs, skipped = _hashes(read, progress, ctx)
    result, fields = find_duplicates(
        data, threshold, exact=exact, max_hamming=max_hamming, progress=progress
    )
    params = {"threshold": threshold, "exact": exact, "model": model, "hashes": hashes}
    write_computed(catalog, dataset_id, fields, producer="duplicates", params=json.dumps(params))
    result.update(
        {
            "dataset": dataset,
            "model": space_info.model if space_info else None,
            "space": space_info.name if space_info else None,
            "exact": exact,
            "hashes": hashes,
            "notes": notes,
            **skipped,
            "fields": sorted(fields),
            "seconds": round(time.monotonic() - started, 3),
            "code": reproduce_code(dataset, threshold, exact, model),
        }
    )
    save_result(catalog, dataset_id, result, computed_over)
    return result


def _hashes(
    read: DatasetSamples,
    progress: Callable[[float, str], None],
    ctx: JobContext | None,
) -> tuple[list[bytes | None], list[int | None], list[bytes | None], dict[str, Any]]:
    """Content hash, pHash and thumbnail of every sample's image (None where it cannot be
    read), and what was not read (:meth:`~visionlens_jlab.media.confine.Confined.summary`)."""
    from ..jobs.processes import stream_from_worker

    # outside the media root or an impossible name: never read (the media route refuses it too)
    confined = read.confine()
    items = confined.items
    index = {int(s): k for k, s in enumerate(read.samples["sample_id"].to_pylist())}
    count = len(read.samples)
    content: list[bytes | None] = [None] * count
    phash: list[int | None] = [None] * count
    thumbs: list[bytes | None] = [None] * count
    done = 0
    for chunk in stream_from_worker(ctx, hash_chunks, items):
        for sample_id, digest, ph, thumb in chunk:
            content[index[sample_id]] = digest
            phash[index[sample_id]] = ph
            thumbs[index[sample_id]] = thumb
        done += len(chunk)
        progress(done / max(1, len(items)), f"hashed {done:,} of {len(items):,} images")
    return content, phash, thumbs, confined.summary()
