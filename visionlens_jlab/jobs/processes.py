"""Run a generator function in a worker process and stream its items back.

Used for CPU-heavy parsing (and later embedding and map jobs): the worker does the work, the
server process receives picklable items (Arrow tables pickle as IPC buffers) and does the
writing. A crash or kill of the worker becomes a :class:`WorkerError`; cancelling the job
terminates the worker.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .manager import JobCancelled, JobContext

_POLL_SECONDS = 0.2
_QUEUE_SIZE = 8  # bounded, so a fast parser cannot buffer the whole dataset in memory


_MAIN_LOCK = threading.Lock()


@contextmanager
def without_main_script() -> Iterator[None]:
    """Processes spawned inside this block do not re-run the parent's ``__main__`` script.

    A spawned child first re-runs the parent's main script (as ``__mp_main__``) so that objects
    defined there can be unpickled. Workers need only the module of their function, but in
    JupyterLab the main script is ``jupyter-server``/``jupyter-lab``, whose imports cost ~1.9 s
    of CPU per worker on a 2-core machine: more than parsing a small dataset or rendering 300
    thumbnails. ``multiprocessing`` reads ``sys.modules["__main__"]`` when a process starts,
    so a bare stand-in for that moment (a few milliseconds, under a lock) makes the child skip
    it. Other threads would see the stand-in meanwhile: harmless in the server, which defines
    nothing in its main script.
    """
    with _MAIN_LOCK:
        real = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = real


class WorkerError(Exception):
    """The worker raised (message kept) or died."""


def _child(func: Callable[..., Iterable[Any]], args: tuple[Any, ...], out: Any) -> None:
    try:
        for item in func(*args):
            out.put(("item", item))
    except BaseException as exc:  # report everything; the parent decides
        out.put(("error", f"{exc}" or type(exc).__name__))
        return
    out.put(("done", None))


def stream_from_worker(
    ctx: JobContext | None, func: Callable[..., Iterable[Any]], *args: Any
) -> Iterator[Any]:
    """Yield the items ``func(*args)`` yields, computed in a spawned worker process.

    ``func`` must be importable at module level (spawn pickles it by reference).
    """
    spawn = mp.get_context("spawn")
    out = spawn.Queue(maxsize=_QUEUE_SIZE)
    proc = spawn.Process(target=_child, args=(func, args, out), daemon=True)
    with without_main_script():
        proc.start()
    try:
        while True:
            if ctx is not None and ctx.cancelled:
                raise JobCancelled()
            try:
                kind, payload = out.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not proc.is_alive():
                    # Drain anything put just before exit.
                    try:
                        kind, payload = out.get(timeout=_POLL_SECONDS)
                    except queue.Empty:
                        raise WorkerError(
                            f"the worker process died (exit code {proc.exitcode})"
                        ) from None
                else:
                    continue
            if kind == "item":
                yield payload
            elif kind == "error":
                raise WorkerError(payload)
            else:
                return
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=5)
        out.close()
