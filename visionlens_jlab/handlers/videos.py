"""A dataset's videos and tracks as JSON rows (the notebook's ``ds.videos()`` and
``ds.tracks()``): ``GET /datasets/{name}/videos`` and
``GET /datasets/{name}/tracks?model=M&video=V``. The rows are read by
:mod:`..importing.video_reads`."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..importing.video_reads import track_rows, video_rows
from .base import VisionLensHandler


class VideosHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        videos = await self.run_blocking(video_rows, self.catalog, name)
        await self.write_json({"videos": videos})


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
    (r"/datasets/(?P<name>[^/]+)/tracks", TracksHandler),
]
