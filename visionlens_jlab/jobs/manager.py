"""The job manager: runs job functions off the event loop and tracks their progress.

A job function takes a :class:`~.job.JobContext` and returns a JSON-able result. It runs on a
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
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any

from .. import metrics
from .gpu_lane import LaneQueue
from .job import Job, JobCancelled, JobContext, JobPaused, clean_error
from .journal import JobJournal, job_from_record
from .kinds import JobKind

log = logging.getLogger(__name__)

JobFunction = Callable[[JobContext], Any]
LANES = ("default", "gpu")
MAX_FINISHED_JOBS = 200
DEFAULT_MAX_JOB_SECONDS = 24 * 3600.0
"""A day of running: far more than any job on one machine needs, short of a hung one."""


class JobManager:
    """Runs job functions on a thread pool and keeps their state for the REST API.

    ``max_seconds`` (0: none) bounds how long one job may run: a job past it is cancelled
    and fails saying so.
    """

    def __init__(
        self,
        max_workers: int = 2,
        journal: JobJournal | None = None,
        on_status: Callable[[Job], None] | None = None,
        max_seconds: float = 0.0,
    ) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="visionlens-job"
        )
        self._gpu_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="visionlens-gpu")
        # the queued gpu jobs and how to run each; the gpu thread gets one task per
        # entry ever queued and runs whatever is first when the task comes up
        self._gpu_queue: LaneQueue[Job] = LaneQueue()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._deleting: set[tuple[str, str]] = set()  # (dataset, model) while it is deleted
        self._ids = itertools.count(1)
        self._stopping = False
        self._journal = journal
        self._save_lock = threading.Lock()
        self._on_status = on_status
        self._max_seconds = max_seconds
        self._closed = threading.Event()
        if max_seconds > 0:
            threading.Thread(
                target=self._enforce_time_bound, name="visionlens-job-timer", daemon=True
            ).start()
        if journal is not None:
            for record in journal.load():
                job = job_from_record(record)
                self._jobs[job.id] = job
            self._save()

    def submit(
        self,
        kind: JobKind,
        fn: JobFunction,
        *,
        title: str = "",
        then: Callable[[Any], None] | None = None,
        lane: str = "default",
        dataset: str | None = None,
        models: Sequence[str] = (),
        yields: bool = False,
        runner: str = "",
    ) -> Job:
        """Queue ``fn(ctx)`` as a job of ``kind`` (which says what it changes when it ends
        well); ``then(result)`` runs after it succeeds (e.g. a follow-up job).

        ``lane="gpu"`` jobs run one at a time, in order, on their own thread (they hold a
        GPU or every core), and show their ``queue_position`` while they wait; those with
        ``yields`` make way for the others (:mod:`.gpu_lane`). ``dataset``: the dataset it
        works on, whose deletion cancels it; ``models``: its models whose rows it reads or
        writes, which cannot be deleted until it ends. ``runner``: a model job's runner (a label of
        its metrics).
        """
        if lane not in LANES:
            raise ValueError(f"unknown job lane {lane!r}")
        if yields and lane != "gpu":
            raise ValueError("only gpu jobs yield")
        if self._stopping:
            raise RuntimeError("the server is stopping: no new jobs")
        job = Job(
            id=f"{int(time.time())}-{next(self._ids)}",
            kind=kind.name,
            title=title or kind.name,
            lane=lane,
            dataset=dataset,
            models=tuple(models),
            yields=yields,
            effects=kind.effects,
            runner=runner,
        )
        with self._lock:
            going = [m for m in job.models if (dataset, m) in self._deleting]
            if going:  # it would read rows going away, or write rows of a model no longer there
                raise _conflict(
                    f"model {going[0]!r} of {dataset!r} is being deleted: no job of it can "
                    "start now (import its predictions again to work on it)"
                )
            self._jobs[job.id] = job
            self._forget_old()
        if lane == "gpu":
            self._gpu_queue.put(job, (fn, then))
        metrics.job_submitted(kind.name, lane)
        self._status_changed(job)  # queued is said before a worker can say running
        if lane == "gpu":
            self._gpu_pool.submit(self._run_next)
        else:
            self._pool.submit(self._run, job, fn, then)
        return job

    def _run_next(self) -> None:
        """The gpu thread's task: run the first queued gpu job (none when a cancel took
        it out of the queue)."""
        entry = self._gpu_queue.pop()
        if entry is not None:
            job, (fn, then) = entry
            self._run(job, fn, then)

    def _pause(self, job: Job, fn: JobFunction, then: Callable[[Any], None] | None) -> None:
        """Queue a job that stopped to make way, to run again after the urgent ones. It is
        queued before it reads as queued: a cancel meanwhile sees it running and sets its
        event, which the gpu thread honours when the job comes up."""
        self._gpu_queue.put(job, (fn, then), resumed=True)
        job.end_stage()
        job.queued_since = time.monotonic()
        job.stage, job.items_per_second, job.eta_seconds = "", None, None
        job.status, job.message = "queued", "paused: another model job goes first"
        self._status_changed(job)
        try:
            self._gpu_pool.submit(self._run_next)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._gpu_queue.remove(job)
            self._finish(job, "cancelled", self._cancel_message())

    def _run(self, job: Job, fn: JobFunction, then: Callable[[Any], None] | None) -> None:
        if job.cancel_event.is_set():
            self._stop(job)
            return
        job.status = "running"
        job.running_since = started = time.monotonic()
        metrics.job_started(job.lane, started - job.queued_since)
        self._status_changed(job)
        try:
            with metrics.gpu_lane_busy(started) if job.lane == "gpu" else nullcontext():
                self._run_turn(job, fn, then)
        finally:
            job.run_seconds = job.running_seconds()
            job.running_since = None

    def _run_turn(self, job: Job, fn: JobFunction, then: Callable[[Any], None] | None) -> None:
        """One turn of a running job: to its end, a failure, a cancel or a pause."""
        try:
            result = fn(JobContext(job, self._gpu_queue.urgent_waiting))
        except JobPaused:
            if job.cancel_event.is_set() or self._stopping:
                self._stop(job)
            else:
                self._pause(job, fn, then)
            return
        except JobCancelled:
            self._stop(job)
            return
        except Exception as exc:
            if job.cancel_event.is_set():
                self._stop(job)
                return
            job.error = clean_error(str(exc)) or type(exc).__name__
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

    def _stop(self, job: Job) -> None:
        """End a job that honoured its cancel: cancelled, or failed when the time bound
        cancelled it (the user did not ask for that, and should see why)."""
        if not job.timed_out:
            self._finish(job, "cancelled", self._cancel_message())
            return
        job.error = (
            f"stopped after running longer than {self._max_seconds:g} s, the server's bound "
            "per job (c.VisionLensApp.max_job_seconds); nothing half-done was kept"
        )
        self._finish(job, "failed", "stopped: ran past the time bound")

    def _enforce_time_bound(self) -> None:
        """Cancel each job that has run longer than ``max_seconds`` (running time only: a
        queued or paused job is not using the machine)."""
        interval = min(1.0, self._max_seconds / 10)
        while not self._closed.wait(interval):
            now = time.monotonic()
            with self._lock:
                running = [j for j in self._jobs.values() if j.running_since is not None]
            for job in running:
                if job.running_seconds(now) > self._max_seconds and not job.cancel_event.is_set():
                    log.warning("job %s (%s) ran past the time bound", job.id, job.kind)
                    job.timed_out = True
                    job.cancel_event.set()

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
                self._gpu_queue.remove(job)
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

    @contextmanager
    def deleting_model(self, dataset: str, model: str) -> Iterator[None]:
        """Hold ``model`` of ``dataset`` while it is deleted: :class:`ConflictError` (HTTP
        409) naming the queued or running jobs of the model if there are any (they would
        read rows going away, or write rows of a model no longer there), and while held,
        a job of the model is refused at :meth:`submit`. The check and the hold are one
        step under the manager's lock, so no job slips in between."""
        key = (dataset, model)
        with self._lock:
            busy = [
                j
                for j in self._jobs.values()
                if j.dataset == dataset and model in j.models and not j.finished
            ]
            if busy:
                shown = ", ".join(f"{j.kind} job {j.id} ({j.status})" for j in busy)
                raise _conflict(
                    f"model {model!r} of {dataset!r} is in use by {shown}: wait for it to "
                    "end or cancel it (DELETE /jobs/{id}), then delete the model"
                )
            if key in self._deleting:
                raise _conflict(f"model {model!r} of {dataset!r} is being deleted already")
            self._deleting.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._deleting.discard(key)

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
        self._closed.set()
        for job in list(self._jobs.values()):
            if not job.finished:
                job.cancel_event.set()
                if job.status == "queued":
                    self._gpu_queue.remove(job)
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

    def metric_readings(self) -> builtins.list[metrics.Reading]:
        """The unfinished jobs by kind, lane, runner and status, and each lane's queue
        depth: what ``/metrics`` reads at a scrape."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if not j.finished]
        counts = Counter((j.kind, j.lane, j.runner, j.status) for j in jobs)
        depth = Counter(j.lane for j in jobs if j.status == "queued")
        return [
            *(metrics.Reading("visionlens_jobs", key, n) for key, n in counts.items()),
            *(
                metrics.Reading("visionlens_job_queue_depth", (lane,), depth[lane])
                for lane in LANES
            ),
        ]

    def _cancel_message(self) -> str:
        return "cancelled: the server stopped" if self._stopping else "cancelled"

    def _finish(self, job: Job, status: str, message: str) -> None:
        job.status, job.message = status, message
        job.updated = time.monotonic()
        job.end_stage()
        ran = job.running_since is not None or job.run_seconds > 0
        metrics.job_finished(job.kind, status, job.running_seconds() if ran else None)
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


def _conflict(message: str) -> Exception:
    """The catalog's :class:`ConflictError` (HTTP 409), imported only when one is raised: the
    plugin side imports the job manager and must not load the catalog and DuckDB with it."""
    from ..catalog import ConflictError

    return ConflictError(message)
