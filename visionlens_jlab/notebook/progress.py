"""Follow a server job from a notebook: a text progress bar that updates in place.

In a notebook the bar is one display output updated in place (``IPython.display`` with a
display id: no ipywidgets dependency); elsewhere it is a line on stderr rewritten with
``\\r``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from ..rest_client import RestClient, VisionLensError

BAR_WIDTH = 30
FINISHED = ("done", "failed", "cancelled")


def format_job(job: dict[str, Any]) -> str:
    """One line: title, bar, percentage, stage, items/s, ETA, queue position."""
    fraction = job.get("progress") or 0.0
    filled = int(round(fraction * BAR_WIDTH))
    parts = [f"{job.get('title', job['id'])} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}]"]
    parts.append(f"{fraction * 100:5.1f}%")
    if job.get("queue_position"):
        parts.append(f"queued, position {job['queue_position']}")
    elif job.get("stage"):
        parts.append(job["stage"])
    if job.get("items_per_second"):
        parts.append(f"{job['items_per_second']:.1f} items/s")
    if job.get("eta_seconds") is not None and job.get("status") == "running":
        parts.append(f"ETA {job['eta_seconds']:.0f} s")
    if job.get("status") in FINISHED:
        parts.append(job["status"])
    return "  ".join(parts)


class _Display:
    def __init__(self) -> None:
        self._handle: Any = None
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None and getattr(shell, "kernel", None) is not None:
                from IPython.display import display

                self._handle = display({"text/plain": ""}, raw=True, display_id=True)
        except ImportError:
            self._handle = None

    def show(self, line: str, final: bool = False) -> None:
        if self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)
        else:
            sys.stderr.write("\r" + line + ("\n" if final else ""))
            sys.stderr.flush()


def follow_job(
    client: RestClient,
    job: Mapping[str, Any],
    *,
    poll: float = 0.5,
    show: bool = True,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Poll a job until it finishes, showing its progress; return its final state.

    Interrupting the kernel (KeyboardInterrupt) cancels the job on the server; a job still
    running after ``timeout`` seconds raises VisionLensError (the job keeps running).
    """
    display = _Display() if show else None
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            state = client.get_json(f"jobs/{job['id']}")
            if display is not None:
                display.show(format_job(state), final=state["status"] in FINISHED)
            if state["status"] in FINISHED:
                return state
            if deadline is not None and time.monotonic() > deadline:
                raise VisionLensError(
                    f"job {job['id']} still {state['status']} after {timeout:g} s"
                )
            time.sleep(poll)
    except KeyboardInterrupt:
        client.cancel_job(job["id"])
        raise VisionLensError(f"interrupted: job {job['id']} cancelled") from None


def job_result(
    client: RestClient,
    job: Mapping[str, Any],
    what: str,
    *,
    poll: float = 0.5,
    show: bool = False,
    timeout: float | None = None,
) -> Any:
    """Follow ``job`` (see :func:`follow_job`) and return its result; a failed or cancelled
    job raises VisionLensError with its error. ``what`` names the job in that message."""
    state = follow_job(client, job, poll=poll, show=show, timeout=timeout)
    if state["status"] != "done":
        error = state.get("error")
        raise VisionLensError(f"the {what} job {state['status']}" + (f": {error}" if error else ""))
    return state["result"]
