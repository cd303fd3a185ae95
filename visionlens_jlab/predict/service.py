"""The server's model jobs: queued on the GPU lane, computed in a worker process (the
``process`` runner), in a headless Jupyter kernel the server starts (``kernel[:SPEC]``), or
on a Ray cluster driven from the server's long-lived driver process (``ray[:ADDRESS]``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from ..catalog import Catalog, CatalogError
from ..jobs.job import Job, JobContext, JobPaused
from ..jobs.kernel_runner import KernelInbox, kernel_source
from ..jobs.kinds import DataChange, JobEffects, JobKind
from ..jobs.manager import JobManager
from ..jobs.ray_driver import RayDriver, RayDrivers
from ..jobs.runners import Runner, server_runner
from ..jobs.warm_workers import WarmWorkers
from .base import PredictOptions, WorkItem
from .job import Source, combined, run_prediction
from .ray_runner import ray_predict_stream
from .tasks import REGISTRY, task_of
from .tracking import TRACKERS, track_detections
from .wire import decode_message, encode_items
from .workers import sharded_source

KERNEL_ENTRY = "visionlens_jlab.predict.kernel_client.run_kernel_job"
TASK_EFFECTS = [task.effects for task in REGISTRY.values()]

PREDICT_JOB = JobKind(
    "predict",
    JobEffects(
        data=tuple(cast(DataChange, e) for e in sorted(set().union(*TASK_EFFECTS))),
        datasets="changed",
    ),
)
"""A model run: what any task writes (its declared effects: a prediction set, or captions and
answers as ``computed.*`` fields), so the lab reads both again whichever task ran."""

TRACK_JOB = JobKind("track", JobEffects(data=("predictions",), datasets="changed"))
"""Tracks from a detector's boxes (:mod:`.tracking`): a new prediction set."""


def ray_source(ctx: JobContext | None, driver: RayDriver) -> Source:
    """The ``ray`` runner: :func:`~.ray_runner.ray_predict_stream` in the server's
    long-lived driver of the cluster (cancel cancels the job's work there; the model
    actors stay loaded for the next job of the same model)."""

    def source(request: dict[str, Any], items: Sequence[WorkItem]) -> Any:
        return driver.stream(ctx, ray_predict_stream, request, list(items))

    return source


class PredictService:
    """Model jobs of one server: the process runner (``workers``: its processes, kept warm
    between jobs), the ray runner (``ray_address``: the default cluster; ``ray_drivers``:
    the server's long-lived drivers) and the kernel runner (whose kernels fetch their work
    lists from, and post their messages to, :attr:`inbox`)."""

    def __init__(
        self,
        catalog: Catalog,
        jobs: JobManager,
        *,
        serverapp: Any,
        ray_address: str | None = None,
        ray_drivers: RayDrivers | None = None,
        workers: WarmWorkers | None = None,
    ) -> None:
        self.catalog = catalog
        self.jobs = jobs
        self.serverapp = serverapp
        self.ray_address = ray_address or None
        self.ray_drivers = ray_drivers or RayDrivers(0)
        self.workers = workers or WarmWorkers(0)
        self.inbox = KernelInbox(encode_items, decode_message, what="model")

    def runner(self, options: PredictOptions) -> Runner:
        """The job's runner (:func:`~visionlens_jlab.jobs.runners.server_runner`), refused
        now when it cannot run here; called on the server's event loop, before :meth:`submit`."""
        return server_runner(options.runner, self.serverapp, self.ray_address)

    def submit(self, options: PredictOptions, runner: Runner) -> Job:
        """Queue a model job on ``runner`` (what :meth:`runner` chose); an unknown dataset
        is refused before anything is queued."""
        with self.catalog.cursor() as cur:
            self.catalog.dataset_id(cur, options.dataset)  # NotFoundError now, not in the job
        earlier: list[dict[str, Any]] = []  # the results of runs that paused to make way

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"{options.task}: {options.model}")
            if runner.kind == "kernel":
                source = self._kernel_source(ctx, runner)
            elif runner.kind == "ray":
                assert runner.address is not None
                source = ray_source(ctx, self.ray_drivers.get(runner.address))
            else:
                # spawned workers: torch, the model and the decoding never run in the server
                source = sharded_source(ctx, options.workers, self.workers)
            try:
                result = run_prediction(ctx, self.catalog, options, source)
            except JobPaused as paused:
                earlier.append(paused.partial)
                raise
            return combined([*earlier, result])

        # a task that yields (captions) is background work: resumable (a rerun skips the
        # images done), so it makes way for every other model job (docs/architecture.md)
        task = task_of(options.task)
        return self.jobs.submit(
            PREDICT_JOB,
            run,
            title=f"{options.task.capitalize()} {options.dataset} with {options.model}",
            lane=task.lane,
            dataset=options.dataset,
            models=(options.run_name,),
            yields=task.yields,
            runner=runner.kind,
        )

    def submit_tracking(
        self, dataset: str, detections: str, *, tracker: str = "bytetrack", name: str | None = None
    ) -> Job:
        """Queue :func:`~.tracking.track_detections` (in the server's job thread: the tracker
        is light, numpy and scipy); an unknown dataset or tracker is refused now."""
        if tracker not in TRACKERS:
            raise CatalogError(f"unknown tracker {tracker!r}: use {', '.join(TRACKERS)}")
        with self.catalog.cursor() as cur:
            self.catalog.dataset_id(cur, dataset)  # NotFoundError now, not in the job

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"{tracker} over the boxes of {detections}")
            return track_detections(self.catalog, dataset, detections, tracker=tracker, name=name)

        models = (detections, name) if name else (detections,)  # it reads one, writes the other
        return self.jobs.submit(
            TRACK_JOB, run, title=f"Track {detections} on {dataset}", dataset=dataset, models=models
        )

    def _kernel_source(self, ctx: JobContext, runner: Runner) -> Source:
        """The ``kernel`` runner: :func:`~.stream.predict_stream` in a kernel of the
        runner's kernelspec (:mod:`.kernel_client`), its messages through :attr:`inbox`."""
        assert runner.loop is not None, "the kernel runner needs the server's event loop"
        loop = runner.loop

        def source(request: dict[str, Any], items: Sequence[WorkItem]) -> Any:
            return kernel_source(
                ctx,
                kernel_manager=self.serverapp.kernel_manager,
                loop=loop,
                inbox=self.inbox,
                job_id=ctx.job_id,
                kernelspec=runner.kernelspec,
                options=request,
                items=items,
                entry=KERNEL_ENTRY,
            )

        return source
