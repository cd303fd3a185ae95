"""Pre-generate a dataset's thumbnails after ingest, in worker processes.

Local images are read from disk and GCS images are pulled once each (the object listing of
the media root gives every generation in one go, so no per-object metadata requests); every
requested size is rendered from that one read and written to the cache. The pass also
re-checks every image, so the dataset's bad-media counts are complete afterwards.

Robustness: each image has a decode time limit inside the worker; if a whole chunk still
hangs (or a worker dies), the pool is killed and the chunk retried one image at a time, so
one poisonous file costs one placeholder, never a hung job.

Cost: workers start without re-running the server's main script (see
:func:`~visionlens_jlab.jobs.processes.without_main_script`)
and at a lower CPU priority, so on a small machine the server keeps answering while they run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from ..catalog.store.catalog import Catalog
from ..jobs.processes import without_main_script
from ..worker_priority import lower_priority
from . import lookup, sources
from .cache import ThumbnailCache
from .confine import confine
from .errors import MEDIA_ERROR_CODES, MediaError, MediaUnavailableError
from .image_source import SourceVersion
from .imaging import snap_size
from .pregen_tasks import Task, TaskResult, render_chunk

CHUNK_SIZE = 16
PER_IMAGE_TIMEOUT_S = 30.0
LIST_TIMEOUT_S = 30.0
"""Per-request limit of the bucket listing (no retries: workers fall back to metadata)."""
HANG_GRACE_S = 30.0
"""A chunk with no progress for ``timeout_s`` per image plus this is declared hung (a decode
stuck in C code, storage that never answers): the pool is killed and the chunk retried."""
_POLL_S = 0.2


class ProgressContext(Protocol):
    """What the job manager's ``JobContext`` offers (``None`` is allowed too)."""

    @property
    def cancelled(self) -> bool: ...

    def progress(self, fraction: float | None, message: str = "") -> None: ...


class PregenCancelled(Exception):
    """The job was cancelled; thumbnails written so far stay valid."""


def pregenerate_thumbnails(
    ctx: ProgressContext | None,
    catalog: Catalog,
    dataset: str,
    cache: ThumbnailCache,
    sizes: tuple[int, ...] = (256,),
    *,
    variant: str = "auto",
    workers: int | None = None,
    timeout_s: float = PER_IMAGE_TIMEOUT_S,
    hang_grace_s: float = HANG_GRACE_S,
) -> dict[str, Any]:
    """Render the missing thumbnails of every sample of ``dataset`` into ``cache``.

    ``variant`` should match what browsers get (``auto`` for Accept with WebP, see
    :func:`~visionlens_jlab.media.http_answers.choose_variant`). Returns a JSON-able summary:
    ``{dataset, samples, generated, cached, bad_media: {code: n}, unavailable, refused,
    bad_names, ..._examples, seconds, images_per_s}`` (see :func:`.confine.confine`). Raises :class:`PregenCancelled` if ``ctx`` is cancelled
    (the job manager's ``JobCancelled`` when available).
    """
    started = time.monotonic()
    sizes = tuple(sorted({snap_size(s) for s in sizes}))
    dataset_id, media_root, rows = lookup.dataset_media(catalog, dataset)
    listed: dict[str, SourceVersion] = {}
    if media_root.startswith("gs://"):
        try:  # one listing instead of one metadata request per object
            listed = {
                o.location: o.version
                for o in sources.list_image_objects(media_root, timeout=LIST_TIMEOUT_S)
            }
        except (MediaError, MediaUnavailableError):
            listed = {}

    def tick(_n: int) -> None:
        if ctx is not None and ctx.cancelled:
            raise _cancelled_error()  # a deleted dataset's job stops at once

    # never read what the server refuses to serve (counted in the summary)
    confined = confine(rows, media_root, tick)
    tasks = [Task(sid, resolved, listed.get(resolved)) for sid, resolved in confined.items]

    results = _run(ctx, str(cache.root), tasks, sizes, variant, timeout_s, workers, hang_grace_s)

    bad = [
        (r.sample_id, r.error, r.detail)
        for r in results
        if r.error is not None and r.error in MEDIA_ERROR_CODES
    ]
    lookup.record_media_errors(catalog, dataset_id, bad, replace_all=True)
    cache.note_external_writes(sum(r.nbytes for r in results))
    seconds = time.monotonic() - started
    counts = dict.fromkeys(MEDIA_ERROR_CODES, 0)
    for _, code, _ in bad:
        counts[code] += 1
    return {
        "dataset": dataset,
        "samples": len(rows),
        "sizes": list(sizes),
        "generated": sum(r.generated for r in results),
        "cached": sum(r.cached for r in results),
        "bad_media": counts,
        "unavailable": sum(1 for r in results if r.error == "unavailable"),
        **confined.summary(),
        "seconds": round(seconds, 3),
        "images_per_s": round(len(tasks) / seconds, 1) if seconds > 0 else None,
    }


