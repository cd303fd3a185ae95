"""The job manager: runs job functions off the event loop and tracks their progress.

A job function takes a :class:`JobContext` and returns a JSON-able result. It runs on a
thread of a small pool; CPU-heavy parts run in worker processes (:mod:`.processes`) so the
server's GIL stays free and a crash cannot take the server down.
"""

from __future__ import annotations

import builtins
import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .journal import JobJournal

log = logging.getLogger(__name__)

JobFunction = Callable[["JobContext"], Any]
MAX_FINISHED_JOBS = 200


class JobCancelled(Exception):
    """Raised inside a job function (by :meth:`JobContext.check_cancelled`) to stop it."""


@dataclass
class Job:
    """One background job as the REST API shows it."""

    id: str
    kind: str
    title: str
    status: str = "queued"  # queued | running | done | failed | cancelled
    progress: float | None = None
    message: str = ""
    result: Any = None
    error: str | None = None
    created_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
    )
    updated: float = field(default_factory=time.monotonic)
    lane: str = "default"
    """``"gpu"``: the one-at-a-time queue of heavy model jobs (embeddings)."""
    stage: str = ""
    items_per_second: float | None = None
    eta_seconds: float | None = None
    queue_position: int | None = None
    """1-based place among the queued jobs of its lane; ``None`` once running."""
    dataset: str | None = None
    """The dataset the job works on: deleting it cancels the job (see
    :meth:`JobManager.cancel_dataset`)."""
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at,
            "lane": self.lane,
            "stage": self.stage,
            "items_per_second": self.items_per_second,
            "eta_seconds": self.eta_seconds,
            "queue_position": self.queue_position,
            "dataset": self.dataset,
        }


class JobContext:
    """What a running job function sees: progress reporting and cancellation."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self._rate_start: tuple[str, float, int] | None = None  # stage, time, items done

    @property
    def job_id(self) -> str:
        return self._job.id

    @property
    def cancelled(self) -> bool:
        return self._job.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled."""
        if self.cancelled:
            raise JobCancelled()

    def progress(self, fraction: float | None, message: str = "") -> None:
        """Report progress: ``fraction`` in [0, 1], or ``None``/negative when unknown."""
        job = self._job
        if fraction is not None and fraction >= 0:
            job.progress = min(1.0, float(fraction))
        if message:
            job.message = message
        job.updated = time.monotonic()

    def items(
        self,
        stage: str,
        done: int,
        total: int,
        message: str = "",
        *,
        fraction: float | None = None,
    ) -> None:
        """Report ``done`` of ``total`` items in ``stage``: progress, items/s and ETA.

        The rate is measured from the first report of the stage, so model loading or a
        queue wait before it does not count; the ETA is the stage's. ``fraction`` is the
        job's overall progress when the stage is one of several (default ``done/total``).
        """
        job, now = self._job, time.monotonic()
        if self._rate_start is None or self._rate_start[0] != stage:
            self._rate_start = (stage, now, done)
        _, t0, done0 = self._rate_start
        job.stage = stage
        if now > t0 and done > done0:
            rate = (done - done0) / (now - t0)
            job.items_per_second = round(rate, 2)
            job.eta_seconds = round(max(0, total - done) / rate, 1)
        if fraction is None:
            fraction = done / total if total else 1.0
        self.progress(fraction, message or f"{stage}: {done}/{total}")

    def stage(self, stage: str, message: str = "", *, fraction: float | None = None) -> None:
        """Enter a stage with no item count (loading a model, writing): no rate, no ETA."""
        job = self._job
        if job.stage != stage:
            job.items_per_second = job.eta_seconds = None
        job.stage = stage
        self.progress(fraction, message or stage)


def job_progress(ctx: JobContext | None) -> Callable[[float, str], None]:
    """A ``progress(fraction, message)`` for engine code that runs as a job or in the CLI:
    it raises :class:`JobCancelled` when the job was cancelled and reports to ``ctx``, and
    does nothing without a job (``ctx`` None)."""

    def progress(fraction: float, message: str) -> None:
        if ctx is not None:
            ctx.check_cancelled()
            ctx.progress(fraction, message)

    return progress


