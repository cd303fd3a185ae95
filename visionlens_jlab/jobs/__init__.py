"""Background jobs: progress, cancellation, and worker processes for heavy work."""

from .manager import Job, JobCancelled, JobContext, JobManager, JobPaused, job_progress
from .processes import WorkerError, stream_from_worker

__all__ = [
    "Job",
    "JobCancelled",
    "JobContext",
    "JobManager",
    "JobPaused",
    "WorkerError",
    "job_progress",
    "stream_from_worker",
]
