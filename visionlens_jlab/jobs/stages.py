"""Where a model job's time goes: seconds per stage, and the GPU's busy fraction.

Every model job (embeddings, detectors, captioners, VLM answers, zero-shot classification)
times the same stages, :data:`STAGES`, with one :class:`StageTimer`, and reports them as
one JSON object (:meth:`StageTimer.report`): in its progress (``GET /jobs``' ``stages``)
and its result (the CLI's ``--json``).

A job is a pipeline: reader threads read and decode the next batch while the model runs on
this one. Two figures per stage say where the time goes:

* ``seconds``: the job's wall time spent in the stage, as the loop that drives the model
  sees it: its forward passes, transfers and post-processing as timed, and its waits for
  the next batch shared among the stages that make batches (read, decode, preprocess) in
  proportion to their ``busy`` time. They partition that loop's time, so they sum to at
  most the job's wall time (``wall_seconds``), and the largest is the stage that bounds the
  job (``bound_by``): the one to make faster.
* ``busy``: the seconds every thread spent in the stage, overlapping ones included (four
  decoder threads busy for one second make four): how close a hidden stage is to showing.

``gpu_busy``: the fraction of the wall time the GPU spent in forward passes, measured with
CUDA events around them; ``null`` on a CPU (there is no GPU to be busy, and no number is
made up for it). A stage nested in another (a preprocessing done inside the model call) is
taken out of the outer one, so no second counts twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

STAGES = ("read", "decode", "preprocess", "transfer", "forward", "postprocess", "write")
"""The stages of every model job, in pipeline order: read the bytes, decode the image,
preprocess it (resize, normalise), transfer it to the device, the forward pass, post-process
its output (boxes to image pixels, tokens to text), write the results to the catalog."""
INPUT_STAGES = ("read", "decode", "preprocess")
"""The stages that make a batch, on threads ahead of the model."""
GPU_STAGE = "forward"
"""The stage whose device time ``gpu_busy`` measures."""

EventFactory = Callable[[], Any]
"""Makes an event with ``record()``, ``synchronize()`` and ``elapsed_time(end)`` in
milliseconds: ``torch.cuda.Event(enable_timing=True)`` on CUDA."""


def _cuda_event() -> Any:
    import torch

    return torch.cuda.Event(enable_timing=True)


class StageTimer:
    """The stage times of one model job's pipeline (thread-safe); ``device`` ``cuda``
    also times the forward passes on the GPU (``events``: the event maker, CUDA's by
    default; a stand-in where no GPU is)."""

    def __init__(
        self,
        device: str = "cpu",
        *,
        events: EventFactory | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seconds = dict.fromkeys(STAGES, 0.0)
        self._busy = dict.fromkeys(STAGES, 0.0)
        self._driver = threading.get_ident()
        self._frames = threading.local()
        self._events = events or (_cuda_event if device == "cuda" else None)
        self._pending: list[tuple[Any, Any]] = []
        self._gpu_ms = 0.0
        self._started = clock()
        self._streams: dict[int, dict[str, Any]] = {}

    def restart(self) -> None:
        """Count from now, on this thread as the driving loop (the model is loaded)."""
        with self._lock:
            self._seconds = dict.fromkeys(STAGES, 0.0)
            self._busy = dict.fromkeys(STAGES, 0.0)
            self._pending, self._gpu_ms = [], 0.0
            self._driver = threading.get_ident()
            self._started = self._clock()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name``: on the driving loop's thread it counts in
        ``seconds`` and ``busy``, on another thread in ``busy`` only. A stage inside
        another is taken out of the outer one's time."""
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}: one of {', '.join(STAGES)}")
        frames: list[list[Any]] = self._frames.__dict__.setdefault("stack", [])
        frame: list[Any] = [name, 0.0]
        frames.append(frame)
        gpu = self._events is not None and name == GPU_STAGE
        if gpu:
            assert self._events is not None
            start, end = self._events(), self._events()
            start.record()
        t0 = self._clock()
        try:
            yield
        finally:
            elapsed = self._clock() - t0
            if gpu:
                end.record()
                with self._lock:
                    self._pending.append((start, end))
            frames.pop()
            if frames:
                frames[-1][1] += elapsed
            self._add(name, max(0.0, elapsed - frame[1]))

    def add(self, name: str, seconds: float) -> None:
        """Count ``seconds`` a thread spent in stage ``name`` (timed by the caller)."""
        self._add(name, max(0.0, seconds))

    def waited(self, seconds: float, stages: Sequence[str] = INPUT_STAGES) -> None:
        """The driving loop waited ``seconds`` for a batch that ``stages`` make: shared
        among them in proportion to their ``busy`` time (evenly before any was timed)."""
        seconds = max(0.0, seconds)
        with self._lock:
            weights = [self._busy[s] for s in stages]
            total = sum(weights)
            for s, w in zip(stages, weights, strict=True):
                self._seconds[s] += seconds * (w / total if total > 0 else 1 / len(stages))

    def waiting(
        self, batches: Iterable[Any], stages: Sequence[str] = INPUT_STAGES
    ) -> Iterator[Any]:
        """``batches``, each wait for the next one counted by :meth:`waited`."""
        source = iter(batches)
        while True:
            t0 = self._clock()
            try:
                batch = next(source)
            except StopIteration:
                return
            self.waited(self._clock() - t0, stages)
            yield batch

    def _add(self, name: str, seconds: float) -> None:
        """Busy time; on the driving loop's thread, its wall time too."""
        with self._lock:
            self._busy[name] += seconds
            if threading.get_ident() == self._driver:
                self._seconds[name] += seconds

    def _gpu_seconds(self) -> float:
        """The forward passes' device time so far (waits for the recorded ones to end)."""
        with self._lock:
            pending, self._pending = self._pending, []
        ms = 0.0
        for start, end in pending:
            end.synchronize()
            ms += float(start.elapsed_time(end))
        with self._lock:
            self._gpu_ms += ms
            return self._gpu_ms / 1000.0

    def report(self) -> dict[str, Any]:
        """This timer's stages as JSON, with the streams it absorbed (:meth:`absorb`)
        joined in: see the module's docstring."""
        wall = self._clock() - self._started
        gpu = self._gpu_seconds() if self._events is not None else None
        with self._lock:
            own = {
                "seconds": dict(self._seconds),
                "busy": dict(self._busy),
                "wall_seconds": wall,
                "gpu_seconds": gpu,
                "pid": os.getpid(),
            }
            streams = list(self._streams.values())
        return _joined(own, streams, wall)

    def absorb(self, report: dict[str, Any]) -> None:
        """Take in the latest report of a stream computing for this job (a worker
        process, a kernel, or this process): one per ``pid``, a later one replaces it."""
        with self._lock:
            self._streams[int(report.get("pid") or 0)] = report


