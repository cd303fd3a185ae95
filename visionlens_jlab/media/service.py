"""Answering one image request: id → location → cache → (render off the loop) → bytes.

The hot path (a cached thumbnail) costs two ``stat`` calls to see that the catalog did not
change (then the sample's location comes from memory, see
:class:`~.lookup.SampleMediaCache`; else one point query), one ``stat`` of the source (GCS:
one small index-file read) and one cache-file read, all on the event loop because each is
cheaper than a thread hop. Decoding, encoding, GCS downloads and catalog writes run
on executor threads (Pillow releases the GIL), never on the event loop.

HTTP semantics (the handler only copies them onto the response):

* ``ETag`` hashes the image location, its version (local mtime_ns + size, GCS generation)
  and the thumbnail size/variant; ``If-None-Match`` with it answers 304.
* ``Cache-Control: private, max-age=600``: the browser reuses a thumbnail for 10 minutes
  without asking, then revalidates with the ETag (a 304 costs no image work).
* Bad media answer 200 with a placeholder image, ``X-VisionLens-Media-Error: <code>`` and
  ``Cache-Control: no-store`` (so a fixed file shows up on the next view).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ..catalog.store.catalog import Catalog, NotFoundError
from ..metrics import cache_lookup
from . import lookup, sources, video_files
from .cache import (
    DEFAULT_GCS_REVALIDATE_S,
    DEFAULT_MAX_BYTES,
    CachedEntry,
    ThumbnailCache,
    cache_key,
)
from .crops import CropOverlay, render_crop, snap_crop_size
from .errors import UNAVAILABLE, MediaError, MediaErrorCode, MediaUnavailableError
from .http_answers import CACHE_CONTROL_ERROR, MediaResponse, etag_matches, sniff_type
from .image_source import SourceVersion
from .imaging import (
    THUMBNAIL_SIZES,
    original_content_type,
    placeholder,
    render_thumbnail,
    snap_size,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

ORIGINAL_PLACEHOLDER_SIZE = 512
_MISSING = SourceVersion("missing", 0)


class MediaService:
    """Thumbnails and originals of samples, for the REST handler (and tests, benchmarks)."""

    def __init__(
        self,
        catalog: Catalog,
        cache_dir: str | Path,
        *,
        max_cache_bytes: int = DEFAULT_MAX_BYTES,
        gcs_revalidate_s: float = DEFAULT_GCS_REVALIDATE_S,
        threads: int = 2,
    ) -> None:
        self.catalog = catalog
        # No catalog write here (media_status is created by its first write): the service is
        # made on the first image request, and a write would wait behind a running ingest.
        self.cache = ThumbnailCache(
            cache_dir, max_bytes=max_cache_bytes, gcs_revalidate_s=gcs_revalidate_s
        )
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="visionlens-media")
        # Bad-media bookkeeping is written by one thread, after the response: a catalog write
        # may wait behind an ingest's long transaction and must never delay an image.
        self._status_pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="visionlens-media-status"
        )
        self._locations = lookup.SampleMediaCache(catalog)
        self._recorded: dict[tuple[int, int], str] = {}
        self._bad: dict[int, set[int]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop the executor threads (pending bookkeeping still finishes)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._status_pool.shutdown(wait=True)

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # ------------------------------------------------------------------ requests

    async def thumbnail(
        self,
        dataset: str,
        sample_id: int,
        size: int,
        variant: str = "jpeg",
        if_none_match: str | None = None,
    ) -> MediaResponse:
        """The thumbnail of one sample (``size`` snaps to 128/256/512).

        Raises ``NotFoundError`` (no such sample in this dataset) or ``MediaAccessError``
        (location outside the media root). Storage that cannot be reached (after the bounded
        retries of :mod:`.sources`) gives an ``unavailable`` placeholder that no one caches
        and that does not count as bad media: the next request tries again.
        """
        size = snap_size(size)
        media = await self._sample_media(dataset, sample_id)
        try:
            location = sources.resolve_within(media.location, media.media_root)
        except MediaError as exc:  # a name no file system holds: the placeholder, never a 500
            return self._bad_media(media, exc.code, str(exc), size)
        try:
            return await self._thumbnail(media, location, size, variant, if_none_match)
        except MediaUnavailableError:
            return MediaResponse(
                200,
                placeholder(UNAVAILABLE, size, frame=(media.width, media.height)),
                "image/jpeg",
                None,
                CACHE_CONTROL_ERROR,
                error=UNAVAILABLE,
            )

    async def _thumbnail(
        self,
        media: lookup.SampleMedia,
        location: str,
        size: int,
        variant: str,
        if_none_match: str | None,
    ) -> MediaResponse:
        version: SourceVersion | None = None
        if location.startswith("gs://"):  # a remote stat: its own hops, with a cache
            try:
                version = await self._version(location)
            except MediaError as exc:
                return self._bad_media(media, exc.code, str(exc), size)
        # One thread hop for the rest: a local stat, the cache read and any decode stay off
        # the event loop, which serves every other request meanwhile.
        return await self._run(
            self._thumbnail_blocking, media, location, version, size, variant, if_none_match
        )

    def _thumbnail_blocking(
        self,
        media: lookup.SampleMedia,
        location: str,
        version: SourceVersion | None,
        size: int,
        variant: str,
        if_none_match: str | None,
    ) -> MediaResponse:
        """Stat (local), cache lookup, render on a miss (executor thread)."""
        if version is None:
            try:
                version = sources.version(location)
            except MediaError as exc:
                return self._bad_media(media, exc.code, str(exc), size)
        key = cache_key(location, version, size, variant)
        etag = f'"{key[:32]}"'
        if etag_matches(if_none_match, etag):
            return MediaResponse(304, etag=etag)
        entry = self.cache.get(key)
        cache_lookup("thumbnails", entry is not None)
        if entry is None:
            entry = self._render_and_store(media, location, version, key, size, variant)
        if entry.error is not None:
            return self._bad_media(media, entry.error, entry.data.decode("utf-8", "replace"), size)
        return MediaResponse(200, entry.data, sniff_type(entry.data), etag)

    async def original(
        self, dataset: str, sample_id: int, if_none_match: str | None = None
    ) -> MediaResponse:
        """The original bytes of one sample's image, with its content type."""
        media = await self._sample_media(dataset, sample_id)
        try:
            location = sources.resolve_within(media.location, media.media_root)
            version = await self._version(location)
            etag = f'"{cache_key(location, version, 0, "original")[:32]}"'
            if etag_matches(if_none_match, etag):
                return MediaResponse(304, etag=etag)
            data, content_type = await self._run(_read_original, location, version)
        except MediaError as exc:
            return self._bad_media(media, exc.code, str(exc), ORIGINAL_PLACEHOLDER_SIZE)
        return MediaResponse(200, data, content_type, etag)

    async def crop(
        self,
        dataset: str,
        sample_id: int,
        box: tuple[float, float, float, float],
        context: float,
        size: int,
        overlay: CropOverlay | None = None,
    ) -> MediaResponse:
        """The crop of ``box`` (x, y, w, h in image pixels) of one sample's image with
        ``context`` around it (:mod:`.crops`) and ``overlay``'s pixels drawn on it, cached
        like thumbnails; bad media gives the thumbnail placeholders. Raises as
        :meth:`thumbnail` does."""
        size = snap_crop_size(size)
        media = await self._sample_media(dataset, sample_id)
        try:
            location = sources.resolve_within(media.location, media.media_root)
            version = await self._version(location)
        except MediaError as exc:
            return self._bad_media(media, exc.code, str(exc), THUMBNAIL_SIZES[0], crop=True)
        variant = "crop:" + ":".join(f"{v:.6g}" for v in (*box, context))
        if overlay is not None:
            variant += ":" + overlay.key
        key = cache_key(location, version, size, variant)
        entry = self.cache.get(key)
        cache_lookup("crops", entry is not None)
        if entry is None:
            try:
                data = await self._run(sources.read_bytes, location)
                pixels = await self._run(overlay.load) if overlay is not None else None
                body = await self._run(
                    render_crop, data, box, context, size, media.location, pixels
                )
            except MediaError as exc:
                return self._bad_media(media, exc.code, str(exc), THUMBNAIL_SIZES[0], crop=True)
            self.cache.put(key, body)
            return MediaResponse(200, body, "image/jpeg", f'"{key[:32]}"')
        if entry.error is not None:
            return self._bad_media(media, entry.error, "", THUMBNAIL_SIZES[0], crop=True)
        return MediaResponse(200, entry.data, "image/jpeg", f'"{key[:32]}"')

    async def video(self, dataset: str, sample_id: int) -> video_files.VideoFile:
        """The video file of a frame sample, to stream (:mod:`.video_files`)."""
        media = await self._sample_media(dataset, sample_id)
        return await self._run(video_files.video_file, media.location, media.media_root)

    async def video_chunk(
        self, path: str, offset: int, length: int, generation: int | None = None
    ) -> bytes:
        """Bytes of a video file being streamed (of ``generation`` in GCS), read off the
        event loop."""
        return await self._run(video_files.read_chunk, path, offset, length, generation)

    def pregenerate(
        self, ctx: Any, dataset: str, sizes: tuple[int, ...] = (256,), **kwargs: Any
    ) -> dict[str, Any]:
        """Job function body: pre-generate ``dataset``'s thumbnails into this service's cache.

        ``jobs.submit("thumbnails", lambda ctx: media.pregenerate(ctx, name))`` after an ingest.
        """
        from .pregen import pregenerate_thumbnails

        result = pregenerate_thumbnails(ctx, self.catalog, dataset, self.cache, sizes, **kwargs)
        try:
            with self.catalog.cursor() as cur:
                self.forget_dataset(self.catalog.dataset_id(cur, dataset))
        except NotFoundError:
            pass  # deleted meanwhile
        return result

    # ------------------------------------------------------------------ internals

    async def _sample_media(self, dataset: str, sample_id: int) -> lookup.SampleMedia:
        media = self._locations.peek(dataset, sample_id)
        if media is None:  # a catalog query: off the event loop
            media = await self._run(self._locations.get, dataset, sample_id)
        return media

    async def _version(self, location: str) -> SourceVersion:
        if not location.startswith("gs://"):
            return sources.version(location)  # one stat: cheaper than a thread hop
        # kept per file: a frame's version is its video's, asked once for all its frames
        owner = sources.versioned_file(location)
        version = self.cache.gcs_version(owner)
        if version is None:
            try:
                version = await self._run(sources.version, location)
            except MediaError as exc:
                if exc.code == "missing":
                    await self._run(self.cache.set_gcs_version, owner, _MISSING)
                raise
            await self._run(self.cache.set_gcs_version, owner, version)
        if version == _MISSING:
            raise MediaError("missing", f"no object at {location}")
        return version

    def _render_and_store(
        self,
        media: lookup.SampleMedia,
        location: str,
        version: SourceVersion,
        key: str,
        size: int,
        variant: str,
    ) -> CachedEntry:
        """Read, render and cache (executor thread). Errors become error entries."""
        try:
            data = sources.read_bytes_at(location, version)  # the version the key names
        except MediaError as exc:
            return CachedEntry(str(exc).encode(), exc.code)  # not cached: a stat notices a fix
        try:
            thumb, _ = render_thumbnail(data, size, variant, name=media.location)
        except MediaError as exc:
            self.cache.put_error(key, exc.code)
            return CachedEntry(str(exc).encode(), exc.code)
        self.cache.put(key, thumb)
        self._maybe_clear(media)
        return CachedEntry(thumb, None)

    def _bad_media(
        self,
        media: lookup.SampleMedia,
        code: MediaErrorCode,
        detail: str,
        size: int,
        *,
        crop: bool = False,
    ) -> MediaResponse:
        self._note_error(media, code, detail)
        # Shaped like the sample, whose labels the UI draws in its recorded frame; a crop's
        # region has another shape, so its placeholder keeps the default one.
        frame = None if crop else (media.width, media.height)
        return MediaResponse(
            200,
            placeholder(code, size, frame=frame),
            "image/jpeg",
            None,
            CACHE_CONTROL_ERROR,
            error=code,
        )

    def _note_error(self, media: lookup.SampleMedia, code: str, detail: str) -> None:
        ident = (media.dataset_id, media.sample_id)
        with self._lock:
            if self._recorded.get(ident) == code:
                return
            self._recorded[ident] = code
            bad = self._bad.get(media.dataset_id)
            if bad is not None:
                bad.add(media.sample_id)
        self._status_pool.submit(
            self._safe_record, media.dataset_id, [(media.sample_id, code, detail)], []
        )

    def _maybe_clear(self, media: lookup.SampleMedia) -> None:
        """A sample that renders again is no longer bad media."""
        with self._lock:
            bad = self._bad.get(media.dataset_id)
        if bad is None:
            bad = lookup.bad_sample_ids(self.catalog, media.dataset_id)
            with self._lock:
                bad = self._bad.setdefault(media.dataset_id, bad)
        with self._lock:
            if media.sample_id not in bad:
                return
            bad.discard(media.sample_id)
            self._recorded.pop((media.dataset_id, media.sample_id), None)
        self._status_pool.submit(self._safe_record, media.dataset_id, [], [media.sample_id])

    def _safe_record(
        self, dataset_id: int, errors: list[tuple[int, str, str]], clear: list[int]
    ) -> None:
        try:
            lookup.record_media_errors(self.catalog, dataset_id, errors, clear=clear)
        except Exception:  # bookkeeping must never break serving
            log.exception("could not record media status of dataset %s", dataset_id)

    def forget_dataset(self, dataset_id: int) -> None:
        """Drop in-memory bookkeeping of a dataset (after it was deleted or re-checked)."""
        with self._lock:
            self._bad.pop(dataset_id, None)
            for ident in [k for k in self._recorded if k[0] == dataset_id]:
                del self._recorded[ident]


def _read_original(location: str, version: SourceVersion) -> tuple[bytes, str]:
    data = sources.read_bytes_at(location, version)
    return data, original_content_type(data, location)
