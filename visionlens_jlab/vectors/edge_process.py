"""The embedded Qdrant Edge store in a child process owned by the server.

Every ``qdrant_edge`` call holds the GIL of the process that makes it for its whole duration
(measured on the load benchmark's machine: creating a space 215 ms, an upsert of 600-1024
points up to 200 ms, a flush 184 ms, closing 108 ms), and while it does the server's event
loop and every request thread stand still. :class:`EdgeProcessStore` runs the same
:class:`~.edge.EdgeVectorStore` in a child process started by the server, so those calls
hold the child's GIL instead; the server only pickles arguments and answers through a pair
of pipes, and waits for them with its GIL released.

The server still owns the store: the child is its own, starts with the first use of the
store, serves calls on a few threads (a search answers while an upsert or an index build
runs, as in-process), exits when the server closes the store, and exits by itself when
the server dies (its request pipe reaches end of file). If the child dies, the calls in
flight fail with :class:`~.base.VectorStoreUnavailableError` and the next call starts a new
child on the same shards; every write that returned is durable (Edge's WAL), and
:func:`~.reconcile.reconcile` repairs the rest at the next open, as after a crash.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from .base import (
    Hit,
    SpaceInfo,
    VectorStore,
    VectorStoreError,
    VectorStoreLockedError,
    VectorStoreUnavailableError,
)

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 120.0
"""How long the child may take to start and open every shard."""
LOCK_WAIT_S = 10.0
"""How long a new child waits for a previous one (exiting after its server died) to release
the shards' locks."""
CLOSE_TIMEOUT_S = 60.0
CALL_THREADS = 4
CHILD_CODE = f"import sys; from {__name__} import main; main(sys.argv[1:])"
"""The child's program (not ``-m``: the package imports this module before running it)."""
METHODS = frozenset(
    {
        "ensure_space",
        "spaces",
        "drop_space",
        "upsert",
        "delete",
        "delete_dataset",
        "optimize",
        "search_batch",
        "get_vectors",
        "count",
        "points",
        "flush",
    }
)


class _Child:
    """One child process and its pipes; ``pending`` maps request ids to their futures."""

    def __init__(self, proc: subprocess.Popen[bytes], outbox: Connection, inbox: Connection):
        self.proc = proc
        self.outbox = outbox
        self.inbox = inbox
        self.pending: dict[int, Future[tuple[bool, Any]]] = {}
        self.dead = False


