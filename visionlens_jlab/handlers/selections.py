"""Selections: choose what to label next as a job, and read the stored records (#49)."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..jobs import JobContext, JobEffects, JobKind
from ..select.records import list_selections, read_selection
from ..select.request import parse_request
from ..select.service import check_request, run_selection
from .base import VisionLensHandler, engine_errors
from .samples import refuse_version_edit

SELECT_JOB = JobKind("selection", JobEffects(data=("samples",)))
"""A selection: the chosen samples get a tag (the grid's tags and facets change)."""


class SelectionsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        selections = await self.run_blocking(list_selections, self.catalog, name)
        await self.write_json({"selections": selections})

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()  # the contract: the keys' types; the words are checked here
        refuse_version_edit(self.get_query_argument("version", None))
        with engine_errors():  # a bad strategy word or filter: 400 before anything is queued
            request = parse_request(body)
        # 404 (no dataset or model) or 400 (a model with nothing to score) before queueing
        await self.run_blocking(check_request, self.catalog, name, request)
        catalog, app, user = self.catalog, self.app, self.user_name

        def run(ctx: JobContext) -> dict[str, Any]:
            def progress(done: int, count: int) -> None:
                ctx.check_cancelled()
                ctx.progress(done / max(count, 1), f"chose {done:,} of {count:,}")

            store = app.vector_store() if request.needs_vectors else None
            out = run_selection(
                catalog, store, name, request, user=user, progress=progress,
                cache=app.search_cache,
            )  # fmt: skip
            return {k: v for k, v in out.items() if k != "rows"}

        await self.submit_job(
            SELECT_JOB, run, title=f"Select {request.count:,} of {name}", dataset=name
        )


class SelectionHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, selection_id: str) -> None:
        record = await self.run_blocking(read_selection, self.catalog, name, int(selection_id))
        await self.write_json(record)


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/selections", SelectionsHandler),
    (r"/datasets/(?P<name>[^/]+)/selections/(?P<selection_id>\d+)", SelectionHandler),
]
