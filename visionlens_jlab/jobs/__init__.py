"""Background jobs: progress, cancellation, and worker processes for heavy work."""

from .manager import Job, JobCancelled, JobContext, JobManager, job_progress
from .processes import WorkerError, stream_from_worker

__all__ = [
    "Job",
    "JobCancelled",
    "JobContext",
    "JobManager",
    "WorkerError",
    "job_progress",
    "stream_from_worker",
]
