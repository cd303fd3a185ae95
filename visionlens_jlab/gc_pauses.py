"""The cyclic garbage collector's pauses, and keeping the server's startup heap out of them.

CPython's cyclic GC holds the GIL for a whole collection, whichever thread triggers it, and
an oldest-generation collection walks every tracked object. A Jupyter server with VisionLens
holds ~260K such objects once its modules are imported (jupyter_server, tornado, pydantic,
pyarrow, duckdb, ...), and walking them took 360-480 ms on the 2 shared cores of the load
benchmark: py-spy counted 65 % of the GIL-held samples under load in ``gc_collect_main``,
so every request and the event loop stood still meanwhile (issue #15's loop lag).

Those objects live as long as the server, so :func:`freeze_startup_heap` moves them to the
permanent generation once the server runs (``gc.freeze``, as CPython's docs suggest for
long-lived servers): collections then walk only what was made since. Reference counting
still frees everything as before; only cycles among the frozen objects are never collected,
and those were never going to die. :class:`GcPauses` records each collection (generation,
duration, thread) for the debug probe, so the load benchmark can show the pauses.
"""

from __future__ import annotations

import gc
import importlib
import threading
import time
from collections import Counter, deque
from types import FunctionType
from typing import Any

MAX_PAUSES = 100_000
PRELOAD = ("pandas",)
"""Modules the server imports on first use anyway, imported before the freeze so that their
objects are frozen too: pyarrow imports pandas at its first conversion of a list or an
array (every ingest's first batch), ~25K objects that every later full collection walked."""


def freeze_startup_heap() -> int:
    """Collect once, then move every object tracked now out of later collections.

    Returns how many objects are frozen. Call once the server has started (its modules
    imported), never per request. :data:`PRELOAD` is imported first.
    """
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def heap_census(top: int = 15) -> dict[str, list[list[Any]]]:
    """What the collector still walks: the ``top`` types of tracked, unfrozen objects, and
    the packages their functions come from (lazily imported modules show up there).

    Walks the whole heap while holding the GIL: for the debug probe only.
    """
    types: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        types[f"{kind.__module__}.{kind.__qualname__}"] += 1
        if isinstance(obj, FunctionType):
            packages[str(obj.__module__ or "?").split(".")[0]] += 1
    return {
        "types": [list(row) for row in types.most_common(top)],
        "function_packages": [list(row) for row in packages.most_common(top)],
    }


class GcPauses:
    """Records every collection of the cyclic GC: ``(generation, ms, thread name, end)``,
    ``end`` in ``time.monotonic()`` seconds (to match pauses with late wake-ups)."""

    def __init__(self) -> None:
        self.pauses: deque[tuple[int, float, str, float]] = deque(maxlen=MAX_PAUSES)
        self._started = 0.0

    def start(self) -> None:
        """Begin recording (a ``gc.callbacks`` hook: it runs in the collecting thread)."""
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def stop(self) -> None:
        """Stop recording."""
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        # A collection holds the GIL throughout, so one start time is enough.
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000
        self.pauses.append(
            (int(info["generation"]), ms, threading.current_thread().name, time.monotonic())
        )

    def take(self) -> list[list[Any]]:
        """The collections recorded since the last call (and forget them)."""
        # Swap first: a collection may start (and append) while the copy is being built.
        taken, self.pauses = self.pauses, deque(maxlen=MAX_PAUSES)
        return [list(p) for p in taken]
