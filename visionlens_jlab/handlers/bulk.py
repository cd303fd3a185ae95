"""A view of a dataset copied into a new dataset, as a background job.

``POST /datasets/{name}/subset`` body ``{to, filter}`` answers 202 with the job; its result
is what ``visionlens subset --json`` prints. What the copy would refuse (an unknown dataset,
a bad filter or name, a name taken) is a 400/404/409 before any job starts.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..bulk.subset import check_subset, subset_dataset
from ..jobs import JobContext, JobEffects, JobKind
from .base import VisionLensHandler

SUBSET_JOB = JobKind("subset", JobEffects(datasets="created"))
"""A new dataset appears; the source is not changed."""


class SubsetHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        new_name, spec = body["to"].strip(), body.get("filter")
        catalog, app = self.catalog, self.app
        await self.run_blocking(lambda: check_subset(catalog, name, new_name, spec))

        def run(ctx: JobContext) -> dict[str, Any]:
            def progress(stage: str, fraction: float) -> None:
                ctx.check_cancelled()  # raised here, nothing of the copy is kept
                ctx.stage(stage, fraction=fraction)

            result = subset_dataset(
                catalog, name, new_name, spec, vectors=app.vector_store, progress=progress
            )
            return result.to_dict()

        await self.submit_job(SUBSET_JOB, run, title=f"New dataset {new_name} from {name}",
                              dataset=name)  # fmt: skip


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/subset", SubsetHandler),
]
