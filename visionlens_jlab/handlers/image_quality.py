"""Image quality of a dataset (thin: parse, queue the job or read the stored summary)."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..image_quality.job import run_image_quality, summary
from ..jobs import JobContext, JobEffects, JobKind
from .base import VisionLensHandler

IMAGE_QUALITY_JOB = JobKind("image_quality", JobEffects(data=("fields",)))
"""``computed.quality_*`` sample fields (the quality view's counts)."""


class ImageQualityHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        await self.write_json(await self.run_blocking(summary, self.catalog, name))

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        workers = self.json_body().get("workers")  # the contract: a positive integer or null
        await self.run_blocking(self.catalog.get_dataset, name)  # 404 before queueing
        catalog = self.catalog

        def run(ctx: JobContext) -> dict[str, Any]:
            return run_image_quality(catalog, name, ctx=ctx, workers=workers)

        await self.submit_job(
            IMAGE_QUALITY_JOB, run, title=f"Image quality of {name}", dataset=name
        )


ROUTES = [(r"/datasets/(?P<name>[^/]+)/image-quality", ImageQualityHandler)]
