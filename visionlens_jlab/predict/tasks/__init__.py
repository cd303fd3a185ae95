"""The tasks of model jobs, by name: one module each (:class:`~.protocol.Task`).

Adding a task is a module declaring it and one line of :data:`REGISTRY`: the CLI's
``--task`` choices, the options' checks, the runners, the job and the server read it here.
"""

from __future__ import annotations

from .caption import CAPTION
from .classify import CLASSIFY
from .detect import DETECT
from .protocol import BatchArgs, Task, batch_args
from .vlm import VLM

REGISTRY: dict[str, Task] = {
    DETECT.name: DETECT,
    CAPTION.name: CAPTION,
    CLASSIFY.name: CLASSIFY,
    VLM.name: VLM,
}
"""Every task, by its ``--task`` name (the first is the default)."""
TASK_NAMES = tuple(REGISTRY)

__all__ = ["REGISTRY", "TASK_NAMES", "BatchArgs", "Task", "batch_args", "task_of"]


def task_of(name: str) -> Task:
    """The task named ``name``; :class:`~..base.PredictError` naming the tasks when none is."""
    task = REGISTRY.get(name)
    if task is None:
        from ..base import PredictError

        raise PredictError(f"unknown task {name!r}: use {', '.join(TASK_NAMES)}")
    return task
