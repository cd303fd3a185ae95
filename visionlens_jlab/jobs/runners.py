"""Which runner a model job uses, chosen once for every kind of job (embeddings, models).

A job's ``runner`` is ``process`` (spawned worker processes, the default), ``kernel[:SPEC]``
(a headless kernel the server starts, :mod:`.kernel_runner`) or ``ray[:ADDRESS]`` (a Ray
cluster, :mod:`.ray_pipeline`). Where the job runs decides what each may do:
:func:`server_runner` for a job the server queues, :func:`local_runner` for one the calling
process runs itself (the CLI when no server owns the data dir). Both refuse before anything
is queued or started.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .ray_pipeline import RayRunnerError, resolve_address, server_address

RUNNER_KINDS = ("process", "kernel", "ray")


class RunnerError(Exception):
    """A runner the job cannot use here (a bad request: unknown, missing its kernelspec or
    its cluster, or one that needs a server)."""


@dataclass(frozen=True)
class Runner:
    """The runner a job uses: its ``kind`` (one of :data:`RUNNER_KINDS`) and what that kind
    needs to start."""

    kind: str
    kernelspec: str | None = None
    """The kernel runner's kernelspec (None: the server's default kernel)."""
    address: str | None = None
    """The ray runner's cluster (set for that runner alone)."""
    loop: asyncio.AbstractEventLoop | None = None
    """The kernel runner's event loop: the server's, where its kernel manager lives."""


def parse_runner(runner: str) -> tuple[str, str | None]:
    """``process`` → (process, None); ``kernel`` / ``kernel:SPEC`` → (kernel, SPEC or None);
    ``ray`` / ``ray:ADDRESS`` → (ray, ADDRESS or None: the default cluster)."""
    kind, _, target = (runner or "process").partition(":")
    if kind not in RUNNER_KINDS or (kind == "process" and target):
        raise RunnerError(
            f"unknown runner {runner!r}: use process, kernel[:KERNELSPEC] or ray[:ADDRESS]"
        )
    return kind, target or None


def server_runner(runner: str, serverapp: Any, ray_setting: str | None) -> Runner:
    """The runner of a job the server queues; called on the server's event loop (a request
    handler), before the job is queued.

    ``kernel``: the kernelspec must be installed (the server's kernel manager starts it,
    on this loop). ``ray``: only the cluster the administrator configured (``ray_setting``,
    else the server's ``$RAY_ADDRESS``; :func:`~.ray_pipeline.server_address` refuses
    another one as forbidden).
    """
    kind, target = parse_runner(runner)
    if kind == "kernel":
        return Runner(kind, kernelspec=target, loop=_kernel_loop(serverapp, target))
    if kind == "ray":
        try:
            return Runner(kind, address=server_address(target, ray_setting))
        except RayRunnerError as exc:
            raise RunnerError(str(exc)) from exc
    return Runner(kind)


def local_runner(runner: str) -> Runner:
    """The runner of a job the calling process runs and writes itself (no server): no
    kernel runner (it needs a server to start the kernel); ``ray``: the runner's cluster,
    else ``$RAY_ADDRESS``, this process being the driver."""
    kind, target = parse_runner(runner)
    if kind == "kernel":
        raise RunnerError("the kernel runner needs a running JupyterLab server on this data dir")
    if kind == "ray":
        try:
            return Runner(kind, address=resolve_address(target, None))
        except RayRunnerError as exc:
            raise RunnerError(str(exc)) from exc
    return Runner(kind)


def _kernel_loop(serverapp: Any, kernelspec: str | None) -> asyncio.AbstractEventLoop:
    """The server's event loop (the kernel manager's), checking the kernelspec exists."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RunnerError("the kernel runner works only through a running Jupyter server") from None
    if kernelspec is None:
        return loop
    specs = serverapp.kernel_spec_manager.find_kernel_specs()
    if kernelspec not in specs:
        raise RunnerError(
            f"no kernelspec named {kernelspec!r}; installed: {', '.join(sorted(specs)) or 'none'}"
        )
    return loop
