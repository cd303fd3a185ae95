"""The server's long-lived Ray drivers: one process per cluster address, kept between jobs.

A ray job's fixed cost (importing Ray, connecting as a driver, starting the model actors
and loading the model) is paid once: the driver process stays connected, and its
:class:`~.ray_pool.RaySession` keeps the last model's actors loaded, so the next job of
the same model starts at once. The process is ended (its actors with it: Ray kills the
actors a driver owns when it leaves) after ``idle_timeout`` seconds without a job, when
the server stops, and when it stops answering. Ray runs in that process, never in the
server's.

Protocol (one job at a time per driver; the server side holds a lock): the server sends
``("job", func, args)``; the driver calls ``func(session, *args, cancelled=...)`` and
sends ``("item", x)`` per item, then ``("end",)``, ``("error", text)`` or, after the
server sent ``("cancel",)``, ``("cancelled",)``. ``("exit",)`` ends the process.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..worker_priority import lower_priority
from .job import JobCancelled, JobContext
from .processes import WorkerError, without_main_script
from .ray_pipeline import PipelineCancelled

POLL_SECONDS = 0.2
CANCEL_SECONDS = 60.0
"""How long a cancelled job's driver may take to cancel its work before it is killed."""
EXIT_SECONDS = 15.0


def _driver_main(conn: Any, address: str) -> None:
    """The driver process: jobs from ``conn`` until told to exit or the server is gone."""
    from .ray_pool import RaySession

    lower_priority()  # the server's event loop gets the CPU first (worker_priority)
    session = RaySession(address)
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the server is gone
                return
            if message[0] == "exit":
                return
            if message[0] == "job":
                _run_job(conn, session, message[1], message[2])
            # a "cancel" here came after its job ended: nothing to do
    finally:
        session.close()


def _run_job(conn: Any, session: Any, func: Callable[..., Iterable[Any]], args: Any) -> None:
    state = {"cancelled": False}

    def cancelled() -> bool:
        while not state["cancelled"] and conn.poll(0):
            state["cancelled"] = conn.recv()[0] == "cancel"
        return state["cancelled"]

    try:
        for item in func(session, *args, cancelled=cancelled):
            if cancelled():
                raise PipelineCancelled()
            conn.send(("item", item))
    except PipelineCancelled:
        conn.send(("cancelled",))
        return
    except Exception as exc:  # reported to the job; the driver stays for the next one
        conn.send(("error", f"{exc}" or type(exc).__name__))
        return
    conn.send(("end",))


class RayDriver:
    """The server side of one driver process (started on first use, ended when idle)."""

    def __init__(self, address: str, idle_timeout: float) -> None:
        self.address = address
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Any = None
        self._timer: threading.Timer | None = None

    @property
    def pid(self) -> int | None:
        """The driver process's id while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def stream(
        self, ctx: JobContext | None, func: Callable[..., Iterable[Any]], *args: Any
    ) -> Iterator[Any]:
        """Yield the items of ``func(session, *args, cancelled=...)`` run in the driver.

        ``func`` must be importable at module level. Cancelling the job (``ctx``) cancels
        its work on the cluster and keeps the driver and its actors; a driver that does not
        answer within :data:`CANCEL_SECONDS`, or dies, is ended (the next job starts one)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            ended = False
            try:
                conn = self._start()
                conn.send(("job", func, args))
                while True:
                    if ctx is not None and ctx.cancelled:
                        raise JobCancelled()
                    if not conn.poll(POLL_SECONDS):
                        continue  # a dead driver makes poll() true, then recv() fails
                    try:
                        message = conn.recv()
                    except (EOFError, OSError):
                        code = self._proc.exitcode if self._proc is not None else None
                        self._end(force=True)
                        ended = True
                        raise WorkerError(
                            f"the Ray driver process died (exit code {code})"
                        ) from None
                    if message[0] == "item":
                        yield message[1]
                        continue
                    ended = True
                    if message[0] == "error":
                        raise WorkerError(message[1])
                    return
            finally:
                if not ended:
                    self._cancel()
                self._idle_later()

    def _start(self) -> Any:
        if self._proc is not None and self._proc.is_alive():
            return self._conn
        spawn = mp.get_context("spawn")
        here, there = spawn.Pipe(duplex=True)
        proc = spawn.Process(target=_driver_main, args=(there, self.address), daemon=True)
        with without_main_script():
            proc.start()
        there.close()
        self._proc, self._conn = proc, here
        return here

    def _cancel(self) -> None:
        """Tell the driver to cancel its job; wait for it, or end the process."""
        conn = self._conn
        if conn is None:  # the driver did not start, or is already ended
            return
        try:
            conn.send(("cancel",))
            deadline = time.monotonic() + CANCEL_SECONDS
            while time.monotonic() < deadline:
                if conn.poll(POLL_SECONDS) and conn.recv()[0] in ("end", "error", "cancelled"):
                    return
        except (EOFError, OSError):
            pass
        self._end(force=True)

    def _idle_later(self) -> None:
        if self._proc is None:
            return
        if self.idle_timeout <= 0:
            self._end()
            return
        self._timer = threading.Timer(self.idle_timeout, self._idle)
        self._timer.daemon = True
        self._timer.start()

    def _idle(self) -> None:
        if self._lock.acquire(blocking=False):  # a job started meanwhile: it stays
            try:
                self._end()
            finally:
                self._lock.release()

    def close(self) -> None:
        """End the driver process (and so its actors); the next job starts a new one."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._end()

    def _end(self, force: bool = False) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is None:
            return
        if not force:
            try:
                conn.send(("exit",))
            except OSError:
                pass
            proc.join(EXIT_SECONDS)
        if proc.is_alive():
            proc.terminate()
            proc.join(EXIT_SECONDS)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        conn.close()


class RayDrivers:
    """The server's drivers, one per cluster address; ``idle_timeout`` seconds without a
    job end one (0: after each job)."""

    def __init__(self, idle_timeout: float) -> None:
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._drivers: dict[str, RayDriver] = {}

    def get(self, address: str) -> RayDriver:
        """The driver of ``address`` (its process starts with its first job)."""
        with self._lock:
            if address not in self._drivers:
                self._drivers[address] = RayDriver(address, self.idle_timeout)
            return self._drivers[address]

    def close(self) -> None:
        """End every driver process (the server stops)."""
        with self._lock:
            drivers = list(self._drivers.values())
        for driver in drivers:
            driver.close()
