"""How many vectors each space holds, for ``/metrics``: counted off the scrape's thread.

Counting asks the store for every space (Qdrant Edge: an exact count under the store's
lock, which an index build holds while it copies the shard; a Qdrant server: a round
trip), and a scrape must answer quickly whatever the store is doing. So a background
thread counts; a scrape waits for it at most ``wait_s`` and otherwise serves the last
counts, with their age. Counts stay current until the store is written (its
:meth:`~.base.VectorStore.generation` changes): an Edge store is written by this process
alone; a Qdrant server may be written by others, so its counts are also taken again after
``max_age_s``. A store that was never opened is not opened for a scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from .base import VectorStore, VectorStoreError
from .lazy import LazyVectorStore

log = logging.getLogger(__name__)

WAIT_SECONDS = 0.5
"""How long a scrape waits for a count in progress before it serves the last one."""
MAX_AGE_SECONDS = 60.0
"""How long the counts of a Qdrant server (which other clients may write) stay current."""


@dataclass(frozen=True)
class SpaceCountsReading:
    """Vectors per space, and how old they are (0: current)."""

    counts: dict[str, int]
    age_seconds: float


class SpaceCounts:
    """The vectors per space of a server's store, counted in the background."""

    def __init__(
        self,
        vectors: LazyVectorStore,
        *,
        wait_s: float = WAIT_SECONDS,
        max_age_s: float = MAX_AGE_SECONDS,
    ) -> None:
        self.vectors = vectors
        self.wait_s = wait_s
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._counted: tuple[int, float, dict[str, int]] | None = None  # generation, when, counts
        self._counting: threading.Event | None = None

    def read(self) -> SpaceCountsReading | None:
        """The counts (None: the store is not open, or has never been counted yet)."""
        if not self.vectors.is_open:
            return None
        try:
            store = self.vectors.get()  # open already: this never opens it
        except VectorStoreError:  # closed meanwhile: the server is stopping
            return None
        if (current := self._current(store)) is not None:
            return current
        with self._lock:
            if self._counting is None:
                self._counting = threading.Event()
                threading.Thread(
                    target=self._count,
                    args=(store, self._counting),
                    name="visionlens-vector-counts",
                    daemon=True,
                ).start()
            counting = self._counting
        counting.wait(self.wait_s)
        if (current := self._current(store)) is not None:
            return current
        with self._lock:
            counted = self._counted
        if counted is None:
            return None
        return SpaceCountsReading(counted[2], time.monotonic() - counted[1])

    def _current(self, store: VectorStore) -> SpaceCountsReading | None:
        """The counts if nothing was written since they were taken (and, for a server,
        they are younger than ``max_age_s``)."""
        with self._lock:
            counted = self._counted
        if counted is None or counted[0] != store.generation():
            return None
        if store.kind != "edge" and time.monotonic() - counted[1] > self.max_age_s:
            return None
        return SpaceCountsReading(counted[2], 0.0)

    def _count(self, store: VectorStore, done: threading.Event) -> None:
        """Count every space (the background thread); the generation is read first, so a
        write meanwhile makes the counts stale rather than wrongly current."""
        try:
            generation, at = store.generation(), time.monotonic()
            counts = {space.name: store.count(space.name) for space in store.spaces()}
            with self._lock:
                self._counted = (generation, at, counts)
        except Exception as exc:  # a store closing or out of reach: the last counts stay
            log.debug("VisionLens metrics: counting the vectors failed: %s", exc)
        finally:
            with self._lock:
                self._counting = None
            done.set()
