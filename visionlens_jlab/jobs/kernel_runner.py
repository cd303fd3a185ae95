"""The ``kernel`` runner: a job's work done by a headless kernel the server starts.

On JupyterHub the GPU and torch often live only in a kernel environment (or behind a
gateway), not in the server's. The server's own kernel manager starts a kernel of the chosen
kernelspec and executes the job's kernel-side entry point in it (``entry``: the embedding
job's ``embed/kernel_client.py``, the model job's ``predict/kernel_client.py``); the kernel
reads the work list and POSTs its results to the REST API (it has the server URL and token
in its environment, :mod:`.kernel_client`), where they land in this job's
:class:`KernelInbox` queue; the job thread takes them from there and writes, exactly as for
the process runner. The kernel is shut down when the job ends, also on failure or cancel
(interrupted first).

Each kind of job has its own :class:`KernelInbox` (its work-list encoding and message
decoding) and its own entry point; this module knows neither.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from ..catalog import NotFoundError
from .job import JobCancelled, JobContext
from .processes import WorkerError

POLL_SECONDS = 0.2
READY_TIMEOUT = 120.0
SHUTDOWN_WAIT = 30.0


class InboxNotFoundError(NotFoundError):
    """No kernel job of that id is waiting for results."""


class KernelInbox:
    """Per-job queues of messages POSTed by kernels, and the work lists they fetch.

    ``encode_items`` turns a job's work list into the body the kernel fetches,
    ``decode`` a POSTed body into a message (each kind of job has its wire format:
    ``embed/wire.py``, ``predict/wire.py``); ``what`` names the jobs in errors.
    """

    def __init__(
        self,
        encode_items: Callable[[Sequence[Any]], bytes],
        decode: Callable[[bytes], tuple[Any, ...]],
        what: str,
    ) -> None:
        self._encode, self._decode, self.what = encode_items, decode, what
        self._lock = threading.Lock()
        self._queues: dict[str, queue.Queue[tuple[Any, ...]]] = {}
        self._items: dict[str, bytes] = {}

    def open(self, job_id: str, items: Sequence[Any]) -> queue.Queue[tuple[Any, ...]]:
        inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        with self._lock:
            self._queues[job_id] = inbox
            self._items[job_id] = self._encode(items)
        return inbox

    def close(self, job_id: str) -> None:
        with self._lock:
            self._queues.pop(job_id, None)
            self._items.pop(job_id, None)

    def work_list(self, job_id: str) -> bytes:
        """The job's work list, encoded by ``encode_items``."""
        with self._lock:
            if job_id not in self._items:
                raise InboxNotFoundError(f"no kernel {self.what} job {job_id!r} is running")
            return self._items[job_id]

    def deliver(self, job_id: str, body: bytes) -> None:
        """Decode one POSTed message and hand it to the job."""
        message = self._decode(body)
        with self._lock:
            inbox = self._queues.get(job_id)
        if inbox is None:
            raise InboxNotFoundError(f"no kernel {self.what} job {job_id!r} is running")
        inbox.put(message)


def kernel_code(job_id: str, options: dict[str, Any], entry: str) -> str:
    """The code the kernel executes: ``entry(job_id, options)`` (``entry`` is one of this
    package's functions; the arguments are JSON literals: no user text is code)."""
    module, _, function = entry.rpartition(".")
    return (
        f"from {module} import {function} as _vl_run\n"
        f"_vl_run({json.dumps(job_id)}, __import__('json').loads({json.dumps(json.dumps(options))}))\n"
    )


async def _drive_kernel(
    kernel_manager: Any, kernelspec: str | None, code: str, stop: threading.Event
) -> None:
    """Start a kernel, run ``code``, shut it down; raises with the kernel's error."""
    kwargs = {"kernel_name": kernelspec} if kernelspec else {}
    kernel_id = await kernel_manager.start_kernel(**kwargs)
    client = None
    try:
        client = kernel_manager.get_kernel(kernel_id).client()
        client.start_channels()
        await client.wait_for_ready(timeout=READY_TIMEOUT)
        msg_id = client.execute(code, store_history=False, allow_stdin=False)
        while True:
            if stop.is_set():
                await kernel_manager.interrupt_kernel(kernel_id)
                return
            try:
                reply = await client.get_shell_msg(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content.get("status") != "ok":
                raise RuntimeError(
                    f"{content.get('ename', 'error')}: {content.get('evalue', '')}".strip()
                )
            return
    finally:
        if client is not None:
            client.stop_channels()
        await kernel_manager.shutdown_kernel(kernel_id, now=True)


def _check_kernel(
    ctx: JobContext | None, future: Future[None], messages: queue.Queue[tuple[Any, ...]]
) -> None:
    """Raise when the job was cancelled, or the kernel ended without finishing the work."""
    if ctx is not None and ctx.cancelled:
        raise JobCancelled()
    if future.done():
        if future.exception() is not None:
            raise WorkerError(f"the kernel failed: {future.exception()}")
        if messages.empty():
            raise WorkerError("the kernel finished without sending its results")


def kernel_source(
    ctx: JobContext | None,
    *,
    kernel_manager: Any,
    loop: asyncio.AbstractEventLoop,
    inbox: KernelInbox,
    job_id: str,
    kernelspec: str | None,
    options: dict[str, Any],
    items: Sequence[Any],
    entry: str,
) -> Iterator[tuple[Any, ...]]:
    """Yield the messages a kernel running ``entry`` posts for this job (to the job's
    writer: the embedding job's ``run_embedding``, the model job's ``run_prediction``)."""
    messages = inbox.open(job_id, items)
    stop = threading.Event()
    future: Future[None] = asyncio.run_coroutine_threadsafe(
        _drive_kernel(kernel_manager, kernelspec, kernel_code(job_id, options, entry), stop),
        loop,
    )
    completed = False
    try:
        while True:
            try:
                message = messages.get(timeout=POLL_SECONDS)
            except queue.Empty:
                _check_kernel(ctx, future, messages)
                continue
            yield message
            if message[0] == "done":
                completed = True
                return
    finally:
        if not completed:  # failed, cancelled or abandoned: interrupt the kernel's work
            stop.set()
        try:
            future.result(timeout=SHUTDOWN_WAIT)  # the kernel is shut down in there
        except Exception:
            pass  # already reported above, or the job is being cancelled
        inbox.close(job_id)
