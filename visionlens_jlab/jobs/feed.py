"""The one pipeline of the model jobs: batches prepared ahead, a model run over them in
order, and an out-of-memory batch split and done again.

:class:`Feed` cuts a job's items into batches of the current batch size, prepares the next
ones on threads while the model computes this one (:class:`~.read_ahead.ReadAhead`: as many
at once as the measured prepare and compute times ask, within a bound and a memory budget,
the producers waiting when it is reached), and yields each batch's result in the items'
order. A batch whose computation raises torch's out-of-memory error is computed again in
halves, each half prepared again (:class:`~.accelerator.BatchSizer`), down to one item; the
smaller size cuts every later batch. Closing the iteration (a cancelled job) stops the
producers: what has not started never does, what has ends before the close returns.

Detectors, captioners, VLM answers (:mod:`visionlens_jlab.predict.stream`) run on it; the
embedding and zero-shot jobs' image batches come from the same read-ahead
(:func:`visionlens_jlab.embed.decode.iter_batches`), their open_clip model halving its own
batches on the prepared tensor (no second decode). Host-to-device copies are
:mod:`.device_copy`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Generic, TypeVar

from .accelerator import BatchSizer
from .read_ahead import MEMORY_BUDGET, ReadAhead

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")


class Feed(Generic[T, P, R]):
    """Iterate the results of ``compute(batch, prepare(batch))`` over ``items`` cut in
    batches of ``sizer.size`` (see the module docstring). ``on_wait(seconds)`` is told how
    long the model waited for each prepared batch (a :class:`~.stages.StageTimer`'s
    ``waited``)."""

    def __init__(
        self,
        items: Sequence[T],
        sizer: BatchSizer,
        prepare: Callable[[list[T]], P],
        compute: Callable[[list[T], P], R],
        *,
        max_depth: int = 4,
        memory_budget: int | None = MEMORY_BUDGET,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._items = items
        self.sizer = sizer
        self._prepare = prepare
        self._compute = compute
        self._on_wait = on_wait
        self._start = 0
        self.ahead: ReadAhead[list[T], P] = ReadAhead(
            self._cut, prepare, max_depth=max_depth, memory_budget=memory_budget
        )

    @property
    def deepest(self) -> int:
        """The most batches that were prepared at once."""
        return self.ahead.deepest

    def _cut(self) -> list[T]:
        batch = list(self._items[self._start : self._start + self.sizer.size])
        self._start += len(batch)
        return batch

    def __iter__(self) -> Generator[R, None, None]:
        """The results in the items' order (a generator: its ``close`` stops the producers)."""
        for batch, prepared, waited in self.ahead:
            if self._on_wait is not None:
                self._on_wait(waited)

            def compute(chunk: list[T], batch: list[T] = batch, prepared: P = prepared) -> R:
                # a slice of the batch (after an out-of-memory error) is prepared again
                part = prepared if len(chunk) == len(batch) else self._prepare(list(chunk))
                return self._compute(list(chunk), part)

            yield from self.sizer.run(batch, compute)
