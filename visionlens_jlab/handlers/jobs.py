"""Background jobs: list, progress, cancel."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from .base import VisionLensHandler


class JobsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        jobs = await self.run_blocking(lambda: [job.to_dict() for job in self.jobs.list()])
        await self.write_json({"jobs": jobs})


class JobHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        # off the event loop: the list's lock is shared with the journal writer
        job = await self.run_blocking(self.jobs.get, job_id)
        if job is None:
            raise HTTPError(404, f"no job {job_id!r}")
        await self.write_json(job.to_dict())

    @tornado.web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        job = await self.run_blocking(self.jobs.cancel, job_id)  # may write the journal
        if job is None:
            raise HTTPError(404, f"no job {job_id!r}")
        await self.write_json(job.to_dict())


ROUTES = [
    (r"/jobs", JobsHandler),
    (r"/jobs/(?P<job_id>[^/]+)", JobHandler),
]
