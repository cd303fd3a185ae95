"""The model's own thread: the one place the promptable model runs in the server.

Never the event loop (an image embedding takes seconds on a CPU) and never the request
threads (they serve the grid's pages). One thread, because one model is held and torch
already spreads one call over the cores. Two queues: clicks, which a person waits on, go
first; prefetched embeddings (the images the user is likely to open next) run only when no
click waits, and a new prefetch list replaces the one not started yet (the user moved on).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class ModelHost:
    """Runs calls on one daemon thread, clicks before background work."""

    def __init__(self, name: str = "visionlens-segment") -> None:
        self._name = name
        self._clicks: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._background: deque[Callable[[], Any]] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def run(self, call: Callable[[], Any]) -> Future[Any]:
        """Run ``call`` before any background work not started yet; its future."""
        future: Future[Any] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the model host is closed")
            self._clicks.append((future, call))
            self._start()
            self._wake.notify()
        return future

    def replace_background(self, calls: list[Callable[[], Any]]) -> int:
        """Queue ``calls`` as the background work, dropping what was queued and not
        started; how many were dropped."""
        with self._wake:
            dropped = len(self._background)
            self._background.clear()
            self._background.extend(calls)
            if calls:
                self._start()
                self._wake.notify()
        return dropped

    def pending_background(self) -> int:
        """Background calls not started yet."""
        with self._wake:
            return len(self._background)

    def close(self) -> None:
        """Stop after the call running now; queued calls are dropped (clicks cancelled)."""
        with self._wake:
            self._closed = True
            for future, _ in self._clicks:
                future.cancel()
            self._clicks.clear()
            self._background.clear()
            self._wake.notify()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not (self._closed or self._clicks or self._background):
                    self._wake.wait()
                if self._closed:
                    return
                if self._clicks:
                    future, call = self._clicks.popleft()
                else:
                    future, call = None, self._background.popleft()
            if future is None:
                try:
                    call()
                except Exception:  # a prefetch that fails is tried again by the click
                    pass
                continue
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as exc:  # the caller gets it, the thread goes on
                future.set_exception(exc)
