"""``GET /datasets/{name}/samples/{sample_id}/image[?size=N&format=jpeg|webp]``.

* ``size`` (optional): thumbnail whose longest side is 128, 256 or 512 (other values snap
  to the nearest); without it, the original bytes with their content type.
* Format: JPEG, or WebP for images with transparency when the request's ``Accept`` allows
  WebP (browsers' ``<img>`` requests do); ``format=`` forces one. ``Vary: Accept``.
* ``ETag`` + ``Cache-Control: private, max-age=600``; ``If-None-Match`` answers 304.
* Bad media (missing, corrupt/truncated, too large, unsupported): 200 with a placeholder
  image shaped like the sample's recorded size and
  ``X-VisionLens-Media-Error: missing|corrupt|too_large|unsupported``.
* 404: unknown dataset, or a sample id that is not in this dataset (ids only: no path ever
  comes from the request). 403: the sample's stored location resolves outside the
  dataset's media root (``..``, symlinks). 502: the storage (GCS) could not be reached.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..media.errors import MEDIA_ERROR_HEADER, MediaAccessError, MediaUnavailableError
from ..media.service import MediaResponse, choose_variant
from .base import VisionLensHandler, engine_errors


class SampleImageHandler(VisionLensHandler):
    """One sample's image: thumbnail (``size``) or original."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, sample_id: str) -> None:
        if not sample_id.isdigit() or len(sample_id) > 18:
            raise HTTPError(404, f"no sample {sample_id!r} in dataset {name!r}")
        raw_size = self.get_query_argument("size", None)
        try:
            variant = choose_variant(
                self.request.headers.get("Accept"), self.get_query_argument("format", None)
            )
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from exc
        service = self.app.media
        if_none_match = self.request.headers.get("If-None-Match")
        with engine_errors():
            try:
                if raw_size in (None, ""):
                    response = await service.original(name, int(sample_id), if_none_match)
                else:
                    response = await service.thumbnail(
                        name, int(sample_id), _size(raw_size), variant, if_none_match
                    )
            except MediaAccessError as exc:
                raise HTTPError(
                    403, "the image of this sample lies outside the dataset's media root"
                ) from exc
            except MediaUnavailableError as exc:
                raise HTTPError(502, str(exc)) from exc
        self._send(response, thumbnail=raw_size not in (None, ""))

    def _send(self, response: MediaResponse, *, thumbnail: bool) -> None:
        if thumbnail:
            self.set_header("Vary", "Accept")
        self.set_header("Cache-Control", response.cache_control)
        if response.etag:
            self.set_header("ETag", response.etag)
        if response.error:
            self.set_header(MEDIA_ERROR_HEADER, response.error)
        if response.status == 304:
            self.set_status(304)
            self.finish()
            return
        self.set_status(response.status)
        self.finish(
            response.body, set_content_type=response.content_type or "application/octet-stream"
        )


def _size(raw: str) -> int:
    try:
        size = int(raw)
    except ValueError as exc:
        raise HTTPError(400, "size must be a positive integer (128, 256 or 512)") from exc
    if size <= 0:
        raise HTTPError(400, "size must be a positive integer (128, 256 or 512)")
    return size


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>[^/]+)/image", SampleImageHandler),
]
