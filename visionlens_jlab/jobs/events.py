"""Job status changes and label edits as Jupyter server events (``/api/events/subscribe``).

The lab follows jobs started anywhere (its own panels, a notebook, the command line
through the server) from these events instead of polling an idle server: an ingest that
ends refreshes the datasets list, an evaluation the blind-spots panel. Events carry the
job's id, kind, status, dataset and, once it is done, its effects (what data it changed, as
its kind declares them: :mod:`.kinds`); the lab reads the rest from ``GET /jobs``.

A batch of label edits written through the REST API (an edit, an undo or redo, a restore, a
Label Studio pull) sends a labels event: every open lab (another tab, another user of the
same server) reads the touched samples again, as the tab that made the edit does.

A dataset created (an ingest that ends), removed, or given new models or results (an import,
a model run, an evaluation, an embedding that ends) sends a dataset event, so every open
datasets list follows it.

Other processes reach these events too: while a server holds the catalog no other process can
open it (DuckDB takes one writer), so the ``visionlens`` CLI and notebook kernels send their
writes to that server over REST (``server.json``), and each write is told once, by the server
that made it.
"""

from __future__ import annotations

from typing import Any, get_args

from jupyter_events import EventLogger
from tornado.ioloop import IOLoop

from .job import Job
from .kinds import DataChange, DatasetChange

JOB_EVENT_SCHEMA_ID = "https://events.visionlens.dev/visionlens_jlab/job/v1"
"""The schema id the lab listens for (``src/api/serverEvents.ts`` names the same)."""

JOB_EVENT_SCHEMA: dict[str, Any] = {
    "$id": JOB_EVENT_SCHEMA_ID,
    "version": "1",
    "title": "VisionLens job status",
    "description": "A VisionLens background job was queued, started or ended.",
    "type": "object",
    "required": ["id", "kind", "status"],
    "properties": {
        "id": {"type": "string", "title": "Job id", "description": "As GET /jobs lists it."},
        "kind": {
            "type": "string",
            "title": "Job kind",
            "description": "ingest, predictions, evaluate, embed, duplicates, map...",
        },
        "status": {
            "enum": ["queued", "running", "done", "failed", "cancelled"],
            "title": "Status",
            "description": "The job's status after the change.",
        },
        "dataset": {
            "type": ["string", "null"],
            "title": "Dataset",
            "description": "The dataset the job works on, if any.",
        },
        "effects": {
            "type": ["object", "null"],
            "title": "Effects",
            "description": "What the job changed (null unless its status is done).",
            "required": ["data", "datasets"],
            "properties": {
                "data": {
                    "type": "array",
                    "items": {"enum": list(get_args(DataChange))},
                    "title": "Data",
                    "description": "The data it wrote that panels show: samples (an ingest), "
                    "predictions (an import, a model run), evaluation, fields (computed "
                    "sample fields).",
                },
                "datasets": {
                    "enum": [*get_args(DatasetChange), None],
                    "title": "Datasets list",
                    "description": "How the datasets list changed: created (a new dataset), "
                    "changed (its models, evaluations or embedding spaces); null: not at all.",
                },
            },
        },
    },
}


