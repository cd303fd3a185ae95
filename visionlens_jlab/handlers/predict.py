"""Model jobs (detectors, captioners), their kernel runner's uploads, and the caption search."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..predict.base import PredictOptions, with_local_path
from ..search.captions import search_captions
from .base import VisionLensHandler, engine_errors

MAX_RESULTS = 500


def _options(name: str, body: dict[str, Any]) -> PredictOptions:
    """The job's options from a body the contract checked (``openapi.yaml``)."""
    classes, questions = body.get("classes"), body.get("questions")
    skip = ("classes", "model", "questions")
    kept = {k: v for k, v in body.items() if v not in (None, "") and k not in skip}
    return PredictOptions(
        name,
        body.get("model") or "",
        classes=tuple(classes) if classes else None,
        questions=tuple(questions) if questions else None,
        **kept,
    )


class PredictHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        with engine_errors():
            options = _options(name, self.json_body())
            # a server-side path: the rule of ingest sources and embedding checkpoints; the
            # job loads the very path checked, whichever runner's folder it starts in
            options = replace(options, model=with_local_path(options.model, self.local_path))
            # the kernel runner starts its kernel through the server's kernel manager,
            # which lives on this loop
            runner = self.app.predict.runner(options)
        job = await self.run_blocking(self.app.predict.submit, options, runner)
        await self.write_json({"job": job.to_dict()}, status=202)


class TrackHandler(VisionLensHandler):
    """Tracks from a prediction set's boxes on the dataset's videos, as a job."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        with engine_errors():
            job = await self.run_blocking(
                lambda: self.app.predict.submit_tracking(
                    name,
                    body["model"],
                    tracker=body.get("tracker") or "bytetrack",
                    name=body.get("name") or None,
                )
            )
        await self.write_json({"job": job.to_dict()}, status=202)


class KernelPredictionsHandler(VisionLensHandler):
    """Where a kernel-runner model job's kernel fetches its work list and posts its results."""

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        with engine_errors():
            body = self.app.predict.inbox.work_list(job_id)
        self.set_header("Content-Type", "application/json")
        self.finish(body)

    @tornado.web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        with engine_errors():
            await self.run_blocking(self.app.predict.inbox.deliver, job_id, self.request.body)
        self.set_status(204)
        self.finish()


class CaptionSearchHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        query = self.get_query_argument("q", "")
        limit = self.int_argument("limit", 50)
        if not 1 <= limit <= MAX_RESULTS:
            raise HTTPError(400, f"'limit' must be in 1..{MAX_RESULTS}")
        results = await self.run_blocking(search_captions, self.app.catalog, name, query, limit)
        await self.write_json({"query": query, "results": results})


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/predict", PredictHandler),
    (r"/datasets/(?P<name>[^/]+)/captions/search", CaptionSearchHandler),
    (r"/datasets/(?P<name>[^/]+)/track", TrackHandler),
    (r"/jobs/(?P<job_id>[^/]+)/predictions", KernelPredictionsHandler),
]