def _joined(own: dict[str, Any], streams: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """``own`` with the ``streams`` that computed for it: their ``busy`` summed; their
    ``seconds`` averaged (shards run side by side, each partitioning its own time) and
    added to ``own``'s, within the part of ``own``'s wall time its own stages left: the
    streams compute while the job writes, so beyond that room their seconds are scaled
    down in proportion, and the stages still partition the job's wall time."""
    seconds = dict(own["seconds"])
    busy = dict(own["busy"])
    gpu = own["gpu_seconds"]
    shared = dict.fromkeys(STAGES, 0.0)
    for stage in STAGES:
        for s in streams:
            busy[stage] += float(s["busy"].get(stage, 0.0))
            shared[stage] += float(s["seconds"].get(stage, 0.0)) / len(streams)
    room = max(0.0, wall - sum(seconds.values()))
    scale = min(1.0, room / sum(shared.values())) if sum(shared.values()) > 0 else 0.0
    for stage in STAGES:
        seconds[stage] += shared[stage] * scale
    gpus = [s["gpu_seconds"] for s in streams if s.get("gpu_seconds") is not None]
    if gpus:
        gpu = (gpu or 0.0) + sum(gpus)
    bound = max(STAGES, key=lambda s: seconds[s])
    return {
        "seconds": {s: round(v, 4) for s, v in seconds.items()},
        "busy": {s: round(v, 4) for s, v in busy.items()},
        "wall_seconds": round(wall, 4),
        "bound_by": bound if seconds[bound] > 0 else None,
        "gpu_busy": round(min(1.0, gpu / wall), 4) if gpu is not None and wall > 0 else None,
        "gpu_seconds": round(gpu, 4) if gpu is not None else None,
        "pid": own["pid"],
    }


def timed(timer: StageTimer | None, name: str) -> AbstractContextManager[None]:
    """``timer.stage(name)``, or nothing where no timer is set (a model used outside a
    job: a notebook's embedder, a text query)."""
    return timer.stage(name) if timer is not None else nullcontext()


class Ticker:
    """Whether a stream should send its stage report now: at most every ``every`` seconds."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._last = time.monotonic()

    def due(self) -> bool:
        """True (and the clock restarted) once ``every`` seconds have passed."""
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        return True


def summary(report: dict[str, Any] | None) -> str:
    """One line for people: the stages that took time, the bound, the GPU's share."""
    if not report or report.get("bound_by") is None:
        return ""
    wall = report["wall_seconds"] or 1.0
    parts = [
        f"{s} {v:.2f} s ({100 * v / wall:.0f}%)"
        for s, v in sorted(report["seconds"].items(), key=lambda kv: -kv[1])
        if v >= 0.005
    ]
    gpu = report.get("gpu_busy")
    busy = f"GPU busy {100 * gpu:.0f}%" if gpu is not None else "no GPU"
    return f"time by stage: {', '.join(parts)}; bound by {report['bound_by']}; {busy}"
