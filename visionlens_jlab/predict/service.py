"""The server's model jobs: queued on the GPU lane, computed in a worker process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..catalog import Catalog
from ..jobs.manager import Job, JobContext, JobManager
from ..jobs.processes import stream_from_worker
from .base import PredictOptions
from .job import Item, run_prediction
from .stream import predict_stream


def worker_source(ctx: JobContext | None) -> Any:
    """The ``process`` runner: :func:`~.stream.predict_stream` in a spawned worker, so
    torch, the model and the decoding never run in the server process."""

    def source(request: dict[str, Any], items: Sequence[Item]) -> Any:
        return stream_from_worker(ctx, predict_stream, request, list(items))

    return source


def submit_prediction(catalog: Catalog, jobs: JobManager, options: PredictOptions) -> Job:
    """Queue a model job; an unknown dataset is refused before anything is queued."""
    with catalog.cursor() as cur:
        catalog.dataset_id(cur, options.dataset)  # NotFoundError now, not in the job

    def run(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(None, f"{options.task}: {options.model}")
        return run_prediction(ctx, catalog, options, worker_source(ctx))

    return jobs.submit(
        "predict",
        run,
        title=f"{options.task.capitalize()} {options.dataset} with {options.model}",
        lane="gpu",
        dataset=options.dataset,
    )
