"""The queue of the job manager's ``gpu`` lane: one model job at a time, in an order where
background jobs make way.

A job that *yields* (a caption job: resumable, since a rerun skips the images captioned)
is background work: it queues behind every gpu job that does not yield, and while it runs
the job manager lets it know (:meth:`~.job.JobContext.should_make_way`) when such a
job waits, so that it stops between batches, its model unloaded with its worker, and goes
back to the queue at the head of the yielding jobs, to resume once the urgent ones are
done. Jobs that do not yield keep their order among themselves, as before.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, Protocol, TypeVar


class Queued(Protocol):
    """What the queue reads and writes on a job."""

    yields: bool
    queue_position: int | None


J = TypeVar("J", bound=Queued)


class LaneQueue(Generic[J]):
    """The queued jobs of the lane, each with what runs it, in the order they will run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[J, Any]] = []

    def put(self, job: J, payload: Any, *, resumed: bool = False) -> None:
        """Queue ``job``: after the other jobs that do not yield when it does not (or when
        it is a paused job resuming), else last."""
        with self._lock:
            place = len(self._entries)
            if not job.yields or resumed:
                place = next((i for i, (j, _) in enumerate(self._entries) if j.yields), place)
            self._entries.insert(place, (job, payload))
            self._renumber()

    def pop(self) -> tuple[J, Any] | None:
        """The next job to run and its payload (``None`` when none is queued)."""
        with self._lock:
            if not self._entries:
                return None
            entry = self._entries.pop(0)
            entry[0].queue_position = None
            self._renumber()
            return entry

    def remove(self, job: J) -> bool:
        """Take ``job`` out of the queue (cancelled); whether it was there."""
        with self._lock:
            for i, (queued, _) in enumerate(self._entries):
                if queued is job:
                    del self._entries[i]
                    job.queue_position = None
                    self._renumber()
                    return True
            return False

    def urgent_waiting(self) -> bool:
        """Whether a job that does not yield waits: a running yielding job should stop."""
        with self._lock:
            return any(not job.yields for job, _ in self._entries)

    def _renumber(self) -> None:
        """1-based queue positions; call with the lock held."""
        for position, (queued, _) in enumerate(self._entries, start=1):
            queued.queue_position = position