def _cancelled_error() -> Exception:
    try:
        from ..jobs.job import JobCancelled
    except ImportError:  # pragma: no cover - the jobs package is part of the product
        return PregenCancelled()
    return JobCancelled()


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, hung workers included (Python < 3.14 has no public way)."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        try:
            proc.kill()
        except Exception:
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool for thumbnail work; submit to it with :func:`submit`."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"), initializer=lower_priority
    )


def submit(pool: ProcessPoolExecutor, fn: Any, *args: Any) -> Future[Any]:
    """``pool.submit`` that starts any new worker without the main script (the pool starts
    workers lazily, inside ``submit``)."""
    with without_main_script():
        return pool.submit(fn, *args)


def _run(
    ctx: ProgressContext | None,
    cache_root: str,
    tasks: list[Task],
    sizes: tuple[int, ...],
    variant: str,
    timeout_s: float,
    workers: int | None,
    hang_grace_s: float,
) -> list[TaskResult]:
    total = len(tasks)
    if total == 0:
        return []
    workers = max(1, min(workers or min(2, os.cpu_count() or 1), total))
    queue: deque[list[Task]] = deque(tasks[i : i + CHUNK_SIZE] for i in range(0, total, CHUNK_SIZE))
    results: list[TaskResult] = []
    while queue:
        pool = new_pool(workers)
        inflight: dict[Future[list[TaskResult]], list[Task]] = {}
        broken = False
        last_done = time.monotonic()
        try:
            while (queue or inflight) and not broken:
                if ctx is not None and ctx.cancelled:
                    raise _cancelled_error()
                while queue and len(inflight) < 2 * workers:
                    chunk = queue.popleft()
                    fut = submit(pool, render_chunk, cache_root, chunk, sizes, variant, timeout_s)
                    inflight[fut] = chunk
                done, _ = wait(inflight, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk = inflight.pop(fut)
                    try:
                        results.extend(fut.result())
                    except BrokenProcessPool:
                        broken = True
                        _retry_or_fail(queue, chunk, results, "a worker process died")
                    last_done = time.monotonic()
                longest = max((len(c) for c in inflight.values()), default=0)
                if (
                    not done
                    and inflight
                    and time.monotonic() - last_done > timeout_s * longest + hang_grace_s
                ):
                    broken = True  # hung beyond the in-worker alarm: kill and retry singly
                    for chunk in inflight.values():
                        _retry_or_fail(queue, chunk, results, "hung: the worker was killed")
                    inflight.clear()
                if done and ctx is not None:
                    ctx.progress(len(results) / total, f"thumbnails: {len(results)}/{total} images")
            if broken:
                for chunk in inflight.values():  # innocent bystanders: run them again
                    queue.append(chunk)
        finally:
            if broken or queue or inflight:
                _kill(pool)
            else:
                pool.shutdown(wait=True)
    return results


def _retry_or_fail(
    queue: deque[list[Task]], chunk: list[Task], results: list[TaskResult], why: str
) -> None:
    """Split a failed chunk into single images; a single image that fails again is given up:
    ``unavailable`` for GCS (storage that never answered; not counted as bad media), else
    ``too_large`` (a decode that never finished or killed its worker)."""
    if len(chunk) > 1:
        queue.extend([t] for t in chunk)
    else:
        task = chunk[0]
        code = "unavailable" if task.location.startswith("gs://") else "too_large"
        results.append(TaskResult(task.sample_id, error=code, detail=why))
