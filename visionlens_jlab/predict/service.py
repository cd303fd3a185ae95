"""The server's model jobs: queued on the GPU lane, computed in a worker process (the
``process`` runner), in a headless Jupyter kernel the server starts (``kernel[:SPEC]``), or
on a Ray cluster driven from the server's long-lived driver process (``ray[:ADDRESS]``)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ..catalog import Catalog
from ..embed.job import parse_runner
from ..jobs.job import Job, JobContext, JobPaused
from ..jobs.kernel_runner import KernelInbox, kernel_loop, kernel_source
from ..jobs.manager import JobManager
from ..jobs.ray_driver import RayDriver, RayDrivers
from ..jobs.ray_pipeline import RayRunnerError, server_address
from .base import PredictError, PredictOptions
from .job import Item, Source, combined, run_prediction
from .ray_runner import ray_predict_stream
from .wire import decode_message, encode_items
from .workers import sharded_source

KERNEL_ENTRY = "visionlens_jlab.predict.kernel_client.run_kernel_job"


def ray_source(ctx: JobContext | None, driver: RayDriver) -> Source:
    """The ``ray`` runner: :func:`~.ray_runner.ray_predict_stream` in the server's
    long-lived driver of the cluster (cancel cancels the job's work there; the model
    actors stay loaded for the next job of the same model)."""

    def source(request: dict[str, Any], items: Sequence[Item]) -> Any:
        return driver.stream(ctx, ray_predict_stream, request, list(items))

    return source


class PredictService:
    """Model jobs of one server: the process runner, the ray runner (``ray_address``: the
    default cluster; ``ray_drivers``: the server's long-lived drivers) and the kernel runner (whose kernels fetch their work lists from, and
    post their messages to, :attr:`inbox`)."""

    def __init__(
        self,
        catalog: Catalog,
        jobs: JobManager,
        *,
        serverapp: Any,
        ray_address: str | None = None,
        ray_drivers: RayDrivers | None = None,
    ) -> None:
        self.catalog = catalog
        self.jobs = jobs
        self.serverapp = serverapp
        self.ray_address = ray_address or None
        self.ray_drivers = ray_drivers or RayDrivers(0)
        self.inbox = KernelInbox(encode_items, decode_message, what="model")

    def kernel_loop(self, options: PredictOptions) -> asyncio.AbstractEventLoop | None:
        """For the kernel runner, the server's event loop (checking the kernelspec exists);
        called on that loop, before :meth:`submit`."""
        kind, target = parse_runner(options.runner)
        return kernel_loop(self.serverapp, target) if kind == "kernel" else None

    def submit(self, options: PredictOptions, loop: asyncio.AbstractEventLoop | None = None) -> Job:
        """Queue a model job; an unknown dataset is refused before anything is queued.
        ``loop``: what :meth:`kernel_loop` returned (the kernel runner needs it)."""
        with self.catalog.cursor() as cur:
            self.catalog.dataset_id(cur, options.dataset)  # NotFoundError now, not in the job
        kind, target = parse_runner(options.runner)
        address = self._ray_address(target) if kind == "ray" else ""
        earlier: list[dict[str, Any]] = []  # the results of runs that paused to make way

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"{options.task}: {options.model}")
            if kind == "kernel":
                assert loop is not None, "the kernel runner needs the server's event loop"
                source = self._kernel_source(ctx, loop, target)
            elif kind == "ray":
                source = ray_source(ctx, self.ray_drivers.get(address))
            else:
                # spawned workers: torch, the model and the decoding never run in the server
                source = sharded_source(ctx, options.workers)
            try:
                result = run_prediction(ctx, self.catalog, options, source)
            except JobPaused as paused:
                earlier.append(paused.partial)
                raise
            return combined([*earlier, result])

        # captions are background work: resumable (a rerun skips the images captioned),
        # so they make way for every other model job (docs/architecture.md, GPU lane)
        return self.jobs.submit(
            "predict",
            run,
            title=f"{options.task.capitalize()} {options.dataset} with {options.model}",
            lane="gpu",
            dataset=options.dataset,
            yields=options.task == "caption",
        )

    def _ray_address(self, address: str | None) -> str:
        """The cluster of a ray job (:func:`~visionlens_jlab.jobs.ray_pipeline.server_address`):
        refused at once, as a bad request, when Ray is missing or no address is known, and as
        forbidden when the request names a cluster other than the configured one."""
        try:
            return server_address(address, self.ray_address)
        except RayRunnerError as exc:
            raise PredictError(str(exc)) from exc

    def _kernel_source(
        self, ctx: JobContext, loop: asyncio.AbstractEventLoop, kernelspec: str | None
    ) -> Source:
        """The ``kernel`` runner: :func:`~.stream.predict_stream` in a kernel of
        ``kernelspec`` (:mod:`.kernel_client`), its messages through :attr:`inbox`."""

        def source(request: dict[str, Any], items: Sequence[Item]) -> Any:
            return kernel_source(
                ctx,
                kernel_manager=self.serverapp.kernel_manager,
                loop=loop,
                inbox=self.inbox,
                job_id=ctx.job_id,
                kernelspec=kernelspec,
                options=request,
                items=items,
                entry=KERNEL_ENTRY,
            )

        return source
