"""Map jobs: read the vectors (server), reduce them (worker process), store the map (server).

UMAP and t-SNE run in a spawned worker process: minutes of numba/C++ work that would
otherwise hold the server's GIL, and a crash there cannot take the server down. The
vectors reach the worker as a temporary ``.npy`` file (memory-mapped there) rather than
through a pipe. PCA runs on the job's thread: its cost is two BLAS passes that release
the GIL, shorter than starting a worker (~1 s). Progress is reported as embedding jobs
report it: the job's ``stage`` (:mod:`..maps.progress`), overall fraction, and for counted
stages (vectors read, neighbour cells, t-SNE iterations) items/s and the stage's ETA.
Cancelling terminates the worker.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..jobs import stream_from_worker
from ..jobs.kinds import JobEffects, JobKind
from ..jobs.manager import JobContext
from .params import MapError
from .pca import PcaBasis
from .progress import WRITING, Progress, scaled
from .reduce import reduce_vectors
from .store import MapKey, describe, read_vectors, resolve, space_ids
from .tables import get_map, read_points, update_points, write_map

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs.manager import Job, JobManager
    from ..vectors import VectorStore

MAP_JOB = JobKind("map", JobEffects())
"""A 2-D map: the map panel reads it from its own job; no sample data changes."""

READ_SHARE = 0.2
"""Share of a job's progress bar spent reading vectors from the store."""


def reduction_items(
    vectors: np.ndarray, method: str, params: dict[str, Any], distance: str
) -> Iterator[tuple[Any, ...]]:
    """Yield ``("progress", fraction, stage, done, total)`` items, then
    ``("result", coords, transform)``.

    The reduction reports progress through a callback; it runs on a thread so that this
    generator can pass each report on as it comes (to the worker's stream, or inline).
    """
    reports: queue.Queue[tuple[Any, ...]] = queue.Queue()

    def run() -> None:
        try:

            def progress(
                fraction: float, stage: str, done: int | None = None, total: int | None = None
            ) -> None:
                reports.put(("progress", fraction, stage, done, total))

            reduced = reduce_vectors(vectors, method, params, distance, progress)
            reports.put(("result", reduced.coords, reduced.transform))
        except BaseException as exc:  # handed to the consumer, which raises it
            reports.put(("error", exc))

    thread = threading.Thread(target=run, name="visionlens-map-reduce", daemon=True)
    thread.start()
    while True:
        item = reports.get()
        if item[0] == "error":
            raise item[1]
        yield item
        if item[0] == "result":
            return


def reduction_items_from_file(
    path: str, method: str, params: dict[str, Any], distance: str
) -> Iterator[tuple[Any, ...]]:
    """:func:`reduction_items` over vectors saved with ``np.save`` (the worker's entry)."""
    yield from reduction_items(np.load(path, mmap_mode="r"), method, params, distance)


def compute_map(
    catalog: Catalog,
    store: VectorStore,
    key: MapKey,
    ctx: JobContext | None = None,
    *,
    in_worker: bool = True,
) -> dict[str, Any]:
    """Compute the map of ``key`` from the current vectors and store it; its descriptor."""
    report = _reporter(ctx)
    ids = store.ids(key.space.name, key.dataset_id)
    if len(ids) < 3:
        raise MapError(f"a map needs at least 3 embedded samples, this dataset has {len(ids)}")
    ids, vectors = read_vectors(store, key.space.name, ids, scaled(report, 0.0, READ_SHARE))
    started = time.perf_counter()
    if in_worker and key.method != "pca":
        # The worker reads its own copy: the server keeps no 200 MB array for minutes.
        items = _worker_items(ctx, _save_temp(vectors), key)
        del vectors
    else:
        items = _inline_items(ctx, vectors, key)
    coords, transform = None, None
    reduction = scaled(report, READ_SHARE, (1 - READ_SHARE) * 0.98)
    for item in items:
        if item[0] == "progress":
            reduction(float(item[1]), str(item[2]), item[3], item[4])
        else:
            coords, transform = item[1], item[2]
    if coords is None:
        raise MapError("the reduction ended without a result")
    seconds = time.perf_counter() - started
    report(READ_SHARE + (1 - READ_SHARE) * 0.98, WRITING)
    write_map(
        catalog,
        dataset_id=key.dataset_id,
        map_id=key.id,
        space=key.space.name,
        method=key.method,
        params=key.params,
        sample_ids=ids,
        coords=coords,
        seconds=seconds,
        transform=transform,
    )
    return _descriptor(catalog, store, key)


def _inline_items(
    ctx: JobContext | None, vectors: np.ndarray, key: MapKey
) -> Iterator[tuple[Any, ...]]:
    for item in reduction_items(vectors, key.method, key.params, key.space.distance):
        if ctx is not None:
            ctx.check_cancelled()
        yield item


def _save_temp(vectors: np.ndarray) -> str:
    fd, path = tempfile.mkstemp(prefix="visionlens-map-", suffix=".npy")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32))
    except BaseException:
        os.unlink(path)
        raise
    return path


def _worker_items(ctx: JobContext | None, path: str, key: MapKey) -> Iterator[tuple[Any, ...]]:
    """The worker's items; the vectors file is removed when the stream ends, however."""
    try:
        yield from stream_from_worker(
            ctx, reduction_items_from_file, path, key.method, key.params, key.space.distance
        )
    finally:
        os.unlink(path)


