"""Plugins: the list (with versions, hooks, status and errors) and plugin field jobs."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..plugins.discovery import PluginError
from ..plugins.field_job import submit_plugin_fields
from .base import VisionLensHandler, engine_errors


class PluginsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.write_json(self.app.plugins.document())


class PluginFieldsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        plugin, field = body["plugin"], body.get("field")  # the contract checked their types
        try:
            with engine_errors():
                job = await self.run_blocking(
                    lambda: submit_plugin_fields(
                        self.jobs,
                        self.catalog,
                        self.app.plugins,
                        dataset=name,
                        plugin=plugin,
                        field=field or None,
                    )
                )
        except PluginError as exc:
            raise HTTPError(400, str(exc)) from exc
        await self.write_json({"job": job.to_dict()}, status=202)


ROUTES = [
    (r"/plugins", PluginsHandler),
    (r"/datasets/(?P<name>[^/]+)/plugin-fields", PluginFieldsHandler),
]
