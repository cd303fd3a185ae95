"""A debug probe of the server's event-loop lag (``c.VisionLensApp.loop_lag_probe_ms``).

Every request handler, thumbnail answer and job poll runs on one tornado event loop; any
blocking call on it delays them all. The probe schedules itself every ``interval`` and
records how late each wake-up was: that lateness is what every request waiting on the loop
saw at that moment. The load benchmark (benchmarks/bench_load.py) reads it through
``GET visionlens/api/debug/loop-lag``.

On Linux each wake-up also reads the loop thread's scheduler counters
(``/proc/thread-self/schedstat``), so a late wake-up can be explained: the time since the
previous one splits into time on a CPU (work on the loop), time runnable but waiting for a
CPU (the machine's other threads and processes had the cores) and time asleep (idle in
``epoll``, or blocked: waiting for the GIL or a lock held by another thread).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from tornado.ioloop import IOLoop

from .gc_pauses import GcPauses

MAX_SAMPLES = 100_000
SCHEDSTAT = "/proc/thread-self/schedstat"


def _schedstat() -> tuple[float, float] | None:
    """This thread's (ms on a CPU, ms runnable waiting for one) so far; None off Linux."""
    try:
        with open(SCHEDSTAT) as f:
            on_cpu, waiting = f.read().split()[:2]
    except (OSError, ValueError):
        return None
    return int(on_cpu) / 1e6, int(waiting) / 1e6


class LoopLagProbe:
    """Records the lateness (ms) of a callback due every ``interval_ms`` on the IOLoop."""

    def __init__(self, interval_ms: int) -> None:
        self.interval_s = interval_ms / 1000
        self.samples: deque[float] = deque(maxlen=MAX_SAMPLES)
        self.windows: deque[tuple[float, float, float, float, float]] = deque(maxlen=MAX_SAMPLES)
        """Per wake-up: (lag, on CPU, waiting for a CPU, asleep) in ms since the last one, and
        the wake-up's ``time.monotonic()`` in s."""
        self._handle: Any = None
        self._due = 0.0
        self._last: tuple[float, float, float] | None = None  # time, on CPU, waiting
        self.gc = GcPauses()
        """The garbage collector's pauses meanwhile (they hold the GIL: see :mod:`.gc_pauses`)."""

    def start(self) -> None:
        """Start probing on the current IOLoop."""
        self.gc.start()
        self._schedule()

    def _schedule(self) -> None:
        self._due = time.monotonic() + self.interval_s
        self._handle = IOLoop.current().call_later(self.interval_s, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        lag = max(0.0, (now - self._due) * 1000)
        self.samples.append(lag)
        stat = _schedstat()
        if stat is not None:
            if self._last is not None:
                window = (now - self._last[0]) * 1000
                on_cpu, waiting = stat[0] - self._last[1], stat[1] - self._last[2]
                asleep = max(0.0, window - on_cpu - waiting)
                self.windows.append((lag, on_cpu, waiting, asleep, now))
            self._last = (now, *stat)
        self._schedule()

    def stop(self) -> None:
        """Stop probing."""
        self.gc.stop()
        if self._handle is not None:
            IOLoop.current().remove_timeout(self._handle)
            self._handle = None

    def take(self) -> list[float]:
        """The samples recorded since the last call (and forget them)."""
        out = list(self.samples)
        self.samples.clear()
        return out

    def take_windows(self) -> list[list[float]]:
        """The scheduler breakdown of each wake-up since the last call (and forget them):
        ``[lag, on_cpu, waiting_for_cpu, asleep]`` in ms and the wake-up's monotonic time in
        s; empty off Linux."""
        out = [list(w) for w in self.windows]
        self.windows.clear()
        return out
