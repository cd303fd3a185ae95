"""What every task of a model job declares (:class:`Task`), and what its batches get.

A task is what ``visionlens predict --task`` names: one module of this package each, one
line of the registry (:mod:`visionlens_jlab.predict.tasks`). The runners, the job and the
server read a task's declaration and never test its name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ..base import PredictOptions, WorkItem
    from ..vlm_labels import Question
    from ..writers import ResultWriter

PREDICTIONS = "predictions"
"""A run's effect on the catalog: a prediction set (its boxes or image labels)."""
FIELDS = "fields"
"""A run's effect on the catalog: computed field values."""
GPU_LANE = "gpu"
"""The job lane of model jobs (:mod:`visionlens_jlab.jobs.gpu_lane`)."""


class BatchArgs(NamedTuple):
    """What every batch of one request is computed with."""

    prompts: list[str]
    """The class names (an open-vocabulary detector's and a zero-shot classifier's prompts)."""
    min_score: float
    questions: Sequence[Question]
    """A VLM's questions (empty for the other tasks)."""


class Task(Protocol):
    """One task of a model job: how its model loads, what one batch does, where its
    results go, and how its job runs."""

    name: str
    """The ``--task`` value (the REST body's ``task``)."""
    effects: frozenset[str]
    """The catalog data a run changes (:data:`PREDICTIONS`, :data:`FIELDS`): the kinds
    of :class:`~visionlens_jlab.catalog.derived.changes.Change` its writer makes."""
    yields: bool
    """Whether the job makes way for other model jobs on its lane after a batch (resumable
    background work, :mod:`visionlens_jlab.jobs.gpu_lane`)."""
    lane: str
    """The job lane it queues on (:mod:`visionlens_jlab.jobs.manager`)."""
    min_score: float
    """The score below which a result is dropped when the user gives none."""
    batch_sizes: Mapping[str, int]
    """The batch size per device (``cpu``, ``cuda``) when the user gives none."""
    result_kind: str
    """The kind of its result messages (:mod:`visionlens_jlab.predict.stream`)."""
    takes_questions: bool
    """Whether the request may carry questions (``--questions``)."""

    def load(self, request: dict[str, Any], device: str) -> Any:
        """The request's model on ``device`` (its loader; offline)."""
        ...

    def batch(self, model: Any, prepared: Any, args: BatchArgs) -> list[Any]:
        """One prepared batch's results: the forward pass and the post-processing that
        turns its output into result rows."""
        ...

    def stream(
        self, request: dict[str, Any], items: Sequence[WorkItem]
    ) -> Iterator[tuple[Any, ...]]:
        """The messages of :mod:`visionlens_jlab.predict.stream` of ``request`` over
        ``items`` in this process (the process and kernel runners)."""
        ...

    def on_cluster(self, request: dict[str, Any], device: str) -> Any:
        """The model a Ray actor holds (:class:`~visionlens_jlab.predict.ray_runner.PredictModel`)."""
        ...

    def writer(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> ResultWriter:
        """The writer of a run's results (:mod:`visionlens_jlab.predict.writers`)."""
        ...


def batch_args(task: Task, request: dict[str, Any]) -> BatchArgs:
    """The :class:`BatchArgs` of ``request``."""
    from ..vlm import questions_of

    return BatchArgs(
        list(request.get("prompts") or []),
        float(request.get("min_score") or 0.0),
        questions_of(request) if task.takes_questions else (),
    )