def place_new_samples(
    catalog: Catalog, store: VectorStore, key: MapKey, ctx: JobContext | None = None
) -> dict[str, Any]:
    """Bring a PCA map up to date: project samples embedded since, drop those unembedded."""
    record = get_map(catalog, key.dataset_id, key.id)
    if record is None or not record.get("transform"):
        return compute_map(catalog, store, key, ctx, in_worker=False)
    current = store.ids(key.space.name, key.dataset_id)
    mapped = read_points(catalog, key.dataset_id, key.id).sample_ids
    missing = np.setdiff1d(current, mapped, assume_unique=True)
    removed = np.setdiff1d(mapped, current, assume_unique=True)
    report = _reporter(ctx)
    ids, vectors = read_vectors(store, key.space.name, missing, report)
    coords = (
        PcaBasis.from_bytes(record["transform"]).project(vectors)
        if len(ids)
        else np.empty((0, 2), dtype=np.float32)
    )
    update_points(
        catalog, key.dataset_id, key.id, add_ids=ids, add_coords=coords, remove_ids=removed
    )
    return {**_descriptor(catalog, store, key), "placed": int(len(ids))}


def _descriptor(catalog: Catalog, store: VectorStore, key: MapKey) -> dict[str, Any]:
    record = get_map(catalog, key.dataset_id, key.id)
    assert record is not None
    current = space_ids(store, key.space.name, key.dataset_id)
    return {**describe(catalog, record, key.dataset, key.dataset_id, current), "cached": False}


def _reporter(ctx: JobContext | None) -> Progress:
    """The job's progress: ``stage``, fraction, and items/s and ETA for counted stages."""

    def report(
        fraction: float, stage: str, done: int | None = None, total: int | None = None
    ) -> None:
        if ctx is None:
            return
        ctx.check_cancelled()
        if done is not None and total:
            ctx.items(stage, done, total, f"{stage}: {done} of {total}", fraction=fraction)
        else:
            ctx.stage(stage, fraction=fraction)

    return report


class MapJobs:
    """Starts map jobs for the server: one job per map at a time, stored maps answered at once."""

    def __init__(
        self, jobs: JobManager, catalog: Catalog, store: Callable[[], VectorStore]
    ) -> None:
        self._jobs = jobs
        self._catalog = catalog
        self._store = store
        self._running: dict[str, Job] = {}
        self._lock = threading.Lock()

    def request(
        self,
        dataset: str,
        *,
        space: str | None,
        method: Any,
        params: Any,
        recompute: bool = False,
    ) -> tuple[dict[str, Any] | None, Job | None]:
        """``(descriptor, None)`` when the stored map answers, else ``(None, job)``.

        A stored map is the answer unless ``recompute``; when samples were embedded or
        unembedded since, a PCA map is brought up to date by a job (projection), and a
        UMAP / t-SNE map is answered as it is, marked ``stale`` with the counts.
        """
        store = self._store()
        key = resolve(self._catalog, store, dataset, space, method, params)
        with self._lock:
            job = self._running.get(key.id)
            if job is not None and not job.finished:
                return None, job
            action, desc = plan_map(self._catalog, store, key, recompute=recompute)
            if desc is not None:
                return desc, None

            def run(ctx: JobContext) -> dict[str, Any]:
                if action == "place":
                    return place_new_samples(self._catalog, store, key, ctx)
                return compute_map(self._catalog, store, key, ctx)

            title = (
                f"Place new samples on the PCA map of {dataset}"
                if action == "place"
                else f"{key.method.upper()} map of {dataset} ({key.space.model})"
            )
            self._running = {k: j for k, j in self._running.items() if not j.finished}
            job = self._jobs.submit(MAP_JOB, run, title=title, dataset=dataset)
            self._running[key.id] = job
            return None, job


def plan_map(
    catalog: Catalog, store: VectorStore, key: MapKey, *, recompute: bool = False
) -> tuple[str, dict[str, Any] | None]:
    """What a map request needs: ``("cached", descriptor)``, ``("place", None)`` (a PCA map
    whose samples changed: project the new ones) or ``("compute", None)``.

    A stored UMAP / t-SNE map whose samples changed is answered as it is, marked ``stale``
    with the counts: recomputing takes minutes, so only ``recompute`` asks for it.
    """
    record = None if recompute else get_map(catalog, key.dataset_id, key.id)
    if record is None:
        return "compute", None
    current = space_ids(store, key.space.name, key.dataset_id)
    desc = describe(catalog, record, key.dataset, key.dataset_id, current)
    if desc["stale"] and key.method == "pca":
        return "place", None
    return "cached", {**desc, "cached": True}


def run_map(
    catalog: Catalog, store: VectorStore, key: MapKey, *, recompute: bool = False
) -> dict[str, Any]:
    """Answer a map request in this process, without a job (the CLI without a server)."""
    action, desc = plan_map(catalog, store, key, recompute=recompute)
    if desc is not None:
        return desc
    if action == "place":
        return place_new_samples(catalog, store, key)
    return compute_map(catalog, store, key, in_worker=False)
