"""A debug probe of the server's event-loop lag (``c.VisionLensApp.loop_lag_probe_ms``).

Every request handler, thumbnail answer and job poll runs on one tornado event loop; any
blocking call on it delays them all. The probe schedules itself every ``interval`` and
records how late each wake-up was: that lateness is what every request waiting on the loop
saw at that moment. The load benchmark (benchmarks/bench_load.py) reads it through
``GET visionlens/api/debug/loop-lag``.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from tornado.ioloop import IOLoop

MAX_SAMPLES = 100_000


class LoopLagProbe:
    """Records the lateness (ms) of a callback due every ``interval_ms`` on the IOLoop."""

    def __init__(self, interval_ms: int) -> None:
        self.interval_s = interval_ms / 1000
        self.samples: deque[float] = deque(maxlen=MAX_SAMPLES)
        self._handle: Any = None
        self._due = 0.0

    def start(self) -> None:
        """Start probing on the current IOLoop."""
        self._schedule()

    def _schedule(self) -> None:
        self._due = time.monotonic() + self.interval_s
        self._handle = IOLoop.current().call_later(self.interval_s, self._tick)

    def _tick(self) -> None:
        self.samples.append(max(0.0, (time.monotonic() - self._due) * 1000))
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            IOLoop.current().remove_timeout(self._handle)
            self._handle = None

    def take(self) -> list[float]:
        """The samples recorded since the last call (and forget them)."""
        out = list(self.samples)
        self.samples.clear()
        return out
