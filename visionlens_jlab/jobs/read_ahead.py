"""Batches prepared ahead of the model, as many at once as the measured stage times ask.

A model job alternates two kinds of work: preparing a batch (read, decode, the processor:
host CPU, mostly outside the GIL in Pillow, NumPy and torch) and computing it (the model).
With one batch prepared ahead, the job runs at the speed of the slower of the two. When
preparing is the slower one (a GPU computes a batch in a fraction of the time the host
needs to decode it), more batches must be prepared at the same time, on more threads.
:class:`ReadAhead` keeps ``depth`` batches in preparation, each on its own thread, where
``depth`` is the ratio of the two measured times (rounded up, between 1 and ``max_depth``),
re-measured as the job goes: on a CPU, where the model takes the cores and most of the
time, it stays at 1 (one batch ahead, as before); where preparing takes three times the
model's time, three batches are prepared at once.

Memory is bounded: at most ``max_depth`` batches are prepared and not yet consumed.
Batches are consumed in order. Closing the iteration (a cancel, a failure) cancels what
has not started and waits for what has.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

B = TypeVar("B")
P = TypeVar("P")

SMOOTHING = 0.3
"""Weight of the latest measurement in the running averages of both stage times."""


class ReadAhead(Generic[B, P]):
    """Iterate ``(batch, prepared, waited_seconds)`` over the batches ``next_batch()``
    cuts (an empty one ends them), each prepared by ``prepare`` on a background thread
    ahead of the consumer (see the module docstring)."""

    def __init__(
        self,
        next_batch: Callable[[], B | None],
        prepare: Callable[[B], P],
        max_depth: int = 4,
    ) -> None:
        self._next_batch = next_batch
        self._prepare = prepare
        self.max_depth = max(1, max_depth)
        self.depth = 1
        """How many batches are being prepared at once now."""
        self.deepest = 1
        """The largest :attr:`depth` this iteration reached."""
        self._prepare_s: float | None = None
        self._consume_s: float | None = None
        self._lock = threading.Lock()
        self._exhausted = False

    def __iter__(self) -> Iterator[tuple[B, P, float]]:
        pending: deque[tuple[B, Future[P]]] = deque()
        with ThreadPoolExecutor(self.max_depth, thread_name_prefix="vl-prepare") as pool:
            try:
                self._fill(pool, pending)
                while pending:
                    batch, future = pending.popleft()
                    t0 = time.perf_counter()
                    prepared = future.result()
                    waited = time.perf_counter() - t0
                    self._fill(pool, pending)  # the next ones start before the model runs
                    t1 = time.perf_counter()
                    yield batch, prepared, waited
                    self._observe_consume(time.perf_counter() - t1)
                    self._fill(pool, pending)
            finally:
                for _, future in pending:
                    future.cancel()

    def _fill(self, pool: ThreadPoolExecutor, pending: deque[tuple[B, Future[P]]]) -> None:
        while not self._exhausted and len(pending) < self.depth:
            batch = self._next_batch()
            if not batch:
                self._exhausted = True
                return
            pending.append((batch, pool.submit(self._timed, batch)))

    def _timed(self, batch: B) -> P:
        t0 = time.perf_counter()
        prepared = self._prepare(batch)
        seconds = time.perf_counter() - t0
        with self._lock:
            self._prepare_s = _average(self._prepare_s, seconds)
            self._update_depth()
        return prepared

    def _observe_consume(self, seconds: float) -> None:
        with self._lock:
            self._consume_s = _average(self._consume_s, seconds)
            self._update_depth()

    def _update_depth(self) -> None:
        """Call with the lock held: depth = prepare time / consume time, rounded up."""
        if self._prepare_s is None or not self._consume_s:
            return
        wanted = math.ceil(self._prepare_s / self._consume_s - 1e-9)
        self.depth = max(1, min(self.max_depth, wanted))
        self.deepest = max(self.deepest, self.depth)


def _average(old: float | None, new: float) -> float:
    return new if old is None else (1 - SMOOTHING) * old + SMOOTHING * new