class JobManager:
    """Runs job functions on a thread pool and keeps their state for the REST API."""

    def __init__(
        self,
        max_workers: int = 2,
        journal: JobJournal | None = None,
        on_status: Callable[[Job], None] | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="visionlens-job"
        )
        self._gpu_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="visionlens-gpu")
        self._gpu_queue: list[Job] = []  # queued jobs of the gpu lane, in order
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopping = False
        self._journal = journal
        self._save_lock = threading.Lock()
        self._on_status = on_status
        if journal is not None:
            for record in journal.load():
                job = _job_from_record(record)
                self._jobs[job.id] = job
            self._save()

    def submit(
        self,
        kind: str,
        fn: JobFunction,
        *,
        title: str = "",
        then: Callable[[Any], None] | None = None,
        lane: str = "default",
        dataset: str | None = None,
    ) -> Job:
        """Queue ``fn(ctx)``; ``then(result)`` runs after it succeeds (e.g. a follow-up job).

        ``lane="gpu"`` jobs run one at a time, in order, on their own thread (they hold a
        GPU or every core), and show their ``queue_position`` while they wait. ``dataset``:
        the dataset it works on, whose deletion cancels it.
        """
        if lane not in ("default", "gpu"):
            raise ValueError(f"unknown job lane {lane!r}")
        if self._stopping:
            raise RuntimeError("the server is stopping: no new jobs")
        job = Job(
            id=f"{int(time.time())}-{next(self._ids)}",
            kind=kind,
            title=title or kind,
            lane=lane,
            dataset=dataset,
        )
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
            if lane == "gpu":
                self._gpu_queue.append(job)
                self._renumber()
        self._status_changed(job)  # queued is said before a worker can say running
        (self._gpu_pool if lane == "gpu" else self._pool).submit(self._run, job, fn, then)
        return job

    def _renumber(self) -> None:
        """Queue positions of the gpu lane; call with the lock held."""
        for position, queued in enumerate(self._gpu_queue, start=1):
            queued.queue_position = position

    def _leave_queue(self, job: Job) -> None:
        with self._lock:
            if job in self._gpu_queue:
                self._gpu_queue.remove(job)
                job.queue_position = None
                self._renumber()

    def _run(self, job: Job, fn: JobFunction, then: Callable[[Any], None] | None) -> None:
        self._leave_queue(job)
        if job.cancel_event.is_set():
            self._finish(job, "cancelled", self._cancel_message())
            return
        job.status = "running"
        self._status_changed(job)
        try:
            result = fn(JobContext(job))
        except JobCancelled:
            self._finish(job, "cancelled", self._cancel_message())
            return
        except Exception as exc:
            if job.cancel_event.is_set():
                self._finish(job, "cancelled", self._cancel_message())
                return
            job.error = str(exc) or type(exc).__name__
            log.warning("job %s (%s) failed: %s", job.id, job.kind, job.error)
            log.debug("%s", traceback.format_exc())
            self._finish(job, "failed", job.message)
            return
        job.result = result
        job.progress = 1.0
        if then is not None:
            # Queued before the job shows as done: whoever sees "done" (and may delete the
            # dataset at once) also sees, and cancels, the follow-up.
            try:
                then(result)
            except Exception:
                log.exception("follow-up of job %s failed", job.id)
        self._finish(job, "done", job.message)

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if known."""
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """All known jobs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.id, reverse=True)

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop; worker processes are terminated by their streams."""
        job = self._jobs.get(job_id)
        if job is not None and not job.finished:
            job.cancel_event.set()
            if job.status == "queued":
                self._leave_queue(job)
                self._finish(job, "cancelled", "cancelled")
        return job

    def cancel_dataset(self, dataset: str, timeout: float = 0.0) -> builtins.list[Job]:
        """Cancel every unfinished job of ``dataset`` (before it is deleted) and wait up to
        ``timeout`` seconds for the running ones to stop. Returns the jobs cancelled."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.dataset == dataset and not j.finished]
        for job in jobs:
            self.cancel(job.id)
        deadline = time.monotonic() + timeout
        while any(not j.finished for j in jobs) and time.monotonic() < deadline:
            time.sleep(0.02)
        return jobs

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until the job finishes (for tests and the CLI)."""
        deadline = time.monotonic() + timeout
        job = self._jobs[job_id]
        while not job.finished:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.status} after {timeout} s")
            time.sleep(0.02)
        return job

    def shutdown(self, timeout: float = 0.0) -> builtins.list[Job]:
        """Cancel everything, stop the pool, and wait up to ``timeout`` seconds for running
        jobs to wind down (a cancelled ingest deletes what it wrote; the catalog must stay
        open until it has). Returns the jobs still running after the wait."""
        self._stopping = True
        for job in list(self._jobs.values()):
            if not job.finished:
                job.cancel_event.set()
                if job.status == "queued":
                    self._leave_queue(job)
                    self._finish(job, "cancelled", self._cancel_message())
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._gpu_pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        running = [j for j in self._jobs.values() if not j.finished]
        while running and time.monotonic() < deadline:
            time.sleep(0.05)
            running = [j for j in running if not j.finished]
        self._save()
        return running

    def _cancel_message(self) -> str:
        return "cancelled: the server stopped" if self._stopping else "cancelled"

    def _finish(self, job: Job, status: str, message: str) -> None:
        job.status, job.message = status, message
        job.updated = time.monotonic()
        self._status_changed(job)

    def _status_changed(self, job: Job) -> None:
        """Journal the change and tell ``on_status`` (the server's job events); a failing
        listener is logged, never the job's failure."""
        self._save()
        if self._on_status is not None:
            try:
                self._on_status(job)
            except Exception:
                log.exception("job %s: the status listener failed", job.id)

    def _save(self) -> None:
        """Copy every record to the journal (at status changes only, never per progress).

        Snapshot and write happen under one lock, so an older snapshot never overwrites a
        newer one (a job shown running after it finished would read as interrupted)."""
        if self._journal is not None:
            with self._save_lock:
                with self._lock:
                    records = [j.to_dict() for j in self._jobs.values()]
                self._journal.save(records)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in sorted(finished, key=lambda j: j.updated)[
            : max(0, len(finished) - MAX_FINISHED_JOBS)
        ]:
            del self._jobs[job.id]


def _job_from_record(record: dict[str, Any]) -> Job:
    """A finished job of an earlier run, as the journal kept it."""
    return Job(
        id=record["id"],
        kind=str(record.get("kind", "")),
        title=str(record.get("title", "")),
        status=str(record["status"]),
        progress=record.get("progress"),
        message=str(record.get("message", "")),
        result=record.get("result"),
        error=record.get("error"),
        created_at=str(record.get("created_at", "")),
        dataset=record.get("dataset"),
    )
