"""Job records on disk, so a restarted server shows what a stop or a crash interrupted.

The job manager keeps jobs in memory; this journal (``jobs.json`` in the data directory)
gets a copy of every record at each status change (a job changes status a handful of
times, so the writes are few and small). On the next start, a job the journal still shows
as queued or running was cut off by a kill: it comes back as ``failed`` with a sentence
that says to run it again (every VisionLens job is restartable: an interrupted ingest left
nothing visible, embedding jobs do only what is missing).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .job import Job, clean_error
from .kinds import JobEffects

log = logging.getLogger(__name__)

JOURNAL_FILE = "jobs.json"
INTERRUPTED = (
    "interrupted: the server stopped while this job ran (killed or crashed); "
    "nothing half-written is visible, run it again"
)


class JobJournal:
    """Writes job records atomically to ``{data_dir}/jobs.json`` and reads them back."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / JOURNAL_FILE
        self._lock = threading.Lock()

    def load(self) -> list[dict[str, Any]]:
        """The records of the previous run, unfinished ones turned into interrupted failures."""
        try:
            records = json.loads(self.path.read_text())["jobs"]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable job journal %s: %s", self.path, exc)
            return []
        loaded = []
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            if record.get("status") not in ("done", "failed", "cancelled"):
                record = {**record, "status": "failed", "error": INTERRUPTED}
                record["message"] = "interrupted"
            loaded.append(record)
        return loaded

    def save(self, records: list[dict[str, Any]]) -> None:
        """Replace the journal with ``records``; a full disk is logged, never raised: the
        journal must not fail the job it describes."""
        tmp = self.path.with_name(f".{JOURNAL_FILE}.{os.getpid()}.tmp")
        with self._lock:
            try:
                tmp.write_text(json.dumps({"jobs": records}, default=str))
                os.replace(tmp, self.path)
            except OSError as exc:
                log.warning("could not write the job journal %s: %s", self.path, exc)
                tmp.unlink(missing_ok=True)


def job_from_record(record: dict[str, Any]) -> Job:
    """A finished job of an earlier run, as the journal kept it."""
    return Job(
        id=record["id"],
        kind=str(record.get("kind", "")),
        title=str(record.get("title", "")),
        status=str(record["status"]),
        progress=record.get("progress"),
        message=str(record.get("message", "")),
        result=record.get("result"),
        error=clean_error(str(record["error"])) if record.get("error") else None,
        created_at=str(record.get("created_at", "")),
        dataset=record.get("dataset"),
        effects=JobEffects.from_dict(record.get("effects") or {}),
        stages=record.get("stages"),  # absent from journals written before stage reports
    )
