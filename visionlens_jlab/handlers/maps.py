"""Embedding maps: compute (a job) or reuse, list, points as binary, colour values, lasso."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..maps import answers, wire
from ..maps.store import descriptor, list_descriptors
from ..vectors import VectorStore, VectorStoreError
from .base import VisionLensHandler
from .samples import version_option

OCTET_STREAM = "application/octet-stream"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
COUNT_HEADER = "X-VisionLens-Count"


class _MapHandler(VisionLensHandler):
    def store_or_none(self) -> VectorStore | None:
        """The vector store when it can be had: listing maps works without it (staleness
        then reads ``null``)."""
        try:
            return self.app.vector_store()
        except VectorStoreError:
            return None

    def binary(self, data: bytes, content_type: str = OCTET_STREAM) -> None:
        # APIHandler.finish would otherwise relabel the body as JSON.
        self.set_header("Cache-Control", "no-store")
        self.finish(data, set_content_type=content_type)


class MapsHandler(_MapHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        maps = await self.run_blocking(list_descriptors, self.catalog, self.store_or_none(), name)
        await self.write_json({"maps": maps})

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        recompute = body.get("recompute", False)
        desc, job = await self.run_blocking(
            lambda: self.app.maps.request(
                name,
                space=body.get("space"),
                method=body.get("method"),
                params=body.get("params"),
                recompute=recompute,
            )
        )
        if job is not None:
            await self.write_json({"job": job.to_dict()}, status=202)
        else:
            await self.write_json({"map": desc})


class MapHandler(_MapHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, map_id: str) -> None:
        await self.write_json(
            await self.run_blocking(descriptor, self.catalog, self.store_or_none(), name, map_id)
        )


class MapPointsHandler(_MapHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, map_id: str) -> None:
        fmt = self.get_query_argument("format", "binary")
        data = await self.run_blocking(answers.points_frame, self.catalog, name, map_id, fmt)
        self.binary(data, ARROW_STREAM if fmt == "arrow" else OCTET_STREAM)


class MapValuesHandler(_MapHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, map_id: str) -> None:
        field = self.get_query_argument("field", "")
        model = self.get_query_argument("model", None) or None
        data = await self.run_blocking(
            answers.values_frame, self.catalog, name, map_id, field, model
        )
        self.binary(data)


class MapSelectHandler(_MapHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, map_id: str) -> None:
        body: dict[str, Any] = self.json_body()
        version = version_option(body.get("version"))
        ids = await self.run_blocking(
            lambda: answers.select_ids(
                self.catalog,
                name,
                map_id,
                polygon=body.get("polygon"),
                rect=body.get("rect"),
                spec=body.get("filter"),
                mode=body.get("mode", "replace"),
                ids_in=body.get("ids_in"),
                version=version,
            )
        )
        self.set_header(COUNT_HEADER, str(len(ids)))
        if OCTET_STREAM in self.request.headers.get("Accept", ""):
            self.binary(wire.encode_ids(ids))
        else:
            await self.write_json({"count": len(ids), "ids": ids.tolist()})


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/maps", MapsHandler),
    (r"/datasets/(?P<name>[^/]+)/maps/(?P<map_id>[\w.-]+)", MapHandler),
    (r"/datasets/(?P<name>[^/]+)/maps/(?P<map_id>[\w.-]+)/points", MapPointsHandler),
    (r"/datasets/(?P<name>[^/]+)/maps/(?P<map_id>[\w.-]+)/values", MapValuesHandler),
    (r"/datasets/(?P<name>[^/]+)/maps/(?P<map_id>[\w.-]+)/select", MapSelectHandler),
]
