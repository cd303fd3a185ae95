"""How much of the machine background work may take from the server's event loop.

On a small machine (2 cores) the server's event loop shares the CPUs with the job processes
(ingest parsing, embedding, thumbnails, maps, hashes) and their threads. Measured under the
load benchmark (benchmarks/results/load.md), the loop's late wake-ups were mostly time spent
runnable but waiting for a CPU. So every worker process lowers its own priority when it
starts (``os.nice``): the scheduler then gives the server's threads the CPU first and the
workers take the rest, so a job on an otherwise idle machine runs at full speed. A worker's
compute threads (torch on the CPU) leave one core to the server.

The server exports both settings (``c.VisionLensApp.worker_nice`` and
``c.VisionLensApp.worker_threads``) through the environment, which worker processes and
job kernels inherit. Imported by worker processes: keep it free of heavy imports.
"""

from __future__ import annotations

import os

NICE_ENV = "VISIONLENS_WORKER_NICE"
THREADS_ENV = "VISIONLENS_WORKER_THREADS"
DEFAULT_NICE = 10
"""Nice 10 weighs about a tenth of a nice-0 thread in Linux's scheduler."""


def _env_int(name: str) -> int | None:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return None


def worker_nice() -> int:
    """Niceness a worker process adds to its own (``$VISIONLENS_WORKER_NICE``, default 10)."""
    value = _env_int(NICE_ENV)
    return DEFAULT_NICE if value is None else max(0, min(19, value))


def lower_priority() -> None:
    """Run this (worker) process at a lower CPU priority; a no-op where not allowed."""
    nice = worker_nice()
    if nice <= 0:
        return
    try:
        os.nice(nice)
    except (AttributeError, OSError):  # no os.nice (Windows) or not allowed: run as is
        pass


def default_worker_threads() -> int:
    """Every core but one for the server (at least 1)."""
    return max(1, (os.cpu_count() or 1) - 1)


def compute_threads() -> int:
    """Threads for CPU compute (torch): ``$VISIONLENS_WORKER_THREADS`` where the server set
    it (worker processes, job kernels), else every core (the CLI running alone)."""
    value = _env_int(THREADS_ENV)
    return max(1, value) if value is not None else max(1, os.cpu_count() or 1)
