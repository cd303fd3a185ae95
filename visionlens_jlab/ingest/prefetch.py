"""The parsers' read-ahead: a parser's batches made in a thread while the writer appends the
previous ones (:func:`prefetch`)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import Any

from ..records.batches import Batch

_DONE = object()


PREFETCH_BYTES = 12 << 20
"""Arrow bytes a parser may run ahead of the writer. The writer takes batches in bursts:
DuckDB compresses and writes each full row group (122,880 rows) before it reads on. Two
batches ahead, the parser of the 100K-image ``full_precision`` COCO file waited 1.95 s of a
6.3 s streaming phase for room; 24 MB raised the peak RSS by ~25 MB
(``benchmarks/results/ingest.md``, session 5)."""


def prefetch(
    make: Callable[[], Iterator[Batch]], depth: int = 2, ahead_bytes: int = PREFETCH_BYTES
) -> Generator[Batch, None, None]:
    """Run the generator ``make()`` in a thread, ahead of the consumer by ``depth`` batches,
    or by more while they hold less than ``ahead_bytes`` of Arrow data.

    The parser holds the GIL while the writer's DuckDB appends release it, so the two
    overlap on a second core. Exceptions (IngestError...) are re-raised in the consumer; if
    the consumer stops early (a failed write), the thread stops at its next batch.
    """
    items: deque[tuple[Any, int]] = deque()
    held = [0]  # Arrow bytes in ``items``
    ready = threading.Condition()
    stop = threading.Event()

    def put(item: Any) -> bool:
        size = _batch_bytes(item)
        with ready:
            while len(items) >= depth and held[0] + size > ahead_bytes:
                if stop.is_set():
                    return False
                ready.wait(0.1)
            items.append((item, size))
            held[0] += size
            ready.notify_all()
        return True

    def work() -> None:
        try:
            for item in make():
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:
            put(exc)

    def get() -> Any:
        with ready:
            while not items:
                ready.wait()
            item, size = items.popleft()
            held[0] -= size
            ready.notify_all()
            return item

    thread = threading.Thread(target=work, name="visionlens-parse", daemon=True)
    thread.start()
    try:
        while True:
            item = get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _batch_bytes(item: Any) -> int:
    if not isinstance(item, Batch):
        return 0
    return sum(t.nbytes for t in (item.samples, item.annotations) if t is not None)
