"""The box-to-mask job in the server: queued on the GPU lane, run with the warm model.

The job runs on the lane's thread with the model click-to-mask holds
(:class:`~.engine.SegmentEngine`: loaded once, shared; a job naming another model loads it
in the clicks' place). Its embeddings are not cached: a job's images would push out the
ones a person is clicking on.
"""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog
from ..jobs.job import Job, JobContext
from ..jobs.kinds import JobEffects, JobKind
from ..jobs.manager import JobManager
from ..predict.model_runs import model_run_state
from ..predict.tasks.protocol import GPU_LANE
from .box_job import BoxMaskOptions, check_source, run_box_masks
from .engine import SegmentEngine

BOX_MASK_JOB = JobKind("segment_boxes", JobEffects(data=("predictions",), datasets="changed"))
"""A box-to-mask run: a new prediction set (a new model in the datasets list)."""


def submit_box_masks(
    jobs: JobManager, catalog: Catalog, engine: SegmentEngine, options: BoxMaskOptions
) -> Job:
    """Queue the job of ``options``; an unknown dataset or source, and a name holding
    imported predictions, are refused before anything is queued."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, options.dataset)  # NotFoundError now
    check_source(catalog, dataset_id, options.source)
    model_run_state(catalog, options.dataset, options.run_name)

    def run(ctx: JobContext) -> dict[str, Any]:
        return run_box_masks(ctx, catalog, options, engine.segmenter)

    return jobs.submit(
        BOX_MASK_JOB,
        run,
        title=f"Masks of {options.dataset}'s {options.source} boxes with {options.model}",
        lane=GPU_LANE,
        dataset=options.dataset,
    )
