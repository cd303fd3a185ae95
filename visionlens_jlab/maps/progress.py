"""How a map computation reports progress: a stage name, the overall fraction, and the
items done of the stage's total where the stage counts items.

The job layer turns a report into the job's ``stage``, ``progress``, message, and (for
counted stages) items/s and ETA, as embedding jobs do; the reductions stay free of jobs.
"""

from __future__ import annotations

from typing import Protocol

READING = "reading vectors"
PCA = "pca"
NEIGHBOURS = "neighbours"
LAYOUT = "layout"
AFFINITIES = "affinities"
OPTIMISING = "optimising"
DONE = "done"
WRITING = "writing"


class Progress(Protocol):
    """``progress(fraction, stage, done, total)``: ``done``/``total`` count the stage's items
    (vectors read, neighbour cells searched, t-SNE iterations), ``None`` when it has none."""

    def __call__(
        self, fraction: float, stage: str, done: int | None = None, total: int | None = None
    ) -> None: ...


def no_progress(
    fraction: float, stage: str, done: int | None = None, total: int | None = None
) -> None:
    """A :class:`Progress` that reports nowhere."""
    return None


def scaled(report: Progress, start: float, share: float) -> Progress:
    """``report`` with fractions mapped from [0, 1] to [start, start + share]."""

    def inner(
        fraction: float, stage: str, done: int | None = None, total: int | None = None
    ) -> None:
        report(start + share * fraction, stage, done, total)

    return inner
