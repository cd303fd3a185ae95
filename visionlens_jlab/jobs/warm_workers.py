"""Model workers that stay warm between jobs: the process runner's spawned processes,
kept after a job for the next one of the same model.

A spawned worker pays, before its first image, the process start, torch's import (~2 s of
CPU here), on a GPU CUDA's initialisation, and the model's load. :func:`stream_from_worker`
pays that once per job; :class:`WarmWorkers` pays it once per model: a worker that finished
a job waits, idle, for the next job with the same *tag* (the stream function, the model and
its settings, the shard layout), and its model registry keeps the model loaded between the
leases (:meth:`~.accelerator.ModelRegistry.keep_between_leases`). Anything else a worker
holds that a job set (torch's thread count) is part of the tag, so a job never inherits
another job's settings.

What ends a worker: an idle time (``idle_seconds``, the server's ``model_worker_idle_s``),
a job cancelled or failed while it ran (it is terminated, as with a cold worker: a
cancelled stream cannot be stopped more gently), a crash, more idle workers than
``max_idle`` (the oldest goes), and :meth:`WarmWorkers.close`.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..worker_priority import compute_threads, lower_priority
from .job import JobContext
from .processes import merge_streams, receive_items, send_items, without_main_script


def _serve(conn: Any) -> None:
    """A warm worker's loop: run each ``("run", func, args)`` it is sent, streaming the
    items back, until it is sent ``("stop",)`` or its parent goes away."""
    from .accelerator import MODELS

    lower_priority()
    MODELS.keep_between_leases = True
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if message[0] != "run":
            return
        _, func, args = message
        send_items(conn, func, args)


@dataclass
class _Worker:
    process: Any
    conn: Any
    tag: str
    jobs: int = 0
    idle_since: float = field(default_factory=time.monotonic)

    def stop(self) -> None:
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.conn.close()


class WarmWorkers:
    """Spawned model workers kept warm between jobs (see the module docstring)."""

    def __init__(self, idle_seconds: float, *, max_idle: int | None = None) -> None:
        self.idle_seconds = float(idle_seconds)
        # as many as a sharded CPU job runs (each was already sized to fit in memory)
        self.max_idle = max_idle if max_idle is not None else max(2, compute_threads())
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self._reaper: threading.Thread | None = None
        self.started = 0
        """Worker processes started so far (a warm job starts none)."""

    def idle_tags(self) -> list[str]:
        """The tags of the workers now waiting for a job."""
        with self._lock:
            return [w.tag for w in self._idle]

    def stream(
        self,
        ctx: JobContext | None,
        tag: str,
        func: Callable[..., Iterable[Any]],
        *args: Any,
        reused: list[bool] | None = None,
    ) -> Iterator[Any]:
        """What :func:`~.processes.stream_from_worker` yields, computed in a warm worker of
        ``tag`` when one waits (else a new one, kept warm afterwards). ``reused`` (if given)
        is told whether the worker was a warm one."""
        worker = self._take(tag)
        if reused is not None:
            reused.append(worker.jobs > 1)
        finished = False
        try:
            worker.conn.send(("run", func, args))
            yield from receive_items(ctx, worker.conn, worker.process)
            finished = True
        finally:
            if finished:
                self._give_back(worker)
            else:
                worker.process.terminate()
                worker.process.join(timeout=5)
                worker.conn.close()

    def stream_shards(
        self,
        ctx: JobContext | None,
        tag: str,
        func: Callable[..., Iterable[Any]],
        args: tuple[Any, ...],
        shards: Sequence[Any],
        reused: list[bool] | None = None,
    ) -> Iterator[Any]:
        """:func:`~.processes.stream_from_workers` on warm workers: one per shard, all of
        ``tag`` plus the shard count (a worker set up for one layout serves only that one)."""
        tag = f"{tag} [{len(shards)} shards]"
        streams = [self.stream(ctx, tag, func, *args, shard, reused=reused) for shard in shards]
        yield from merge_streams(streams)

    def close(self) -> None:
        """Stop every idle worker; workers still running a job end with it."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _take(self, tag: str) -> _Worker:
        with self._lock:
            for worker in self._idle:
                if worker.tag == tag and worker.process.is_alive():
                    self._idle.remove(worker)
                    worker.jobs += 1
                    return worker
        return self._start(tag)

    def _start(self, tag: str) -> _Worker:
        spawn = mp.get_context("spawn")
        parent, child = spawn.Pipe(duplex=True)
        process = spawn.Process(target=_serve, args=(child,), daemon=True)
        with without_main_script():
            process.start()
        child.close()
        with self._lock:
            self.started += 1
        return _Worker(process, parent, tag, jobs=1)

    def _give_back(self, worker: _Worker) -> None:
        if self.idle_seconds <= 0:
            worker.stop()
            return
        worker.idle_since = time.monotonic()
        surplus: list[_Worker] = []
        with self._lock:
            if self._closed:
                surplus.append(worker)
            else:
                self._idle.append(worker)
                while len(self._idle) > self.max_idle:
                    surplus.append(self._idle.pop(0))
                self._ensure_reaper()
        for extra in surplus:
            extra.stop()

    def _ensure_reaper(self) -> None:
        """Start the thread that stops workers idle too long (call with the lock held)."""
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="vl-warm-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        while True:
            time.sleep(min(1.0, self.idle_seconds / 4))
            now = time.monotonic()
            with self._lock:
                expired = [w for w in self._idle if now - w.idle_since >= self.idle_seconds]
                self._idle = [w for w in self._idle if w not in expired]
                done = self._closed or not self._idle
            for worker in expired:
                worker.stop()
            if done:
                with self._lock:
                    if self._closed or not self._idle:
                        self._reaper = None
                        return
