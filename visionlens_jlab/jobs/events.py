"""Job status changes as Jupyter server events (``/api/events/subscribe``).

The lab follows jobs started anywhere (its own panels, a notebook, the command line
through the server) from these events instead of polling an idle server: an ingest that
ends refreshes the datasets list, an evaluation the blind-spots panel. Events carry the
job's id, kind, status and dataset only; the lab reads the rest from ``GET /jobs``.
"""

from __future__ import annotations

from typing import Any

from jupyter_events import EventLogger
from tornado.ioloop import IOLoop

from .manager import Job

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
    },
}


def job_event(job: Job) -> dict[str, Any]:
    """The event data of ``job``'s current status."""
    return {"id": job.id, "kind": job.kind, "status": job.status, "dataset": job.dataset}


class JobEvents:
    """A :class:`JobManager` status listener emitting :data:`JOB_EVENT_SCHEMA` events.

    Jobs change status on worker threads; the event logger's listeners (the events
    websocket) must run on the server's event loop, so each emission is handed to it.
    """

    def __init__(self, logger: EventLogger, loop: IOLoop) -> None:
        logger.register_event_schema(JOB_EVENT_SCHEMA)
        self._logger = logger
        self._loop = loop

    def __call__(self, job: Job) -> None:
        self._loop.add_callback(self._emit, job_event(job))

    def _emit(self, data: dict[str, Any]) -> None:
        self._logger.emit(schema_id=JOB_EVENT_SCHEMA_ID, data=data)
