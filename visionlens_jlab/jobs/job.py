"""One job as the REST API shows it, and what its function sees while it runs (progress,
cancel, making way): the job manager's (:mod:`.manager`) vocabulary."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..metrics import stage_ended
from .kinds import JobEffects


class JobCancelled(Exception):
    """Raised inside a job function (by :meth:`JobContext.check_cancelled`) to stop it."""


class JobPaused(Exception):
    """Raised by a job function that yields, when :meth:`JobContext.should_make_way` said
    so and it stopped (what it computed written): the manager queues it again, to be run
    again later (it resumes). ``partial``: its result so far, for the job to sum up."""

    def __init__(self, partial: Any = None) -> None:
        super().__init__("paused to make way for another job")
        self.partial = partial


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
    yields: bool = False
    """A gpu job that makes way for the others (:mod:`.gpu_lane`): captions."""
    stage: str = ""
    items_per_second: float | None = None
    eta_seconds: float | None = None
    queue_position: int | None = None
    """1-based place among the queued jobs of its lane; ``None`` once running."""
    dataset: str | None = None
    """The dataset the job works on: deleting it cancels the job (see
    :meth:`~.manager.JobManager.cancel_dataset`)."""
    models: tuple[str, ...] = ()
    """The models of :attr:`dataset` whose rows the job reads or writes (an evaluation's,
    an import's): deleting one is refused until the job ends, and no job of a model
    being deleted starts (see :meth:`~.manager.JobManager.deleting_model`). Not part of the REST answer."""
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    run_seconds: float = 0.0
    """Time spent running in earlier turns (a paused job runs in several); queued time
    does not count."""
    running_since: float | None = None
    """``time.monotonic()`` when the current turn began; ``None`` when not running."""
    timed_out: bool = False
    """Stopped by the manager's time bound (its cancel reads as a failure)."""
    effects: JobEffects = field(default_factory=JobEffects)
    """What its kind changes when it ends well (:class:`~.kinds.JobKind`): shown once
    the job is ``done``."""
    runner: str = ""
    """A model job's runner (``process``, ``kernel``, ``ray``: :mod:`.runners`); empty for
    the other jobs. A label of ``/metrics``, not part of the REST answer."""
    queued_since: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when it was last queued (submitted, or paused to make way)."""
    stage_since: float | None = None
    """``time.monotonic()`` when its current stage began (``/metrics`` times stages)."""
    stages: dict[str, Any] | None = None
    """A model job's time per stage so far (:mod:`.stages`); ``None`` for other jobs."""

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    def running_seconds(self, now: float | None = None) -> float:
        """How long the job has run so far, all turns together."""
        if self.running_since is None:
            return self.run_seconds
        return (
            self.run_seconds + (now if now is not None else time.monotonic()) - self.running_since
        )

    def enter_stage(self, stage: str) -> None:
        """Make ``stage`` the job's stage, timing the one it leaves."""
        self.end_stage()
        self.stage, self.stage_since = stage, time.monotonic()

    def end_stage(self) -> None:
        """Time the current stage as ended now (left, or the job paused or ended); the
        stage stays shown."""
        if self.stage and self.stage_since is not None:
            stage_ended(self.kind, self.stage, time.monotonic() - self.stage_since)
        self.stage_since = None

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
            "yields": self.yields,
            "stage": self.stage,
            "items_per_second": self.items_per_second,
            "eta_seconds": self.eta_seconds,
            "queue_position": self.queue_position,
            "dataset": self.dataset,
            "effects": self.done_effects(),
            "stages": self.stages,
        }

    def done_effects(self) -> dict[str, Any] | None:
        """What the job changed: its kind's effects once it is ``done``, else ``None``
        (a queued, running, failed or cancelled job is not said to have changed anything)."""
        return self.effects.to_dict() if self.status == "done" else None


class JobContext:
    """What a running job function sees: progress reporting and cancellation."""

    def __init__(self, job: Job, urgent_waiting: Callable[[], bool] | None = None) -> None:
        self._job = job
        self._urgent_waiting = urgent_waiting
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

    def should_make_way(self) -> bool:
        """Whether this job yields and a gpu job that does not is waiting: the job should
        stop at the end of its current batch and raise :class:`JobPaused`."""
        return self._job.yields and self._urgent_waiting is not None and self._urgent_waiting()

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
        if job.stage != stage:
            job.enter_stage(stage)
        if now > t0 and done > done0:
            rate = (done - done0) / (now - t0)
            job.items_per_second = round(rate, 2)
            job.eta_seconds = round(max(0, total - done) / rate, 1)
        if fraction is None:
            fraction = done / total if total else 1.0
        self.progress(fraction, message or f"{stage}: {done}/{total}")

    def stages(self, report: dict[str, Any]) -> None:
        """Report a model job's time per stage so far (:meth:`.stages.StageTimer.report`)."""
        self._job.stages = report
        self._job.updated = time.monotonic()

    def stage(self, stage: str, message: str = "", *, fraction: float | None = None) -> None:
        """Enter a stage with no item count (loading a model, writing): no rate, no ETA."""
        job = self._job
        if job.stage != stage:
            job.items_per_second = job.eta_seconds = None
            job.enter_stage(stage)
        self.progress(fraction, message or stage)


_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves (ANSI)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-_]?"  # other escapes, a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # other C0 and C1 controls (tab, newline stay)
)


def clean_error(text: str) -> str:
    """``text`` as a job's error shows it: without ANSI escape codes (a library's coloured
    message, a subprocess's output) and control characters, which a terminal or a log
    viewer would act on and the browser shows as garbage."""
    return _ESCAPES.sub("", text)


def job_progress(ctx: JobContext | None) -> Callable[[float, str], None]:
    """A ``progress(fraction, message)`` for engine code that runs as a job or in the CLI:
    it raises :class:`JobCancelled` when the job was cancelled and reports to ``ctx``, and
    does nothing without a job (``ctx`` None)."""

    def progress(fraction: float, message: str) -> None:
        if ctx is not None:
            ctx.check_cancelled()
            ctx.progress(fraction, message)

    return progress
