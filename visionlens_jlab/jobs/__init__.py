"""Background jobs: progress, cancellation, and worker processes for heavy work."""

from .job import Job, JobCancelled, JobContext, JobPaused, job_progress
from .kinds import JobEffects, JobKind
from .manager import JobManager
from .processes import WorkerError, stream_from_worker

__all__ = [
    "Job",
    "JobCancelled",
    "JobContext",
    "JobEffects",
    "JobKind",
    "JobManager",
    "JobPaused",
    "WorkerError",
    "job_progress",
    "stream_from_worker",
]
