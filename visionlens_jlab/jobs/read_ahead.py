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

Memory is bounded: at most ``max_depth`` batches are prepared and not yet consumed, and
fewer where ``memory_budget`` bytes would not hold that many (each prepared batch's size is
measured with ``size_of``, :func:`payload_bytes` by default). This is back-pressure: no
batch is cut, let alone read, while the bound is reached; the producers wait for the model.
Batches are consumed in order, whatever order their preparations end in. Closing the
iteration (a cancel, a failure) cancels what has not started and waits for what has (one
batch's preparation at most per thread), so no thread outlives it.

Threads, not processes: reading, decoding (Pillow) and the processors' tensor work
(torch) release the GIL, so threads overlap them with the model's forward pass without
pickling each prepared batch across a process boundary (a 32-image 224 px batch is 4.8 MB);
the CPU-bound sharding over processes is :mod:`visionlens_jlab.predict.workers`' (one
pipeline per worker). :mod:`.feed` runs a model over the batches prepared here.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

B = TypeVar("B")
P = TypeVar("P")

SMOOTHING = 0.3
"""Weight of the latest measurement in the running averages of both stage times."""

MEMORY_BUDGET = 1 << 30
"""Bytes of prepared batches a job may hold ahead of its model by default (1 GiB: four
DETR batches of four 800x1333 float32 images take 200 MB, four 32-image CLIP ones 20 MB)."""


class ReadAhead(Generic[B, P]):
    """Iterate ``(batch, prepared, waited_seconds)`` over the batches ``next_batch()``
    cuts (an empty one ends them), each prepared by ``prepare`` on a background thread
    ahead of the consumer (see the module docstring)."""

    def __init__(
        self,
        next_batch: Callable[[], B | None],
        prepare: Callable[[B], P],
        max_depth: int = 4,
        *,
        memory_budget: int | None = MEMORY_BUDGET,
        size_of: Callable[[P], int] | None = None,
    ) -> None:
        self._next_batch = next_batch
        self._prepare = prepare
        self.max_depth = max(1, max_depth)
        self.memory_budget = memory_budget
        self._size_of: Callable[[P], int] = size_of or payload_bytes
        self.batch_bytes = 0
        """The largest prepared batch so far, in bytes (what the memory budget divides)."""
        self.most_ahead = 0
        """The most batches that were cut and not yet handed to the consumer at once."""
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
                pool.shutdown(wait=True, cancel_futures=True)

    def _fill(self, pool: ThreadPoolExecutor, pending: deque[tuple[B, Future[P]]]) -> None:
        while not self._exhausted and len(pending) < self.depth:
            batch = self._next_batch()
            if not batch:
                self._exhausted = True
                return
            pending.append((batch, pool.submit(self._timed, batch)))
            self.most_ahead = max(self.most_ahead, len(pending))

    def _timed(self, batch: B) -> P:
        t0 = time.perf_counter()
        prepared = self._prepare(batch)
        seconds = time.perf_counter() - t0
        size = self._size_of(prepared) if self.memory_budget is not None else 0
        with self._lock:
            self.batch_bytes = max(self.batch_bytes, size)
            self._prepare_s = _average(self._prepare_s, seconds)
            self._update_depth()
        return prepared

    def _observe_consume(self, seconds: float) -> None:
        with self._lock:
            self._consume_s = _average(self._consume_s, seconds)
            self._update_depth()

    def bound(self) -> int:
        """The most batches that may be prepared ahead now: ``max_depth``, or fewer where
        the memory budget holds fewer of the largest batch prepared so far."""
        if self.memory_budget is None or self.batch_bytes <= 0:
            return self.max_depth
        return max(1, min(self.max_depth, self.memory_budget // self.batch_bytes))

    def _update_depth(self) -> None:
        """Call with the lock held: depth = prepare time / consume time, rounded up, within
        :meth:`bound`."""
        if self._prepare_s is None or not self._consume_s:
            self.depth = min(self.depth, self.bound())
            return
        wanted = math.ceil(self._prepare_s / self._consume_s - 1e-9)
        self.depth = max(1, min(self.bound(), wanted))
        self.deepest = max(self.deepest, self.depth)


def _average(old: float | None, new: float) -> float:
    return new if old is None else (1 - SMOOTHING) * old + SMOOTHING * new


def payload_bytes(value: Any, _depth: int = 0) -> int:
    """The bytes of the arrays and tensors in ``value`` (NumPy arrays, torch tensors, PIL
    images, and those inside dicts, lists, tuples and dataclass-like objects, three levels
    deep): what a prepared batch holds in memory, near enough to size a budget."""
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):  # a NumPy array (torch tensors' nbytes is an int too)
        return nbytes
    if hasattr(value, "element_size") and hasattr(value, "nelement"):
        return int(value.element_size() * value.nelement())
    if hasattr(value, "getbands") and hasattr(value, "size"):  # a PIL image
        w, h = value.size
        return int(w * h * len(value.getbands()))
    if _depth >= 3 or isinstance(value, (str, bytes, int, float)) or value is None:
        return len(value) if isinstance(value, bytes) else 0
    if isinstance(value, dict):
        parts: Any = value.values()
    elif isinstance(value, (list, tuple)):
        parts = value
    elif hasattr(value, "__dict__"):
        parts = vars(value).values()
    else:
        return 0
    return sum(payload_bytes(part, _depth + 1) for part in parts)
