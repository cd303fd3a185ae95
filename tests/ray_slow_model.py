"""A model for the Ray pool's tests: slow batches, counted (imported by the cluster's workers,
so only light imports here), and the driver-side function that cancels one of its calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from visionlens_jlab.jobs.ray_pipeline import Stage
from visionlens_jlab.jobs.ray_pool import RaySession


class SlowModel:
    """Each batch takes ``seconds``; the first one writes the file ``started``."""

    def __init__(self, seconds: float, started: str) -> None:
        self.seconds = seconds
        self.started = Path(started)
        self.batches = 0

    def describe(self) -> dict[str, Any]:
        return {"batches": self.batches}

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.batches == 0:
            self.started.write_text("started")
        time.sleep(self.seconds)
        self.batches += 1
        return {"sample_id": batch["sample_id"]}


def cancel_a_running_block(
    session: RaySession,
    rows: int,
    seconds: float,
    started: str,
    cancelled: Callable[[], bool],
) -> Iterator[dict[str, Any]]:
    """In the driver: one actor of :class:`SlowModel` runs a block of ``rows`` one row per
    batch; once its first batch started, the call is cancelled. Yields how the call ended
    and how many batches the model ran."""
    import ray

    pool = session.pool_for(Stage(SlowModel, {"seconds": seconds, "started": started}, 1))
    pool.ready(session.cluster())
    actor = pool.actors[0]
    call = actor.run.remote({"sample_id": np.arange(rows)}, 1)
    deadline = time.monotonic() + 120
    while not Path(started).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    ray.cancel(call)
    try:
        ray.get(call)
        ended = "finished"
    except ray.exceptions.TaskCancelledError:
        ended = "cancelled"
    except ray.exceptions.RayTaskError as exc:
        ended = type(exc.cause).__name__
    described = ray.get(actor.describe.remote())
    yield {"ended": ended, "batches": described["batches"]}