class EdgeProcessStore(VectorStore):
    """:class:`~.edge.EdgeVectorStore` on ``root``, run in a child process (see the module)."""

    kind = "edge"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = False
        with self._lock:
            self._child: _Child | None = self._start()

    @property
    def pid(self) -> int | None:
        """The child's process id (None once closed)."""
        child = self._child
        return None if child is None else child.proc.pid

    # ---------------------------------------------------------------- the child

    def _start(self) -> _Child:
        """Start a child on ``root`` and wait until it has opened the shards."""
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                return self._spawn()
            except VectorStoreLockedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # a previous child may still be closing the shards

    def _spawn(self) -> _Child:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CHILD_CODE,
                    str(self.root),
                    str(to_child_r),
                    str(from_child_w),
                ],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        child = _Child(
            proc, Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        )
        try:
            if not child.inbox.poll(OPEN_TIMEOUT_S):
                raise VectorStoreUnavailableError(
                    f"the vector store process did not open {self.root} in {OPEN_TIMEOUT_S:.0f} s"
                )
            _, ok, value = child.inbox.recv()
        except (EOFError, OSError) as exc:
            self._reap(child)
            raise VectorStoreUnavailableError(
                f"the vector store process exited while opening (code {proc.poll()}): {exc}"
            ) from exc
        except BaseException:
            self._reap(child)
            raise
        if not ok:
            self._reap(child)
            raise value
        threading.Thread(
            target=self._read, args=(child,), name="visionlens-vectors-reader", daemon=True
        ).start()
        return child

    def _reap(self, child: _Child) -> None:
        child.outbox.close()
        child.inbox.close()
        try:
            child.proc.wait(timeout=CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()

    def _read(self, child: _Child) -> None:
        """The answers of one child, to the calls waiting for them, until its pipe closes."""
        try:
            while True:
                rid, ok, value = child.inbox.recv()
                with self._lock:
                    future = child.pending.pop(rid, None)
                if future is not None:
                    future.set_result((ok, value))
        except (EOFError, OSError):
            pass
        with self._lock:
            child.dead = True
            pending, child.pending = child.pending, {}
        code = child.proc.poll()
        for future in pending.values():
            future.set_exception(
                VectorStoreUnavailableError(
                    f"the vector store process exited (code {code}) during the call; "
                    "the next call starts it again"
                )
            )

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        future: Future[tuple[bool, Any]] = Future()
        with self._lock:
            if self._closed:
                raise VectorStoreError("the vector store is closed")
            child = self._child
            if child is None or child.dead:
                if child is not None:
                    log.warning(
                        "the vector store process exited (code %s): starting it again",
                        child.proc.poll(),
                    )
                    self._reap(child)
                child = self._child = None
                child = self._child = self._start()
            rid = next(self._ids)
            child.pending[rid] = future
            try:
                child.outbox.send((rid, method, args, kwargs))
            except OSError as exc:
                child.pending.pop(rid, None)
                child.dead = True
                raise VectorStoreUnavailableError(
                    f"the vector store process is gone: {exc}"
                ) from exc
        ok, value = future.result()
        if not ok:
            raise value
        return value

    # ---------------------------------------------------------------- the store's calls

    def ensure_space(
        self, model: str, version: str, dim: int, distance: str = "cosine"
    ) -> SpaceInfo:
        """Create the shard of ``(model, version)`` if missing; return its :class:`SpaceInfo`."""
        result: SpaceInfo = self._call("ensure_space", model, version, dim, distance)
        return result

    def spaces(self) -> list[SpaceInfo]:
        """Every space, sorted by name."""
        result: list[SpaceInfo] = self._call("spaces")
        return result

    def drop_space(self, name: str) -> None:
        """Close and delete the shard of ``name``; a missing space is not an error."""
        with self._writing():
            self._call("drop_space", name)

    def upsert(
        self,
        space: str,
        sample_ids: Sequence[int] | np.ndarray,
        vectors: Sequence[Sequence[float]] | np.ndarray,
        dataset_ids: int | Sequence[int] | np.ndarray,
    ) -> int:
        """Insert or replace vectors (durable when this returns)."""
        with self._writing():
            result: int = self._call("upsert", space, sample_ids, vectors, dataset_ids)
            return result

    def delete(self, sample_ids: Sequence[int] | np.ndarray, space: str | None = None) -> None:
        """Delete points by sample id from one space or all."""
        with self._writing():
            self._call("delete", sample_ids, space)

    def delete_dataset(self, dataset_id: int, space: str | None = None) -> int:
        """Delete every point of ``dataset_id``; returns the number removed."""
        with self._writing():
            result: int = self._call("delete_dataset", dataset_id, space)
            return result

    def optimize(self, space: str) -> None:
        """Build the HNSW index of ``space`` (in the child's own build process) and swap it in."""
        with self._writing():
            self._call("optimize", space)

    def search_batch(
        self,
        space: str,
        queries: Sequence[Sequence[float]] | np.ndarray,
        k: int = 10,
        *,
        dataset_id: int | None = None,
        sample_ids: Sequence[int] | np.ndarray | None = None,
        exact: bool = False,
        hnsw_ef: int | None = None,
    ) -> list[list[Hit]]:
        """Nearest neighbours of each query, best first."""
        result: list[list[Hit]] = self._call(
            "search_batch",
            space,
            queries,
            k,
            dataset_id=dataset_id,
            sample_ids=sample_ids,
            exact=exact,
            hnsw_ef=hnsw_ef,
        )
        return result

    def get_vectors(
        self, space: str, sample_ids: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of those ids that have one, in the order asked."""
        result: tuple[np.ndarray, np.ndarray] = self._call("get_vectors", space, sample_ids)
        return result

    def count(self, space: str, dataset_id: int | None = None) -> int:
        """Exact number of points (of one dataset, if given)."""
        result: int = self._call("count", space, dataset_id)
        return result

    def points(self, space: str, dataset_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(sample_ids, dataset_ids)`` of every point, sorted by sample id."""
        result: tuple[np.ndarray, np.ndarray] = self._call("points", space, dataset_id)
        return result

    def flush(self) -> None:
        """Write every shard's pending changes to its segments."""
        self._call("flush")

    def close(self) -> None:
        """Let the child finish its calls, close every shard and exit. Idempotent."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
        if child is None:
            return
        try:
            child.outbox.send((0, "close", (), {}))
        except OSError:
            pass  # already gone
        self._reap(child)


# -------------------------------------------------------------------- in the child


def _answer(rid: int, ok: bool, value: Any) -> bytes:
    """The pickled answer; an exception that cannot be pickled is sent as its message."""
    try:
        return pickle.dumps((rid, ok, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        error = VectorStoreError(f"{type(value).__name__}: {value}") if not ok else value
        return pickle.dumps((rid, False, error))


def serve(root: Path, inbox: Connection, outbox: Connection) -> None:
    """Open the Edge store on ``root`` and answer calls until told to close or the server
    closes its end of the pipe."""
    from .edge import EdgeVectorStore

    send_lock = threading.Lock()

    def send(rid: int, ok: bool, value: Any) -> None:
        data = _answer(rid, ok, value)
        with send_lock:
            outbox.send_bytes(data)

    try:
        store = EdgeVectorStore(root)
    except Exception as exc:
        send(0, False, exc)
        return
    send(0, True, None)

    def run(rid: int, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            if method not in METHODS:
                raise VectorStoreError(f"unknown vector store call {method!r}")
            value = getattr(store, method)(*args, **kwargs)
        except Exception as exc:
            send(rid, False, exc)
        else:
            send(rid, True, value)

    pool = ThreadPoolExecutor(max_workers=CALL_THREADS, thread_name_prefix="vectors")
    try:
        while True:
            try:
                rid, method, args, kwargs = inbox.recv()
            except (EOFError, OSError):
                break  # the server is gone
            if method == "close":
                break
            pool.submit(run, rid, method, args, kwargs)
    finally:
        pool.shutdown(wait=True)  # the calls in flight answer before the shards close
        store.close()


def main(argv: list[str]) -> None:
    """The child: ``python -c CHILD_CODE ROOT READ_FD WRITE_FD``."""
    logging.basicConfig(level=logging.WARNING, format="[vectors %(levelname)s] %(message)s")
    root, read_fd, write_fd = Path(argv[0]), int(argv[1]), int(argv[2])
    serve(root, Connection(read_fd, writable=False), Connection(write_fd, readable=False))
