"""Which labels a read sees: the current ones, or a named version's (a log position).

A read of a saved version (:func:`~..reads.labels_view.labels_at`) sets the position for
its own context; the planner then plans the SQL route alone (no in-memory index holds a
version's labels) and the answers cache keys carry the position, so the answers of a
version and of the current labels never stand for each other.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_POSITION: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "visionlens_labels_position", default=None
)


def labels_position() -> int | None:
    """The log position whose labels this context reads; None: the current labels."""
    return _POSITION.get()


@contextlib.contextmanager
def reading_position(position: int) -> Iterator[None]:
    """Inside the block the context reads the labels at log ``position``."""
    token = _POSITION.set(position)
    try:
        yield
    finally:
        _POSITION.reset(token)
