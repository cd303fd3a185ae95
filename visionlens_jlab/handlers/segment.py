"""Click-to-mask: a sample's mask from clicks and a box, embeddings computed ahead, and the
box-to-mask job (a mask for every box of a view, as a new prediction set).

Thin handlers over :mod:`visionlens_jlab.segment`: the model runs on the service's own
thread (never the event loop, never the request threads); a mask is kept by sending it to
the edit routes (:mod:`.edits`), which this module does not write.
"""

from __future__ import annotations

import asyncio

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..catalog.store.schema import GROUND_TRUTH
from ..predict.base import with_local_path
from ..segment.box_job import BoxMaskOptions
from ..segment.box_service import submit_box_masks
from .base import VisionLensHandler, engine_errors


class SegmentHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, sample_id: str) -> None:
        body = self.json_body()
        with engine_errors():
            # a server-side path: the rule of every model and checkpoint a request names
            model = with_local_path(body["model"], self.local_path)
            future = self.app.segment.segment(
                name, int(sample_id), model, body.get("points"), body.get("box")
            )
            answer = await asyncio.wrap_future(future)
        await self.write_json(answer)


class SegmentPrefetchHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        with engine_errors():
            model = with_local_path(body["model"], self.local_path)
        queued = await self.run_blocking(self.app.segment.prefetch, name, body["sample_ids"], model)
        await self.write_json(queued)


class SegmentBoxesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        with engine_errors():
            options = BoxMaskOptions(
                name,
                with_local_path(body["model"], self.local_path),
                source=body.get("source") or GROUND_TRUTH,
                filter=body.get("filter"),
                name=body.get("name"),
                batch_size=body.get("batch_size"),
                dtype=body.get("dtype") or "auto",
            )
        job = await self.run_blocking(
            submit_box_masks, self.jobs, self.app.catalog, self.app.segment.engine, options
        )
        await self.write_json({"job": job.to_dict()}, status=202)


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>[0-9]+)/segment", SegmentHandler),
    (r"/datasets/(?P<name>[^/]+)/segment/prefetch", SegmentPrefetchHandler),
    (r"/datasets/(?P<name>[^/]+)/segment/boxes", SegmentBoxesHandler),
]
