"""Code that runs inside thumbnail pre-generation worker processes.

Kept apart from :mod:`.pregen` so a spawned worker imports only Pillow and the storage
client, never numpy, DuckDB or the server (each worker pays its imports at every job).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import sources
from .cache import ThumbnailCache, cache_key
from .errors import MediaError, MediaUnavailableError
from .image_source import SourceVersion
from .imaging import render_thumbnail


@dataclass(frozen=True)
class Task:
    """One image to pre-generate; ``version`` is known when a listing provided it."""

    sample_id: int
    location: str
    version: SourceVersion | None


@dataclass
class TaskResult:
    """What happened to one image: ``error`` is a media error code or ``unavailable``."""

    sample_id: int
    generated: int = 0
    cached: int = 0
    nbytes: int = 0
    error: str | None = None
    detail: str = ""


class DecodeTimeout(Exception):
    """A decode ran past its :func:`time_limit`."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt a decode that runs too long (worker processes run tasks on their main thread).

    Pillow decodes in Python-level chunks, so the alarm gets through; the parent also
    kills the whole pool if a chunk hangs anyway. The handler's exception can land where
    Python ignores it (a weakref or import-lock callback), so the block also fails when the
    alarm fired and nothing was raised: a late result is still a timeout.
    """
    fired = False

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal fired
        fired = True
        raise DecodeTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        raise DecodeTimeout()


def render_chunk(
    cache_root: str,
    tasks: list[Task],
    sizes: tuple[int, ...],
    variant: str,
    timeout_s: float,
) -> list[TaskResult]:
    """Render every missing thumbnail of ``tasks`` into the cache at ``cache_root``."""
    cache = ThumbnailCache(cache_root)  # writes unaccounted: the parent enforces the cap
    return [_one(cache, task, sizes, variant, timeout_s) for task in tasks]


def _one(
    cache: ThumbnailCache, task: Task, sizes: tuple[int, ...], variant: str, timeout_s: float
) -> TaskResult:
    result = TaskResult(task.sample_id)
    try:
        version = task.version or sources.version(task.location)
        if task.location.startswith("gs://"):
            cache.set_gcs_version(sources.versioned_file(task.location), version)
        keys = {size: cache_key(task.location, version, size, variant) for size in sizes}
        todo = []
        for size, key in keys.items():
            entry = cache.get(key)
            if entry is None:
                todo.append(size)
            elif entry.error is not None:
                raise MediaError(entry.error, "failed before (cached error)")
            else:
                result.cached += 1
        if not todo:
            return result
        data = sources.read_bytes(task.location)  # GCS: pulled once for every size
        for size in todo:
            try:
                with time_limit(timeout_s):
                    thumb, _ = render_thumbnail(data, size, variant, name=task.location)
            except DecodeTimeout:
                raise MediaError("too_large", f"decoding took over {timeout_s:g} s") from None
            except MediaError as exc:
                cache.put_error(keys[size], exc.code, account=False)
                raise
            cache.put(keys[size], thumb, account=False)
            result.generated += 1
            result.nbytes += len(thumb)
    except MediaError as exc:
        result.error, result.detail = exc.code, str(exc)
    except MediaUnavailableError as exc:
        result.error, result.detail = "unavailable", str(exc)
    except Exception as exc:  # one bad image must not fail the whole job
        result.error, result.detail = "corrupt", f"{type(exc).__name__}: {exc}"
    return result
