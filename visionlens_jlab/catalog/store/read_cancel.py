"""Cancellable reads: a request whose client went away stops its DuckDB statements.

The grid aborts its samples and facets requests when the filter changes again before they are
answered. Without this module the server ran each aborted query to its end: at 1M images a
few quick filter changes queued several statements of up to a second each on the request
threads and on DuckDB's threads, and the answer the user waited for came after all of them.

A :class:`ReadScope` belongs to one request. The request's engine call runs inside
:meth:`ReadScope.run` (in the thread that runs it), and every read cursor the catalog hands out
meanwhile is attached to the scope (:func:`attached`, called by ``Catalog.cursor``).
:meth:`ReadScope.cancel`, called from any thread (the event loop, when the connection closes),
interrupts the statement each attached cursor is running, and a cursor the cancelled scope asks
for afterwards raises :class:`ReadCancelledError`. Write transactions are never attached: a
write the client stopped waiting for still commits or rolls back whole.

DuckDB forgets an interrupt that arrives while its cursor runs no statement, so a cancel that
lands between two statements of one cursor stops the next cursor, not the next statement.

The same cancel bounds a request's time (:meth:`ReadScope.time_out`, the server's
``max_request_seconds``): its reads stop, and it answers :class:`ReadTimedOutError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NoReturn, TypeVar

import duckdb

T = TypeVar("T")

_current: ContextVar[ReadScope | None] = ContextVar("visionlens_read_scope", default=None)


class ReadCancelledError(Exception):
    """A read stopped because the request it served was cancelled (its client went away).

    Not a :class:`~.catalog.CatalogError`: nothing was wrong with the request, and nobody is
    left to read a message about it."""


class ReadTimedOutError(Exception):
    """A read stopped because its request ran past the server's time bound per request."""


class ReadScope:
    """The read cursors of one request, so that the request can be cancelled from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _cursors and cancelled against cancel()
        self._cursors: set[duckdb.DuckDBPyConnection] = set()
        self.cancelled = False
        self._timed_out_after: float | None = None  # seconds, once time_out() stopped it

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """Call ``fn(*args)`` with this scope current; an interrupt that this scope's
        :meth:`cancel` caused comes out as :class:`ReadCancelledError`."""
        token = _current.set(self)
        try:
            return fn(*args)
        except (duckdb.InterruptException, ReadCancelledError) as exc:
            if not self.cancelled:
                raise
            self._raise_why(exc)
        finally:
            _current.reset(token)

    def _raise_why(self, exc: BaseException) -> NoReturn:
        if self._timed_out_after is not None:
            raise ReadTimedOutError(
                f"the request ran longer than {self._timed_out_after:g} s, the server's bound "
                "per request (c.VisionLensApp.max_request_seconds): narrow the filter or ask "
                "an administrator to raise the bound"
            ) from exc
        if isinstance(exc, ReadCancelledError):
            raise exc
        raise ReadCancelledError("the request was cancelled by its client") from exc

    def time_out(self, seconds: float) -> None:
        """Stop the scope's reads because its request ran ``seconds``, longer than allowed:
        a cancel whose error says so."""
        with self._lock:
            if not self.cancelled:
                self._timed_out_after = seconds
        self.cancel()

    def cancel(self) -> None:
        """Interrupt every statement the scope's cursors run now, and refuse new cursors."""
        with self._lock:
            self.cancelled = True
            for cur in self._cursors:
                cur.interrupt()

    def _attach(self, cur: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            if self.cancelled:
                raise ReadCancelledError("the request was cancelled by its client")
            self._cursors.add(cur)

    def _detach(self, cur: duckdb.DuckDBPyConnection) -> None:
        with self._lock:  # after this no cancel() touches ``cur``: the caller may close it
            self._cursors.discard(cur)


@contextmanager
def attached(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Attach a read cursor to the current :class:`ReadScope` (if any) while it is in use."""
    scope = _current.get()
    if scope is None:
        yield
        return
    scope._attach(cur)
    try:
        yield
    finally:
        scope._detach(cur)
