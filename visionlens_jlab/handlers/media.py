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
from ..media.http_answers import MediaResponse, choose_variant, etag_matches
from ..media.video_files import RangeNotSatisfiableError, byte_range
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


class SampleVideoHandler(VisionLensHandler):
    """``GET .../samples/{sample_id}/video``: the video file of a frame sample, for playback.

    ``Range: bytes=a-b`` answers 206 with ``Content-Range`` (one range; several ranges, or
    an ``If-Range`` that no longer matches, get the whole file), past the end 416;
    ``Accept-Ranges: bytes`` and the file's ``ETag`` always. 404: not a frame sample, or
    its file is gone; 403: the file lies outside the dataset's media root.
    """

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, sample_id: str) -> None:
        if not sample_id.isdigit() or len(sample_id) > 18:
            raise HTTPError(404, f"no sample {sample_id!r} in dataset {name!r}")
        service = self.app.media
        with engine_errors():
            try:
                video = await service.video(name, int(sample_id))
            except MediaAccessError as exc:
                raise HTTPError(
                    403, "the video of this sample lies outside the dataset's media root"
                ) from exc
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("ETag", video.etag)
        self.set_header("Cache-Control", "private, max-age=600")
        if_range = self.request.headers.get("If-Range")
        requested = self.request.headers.get("Range")
        if if_range and not etag_matches(if_range, video.etag):
            requested = None  # the file changed since the client's first part: all of it
        try:
            span = byte_range(requested, video.size)
        except RangeNotSatisfiableError:
            # Written here, not raised: an HTTPError's answer drops the headers set so far,
            # and a 416 must say the file's size in Content-Range.
            self.set_status(416)
            self.set_header("Content-Range", f"bytes */{video.size}")
            self.finish({"message": "the range lies past the end of the video file"})
            return
        first, last = span if span is not None else (0, video.size - 1)
        if span is not None:
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {first}-{last}/{video.size}")
        self.set_header("Content-Type", video.content_type)
        self.set_header("Content-Length", str(max(0, last - first + 1)))
        offset = first
        while offset <= last:
            chunk = await service.video_chunk(
                video.path, offset, last - offset + 1, video.generation
            )
            if not chunk:
                break  # the file shrank while streaming: stop at its end
            self.write(chunk)
            await self.flush()
            offset += len(chunk)
        self.finish()


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>[^/]+)/image", SampleImageHandler),
    (r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>[^/]+)/video", SampleVideoHandler),
]
