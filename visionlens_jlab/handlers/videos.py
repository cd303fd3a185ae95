"""A dataset's videos and tracks as JSON rows (the notebook's ``ds.videos()`` and
``ds.tracks()``): ``GET /datasets/{name}/videos`` and
``GET /datasets/{name}/tracks?model=M&video=V``. The rows are read by
:mod:`..importing.video_reads`; the videos of a filtered view, one tile each with its
scrub frames (the lab's videos view), by :mod:`..importing.video_tiles`:
``POST /datasets/{name}/videos/query``; the tracks of a filtered view, one tile each with
its patches over time (the lab's tracks view), by :mod:`..importing.track_tiles`:
``POST /datasets/{name}/tracks/query``."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..importing.track_tiles import track_tiles
from ..importing.video_reads import track_rows, video_rows
from ..importing.video_tiles import video_tiles
from .base import VisionLensHandler
from .samples import version_option


class VideosHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        videos = await self.run_blocking(video_rows, self.catalog, name)
        await self.write_json({"videos": videos})


class VideoTilesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        page = await self.run_blocking(
            lambda: video_tiles(
                self.catalog,
                name,
                body.get("filter"),
                offset=body.get("offset") or 0,
                limit=body.get("limit", 60),
                scrub=body.get("scrub", 24),
                version=version_option(body.get("version")),
            )
        )
        await self.write_json(page)


class TrackTilesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        page = await self.run_blocking(
            lambda: track_tiles(
                self.catalog,
                name,
                body.get("filter"),
                model=body.get("model") or None,
                offset=body.get("offset") or 0,
                limit=body.get("limit", 60),
                patches=body.get("patches", 8),
                version=version_option(body.get("version")),
            )
        )
        await self.write_json(page)


class TracksHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        model = self.get_query_argument("model", None) or None
        video = self.get_query_argument("video", None) or None
        tracks = await self.run_blocking(track_rows, self.catalog, name, model, video)
        await self.write_json({"tracks": tracks})


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/videos", VideosHandler),
    (r"/datasets/(?P<name>[^/]+)/videos/query", VideoTilesHandler),
    (r"/datasets/(?P<name>[^/]+)/tracks", TracksHandler),
    (r"/datasets/(?P<name>[^/]+)/tracks/query", TrackTilesHandler),
]