def job_event(job: Job) -> dict[str, Any]:
    """The event data of ``job``'s current status."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "dataset": job.dataset,
        "effects": job.done_effects(),
    }


DATASET_EVENT_SCHEMA_ID = "https://events.visionlens.dev/visionlens_jlab/dataset/v1"
"""The schema id of a change of a dataset as the datasets list shows it (``src/api/serverEvents.ts``
names the same)."""

DATASET_EVENT_SCHEMA: dict[str, Any] = {
    "$id": DATASET_EVENT_SCHEMA_ID,
    "version": "1",
    "title": "VisionLens dataset change",
    "description": "A dataset was created, removed, or given new models or results.",
    "type": "object",
    "required": ["dataset", "change"],
    "properties": {
        "dataset": {"type": "string", "title": "Dataset", "description": "Its name."},
        "change": {
            "enum": ["created", "removed", "changed"],
            "title": "Change",
            "description": "created: an ingest ended; removed: deleted; changed: an import, "
            "a model run, an evaluation or an embedding ended.",
        },
        "job": {
            "type": ["string", "null"],
            "title": "Job",
            "description": "The job that wrote the change (null for a delete).",
        },
    },
}


class DatasetEvents:
    """Emits :data:`DATASET_EVENT_SCHEMA` events, from any thread (handed to the event loop,
    where the event logger's listeners must run)."""

    def __init__(self, logger: EventLogger, loop: IOLoop) -> None:
        logger.register_event_schema(DATASET_EVENT_SCHEMA)
        self._logger = logger
        self._loop = loop

    def __call__(self, dataset: str, change: str, job: str | None = None) -> None:
        """Tell of ``change`` to ``dataset`` (made by ``job``, if a job made it)."""
        data = {"dataset": dataset, "change": change, "job": job}
        self._loop.add_callback(self._logger.emit, schema_id=DATASET_EVENT_SCHEMA_ID, data=data)

    def job_ended(self, job: Job) -> None:
        """Tell the change a job made, if it ended well and its kind declares one."""
        change = job.effects.datasets
        if job.status == "done" and change is not None and job.dataset:
            self(job.dataset, change, job.id)


class JobEvents:
    """A :class:`JobManager` status listener emitting :data:`JOB_EVENT_SCHEMA` events, and
    the dataset event of a job that ended well (after its job event).

    Jobs change status on worker threads; the event logger's listeners (the events
    websocket) must run on the server's event loop, so each emission is handed to it.
    """

    def __init__(self, logger: EventLogger, loop: IOLoop, datasets: DatasetEvents) -> None:
        logger.register_event_schema(JOB_EVENT_SCHEMA)
        self._logger = logger
        self._loop = loop
        self._datasets = datasets

    def __call__(self, job: Job) -> None:
        self._loop.add_callback(self._emit, job_event(job))
        self._datasets.job_ended(job)

    def _emit(self, data: dict[str, Any]) -> None:
        self._logger.emit(schema_id=JOB_EVENT_SCHEMA_ID, data=data)


LABELS_EVENT_SCHEMA_ID = "https://events.visionlens.dev/visionlens_jlab/labels/v1"
"""The schema id of a batch of label edits (``src/api/serverEvents.ts`` names the same)."""

MAX_EVENT_SAMPLES = 1000
"""Most sample ids an event lists; a larger batch says ``null`` (any sample may have changed)."""

LABELS_EVENT_SCHEMA: dict[str, Any] = {
    "$id": LABELS_EVENT_SCHEMA_ID,
    "version": "1",
    "title": "VisionLens label edits",
    "description": "A batch of label edits was written to a dataset (one entry of its log).",
    "type": "object",
    "required": ["dataset", "batch", "kind"],
    "properties": {
        "dataset": {"type": "string", "title": "Dataset", "description": "Its name."},
        "batch": {"type": "integer", "title": "Batch", "description": "In the edit log."},
        "kind": {
            "enum": ["edit", "undo", "redo", "restore"],
            "title": "Kind",
            "description": "What wrote the batch.",
        },
        "sample_ids": {
            "type": ["array", "null"],
            "items": {"type": "integer"},
            "title": "Samples",
            "description": f"The samples it touched (null: more than {MAX_EVENT_SAMPLES}).",
        },
    },
}


class LabelEvents:
    """Emits :data:`LABELS_EVENT_SCHEMA` events (from a handler, on the event loop)."""

    def __init__(self, logger: EventLogger) -> None:
        logger.register_event_schema(LABELS_EVENT_SCHEMA)
        self._logger = logger

    def __call__(self, dataset: str, result: dict[str, Any]) -> None:
        """Tell of the batch an edit call answered with ``result``."""
        samples = result.get("sample_ids")
        self._logger.emit(
            schema_id=LABELS_EVENT_SCHEMA_ID,
            data={
                "dataset": dataset,
                "batch": int(result["batch"]),
                "kind": result["kind"],
                "sample_ids": samples if samples is not None else None,
            },
        )
