"""DuckDB's result batches read by a thread ahead of their Python work (:mod:`.sql_source`)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pyarrow as pa

READ_AHEAD = 1
"""Batches DuckDB may parse ahead of their Python work (:func:`read_ahead`)."""


class SqlUnavailable(Exception):
    """The SQL path cannot run (or stopped early): continue in Python."""


def read_ahead(stream: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The batches of ``stream``, read by a thread :data:`READ_AHEAD` batches ahead.

    DuckDB parses while the GIL is free, and this thread's Python work per batch (the
    lookups, a record's extra keys) needs it: in one thread the two took turns, with the
    writer's core half idle (``benchmarks/results/ingest.md``, session 5). A read error
    (out of memory, invalid JSON...) is raised as :class:`SqlUnavailable`. The thread has
    stopped when this generator is closed, so the caller may close the connection then.
    """
    q: queue.Queue[pa.RecordBatch | BaseException | None] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def put(item: pa.RecordBatch | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        while True:
            try:
                batch = stream.read_next_batch()  # pyarrow releases the GIL
            except StopIteration:
                put(None)
                return
            except BaseException as exc:  # out of memory, invalid JSON...: Python resumes
                put(exc)
                return
            if not put(batch):
                return

    thread = threading.Thread(target=read, name="visionlens-coco-sql", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not None:
            if isinstance(item, BaseException):
                raise SqlUnavailable(str(item)) from item
            yield item
    finally:
        stop.set()
        thread.join()  # at most one batch's read: then DuckDB may be closed
