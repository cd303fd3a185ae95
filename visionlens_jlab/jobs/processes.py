"""Run a generator function in a worker process and stream its items back.

Used for CPU-heavy parsing (and later embedding and map jobs): the worker does the work, the
server process receives picklable items (Arrow tables pickle as IPC buffers) and does the
writing. A crash or kill of the worker becomes a :class:`WorkerError` (never a hang);
cancelling the job terminates the worker.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import sys
import threading
import types
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from ..worker_priority import lower_priority
from .job import JobCancelled, JobContext

_POLL_SECONDS = 0.2


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


def send_items(conn: Any, func: Callable[..., Iterable[Any]], args: tuple[Any, ...]) -> None:
    """A worker's side of one run: each item ``func(*args)`` yields as ``("item", x)``, then
    ``("done", None)``, or ``("error", message)`` for whatever it raised."""
    try:
        for item in func(*args):
            conn.send(("item", item))
    except BaseException as exc:  # report everything; the parent decides
        conn.send(("error", f"{exc}" or type(exc).__name__))
        return
    conn.send(("done", None))


def receive_items(ctx: JobContext | None, conn: Any, proc: Any) -> Iterator[Any]:
    """The parent's side of one run (:func:`send_items`): its items, until ``done``; the
    worker's error, its death (EOF) or the job's cancel raise."""
    while True:
        if ctx is not None and ctx.cancelled:
            raise JobCancelled()
        if not conn.poll(_POLL_SECONDS):
            continue  # a dead worker makes poll() true, then recv() fails
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):  # OSError: "got end of file during message"
            proc.join(timeout=5)
            raise WorkerError(f"the worker process died (exit code {proc.exitcode})") from None
        if kind == "item":
            yield payload
        elif kind == "error":
            raise WorkerError(payload)
        else:
            return


def _child(func: Callable[..., Iterable[Any]], args: tuple[Any, ...], conn: Any) -> None:
    lower_priority()  # the server's event loop gets the CPU first (worker_priority)
    send_items(conn, func, args)


def stream_from_worker(
    ctx: JobContext | None, func: Callable[..., Iterable[Any]], *args: Any
) -> Iterator[Any]:
    """Yield the items ``func(*args)`` yields, computed in a spawned worker process.

    ``func`` must be importable at module level (spawn pickles it by reference). Items
    travel through a pipe whose only write end the worker holds: a worker killed even in
    the middle of sending an item ends the stream (EOF) instead of leaving the reader
    waiting for the rest of it. The pipe also bounds memory: the worker can be one item
    ahead of the reader, no more.
    """
    spawn = mp.get_context("spawn")
    reader, writer = spawn.Pipe(duplex=False)
    proc = spawn.Process(target=_child, args=(func, args, writer), daemon=True)
    with without_main_script():
        proc.start()
    writer.close()
    try:
        yield from receive_items(ctx, reader, proc)
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=5)
        reader.close()


def stream_from_workers(
    ctx: JobContext | None,
    func: Callable[..., Iterable[Any]],
    args: tuple[Any, ...],
    shards: Sequence[Any],
) -> Iterator[Any]:
    """The items of ``func(*args, shard)`` for every shard, each computed in its own
    spawned worker (:func:`stream_from_worker`), in the order they arrive. A worker's
    failure or the job's cancel (every worker's stream checks it) ends all of them."""
    yield from merge_streams([stream_from_worker(ctx, func, *args, shard) for shard in shards])


def merge_streams(streams: Sequence[Iterator[Any]]) -> Iterator[Any]:
    """The items of every stream, in the order they arrive, each stream read on its own
    thread (a single stream is read directly). The first failure ends all of them: each
    stream is closed (a worker's stream terminates its process when closed)."""
    if len(streams) == 1:
        yield from streams[0]
        return
    parts: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * len(streams))
    stop = threading.Event()

    def pump(stream: Iterator[Any]) -> None:
        try:
            for part in stream:
                if stop.is_set():
                    return
                parts.put(("part", part))
            parts.put(("done", None))
        except BaseException as exc:  # handed to the reader, which raises it
            parts.put(("error", exc))
        finally:
            cast(Generator[Any], stream).close()

    threads = [threading.Thread(target=pump, args=(s,), daemon=True) for s in streams]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            kind, payload = parts.get()
            if kind == "part":
                yield payload
            elif kind == "done":
                running -= 1
            else:
                raise payload
    finally:
        stop.set()
        while any(t.is_alive() for t in threads):  # unblock pumps waiting on a full queue
            try:
                parts.get(timeout=0.1)
            except queue.Empty:
                pass
        for thread in threads:
            thread.join()
