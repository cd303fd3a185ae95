"""The quality view's overview: issue types with counts, views and code (thin: parse, read)."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..quality_view import quality_overview
from .base import VisionLensHandler


class QualityHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        model = self.get_query_argument("model", None)
        if model is not None and not model.strip():
            raise HTTPError(400, "'model' must be a prediction set's name (or left out)")
        await self.write_json(await self.run_blocking(quality_overview, self.catalog, name, model))


ROUTES = [(r"/datasets/(?P<name>[^/]+)/quality", QualityHandler)]
