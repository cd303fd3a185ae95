"""Click-to-mask in the server: a sample's image, its clicks and its prefetched embedding.

What the REST handlers call. Prompts are checked at once (before anything is queued); the
model work runs on the :class:`~.host.ModelHost` thread. An embedding is cached under the
image's location and version (its size and modification time, or its GCS generation), so
an image replaced on disk is embedded again and a dataset ingested again reuses nothing
stale. Nothing here writes the catalog: an accepted mask goes through the edit log
(``add`` with a ``segmentation``, or ``mask`` on an existing box:
:mod:`visionlens_jlab.edits.operations`).
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Sequence
from concurrent.futures import Future
from typing import Any

from PIL import Image, ImageOps

from ..catalog import Catalog
from ..media import sources
from ..media.errors import MediaError
from ..media.lookup import SampleMedia, SampleMediaCache
from .engine import DEFAULT_CACHE_BYTES, Loader, SegmentEngine
from .host import ModelHost
from .prompts import SegmentError, check_inside, parse_prompt

MAX_PREFETCH = 64
"""Samples one prefetch may name: a grid page's worth of what the user may open next."""


def read_image(location: str) -> Image.Image:
    """The image at ``location`` as an upright RGB PIL image (its EXIF orientation applied:
    the size the catalog records and the lab shows, the frame of every click); an image
    that cannot be read is a :class:`~.prompts.SegmentError` saying why."""
    try:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(sources.read_bytes(location))))
        return image.convert("RGB") if image.mode != "RGB" else image
    except (MediaError, OSError, Image.DecompressionBombError) as exc:
        raise SegmentError(f"the image {location} cannot be read: {exc}") from exc


class SegmentService:
    """One server's click-to-mask: the engine on its own thread."""

    def __init__(
        self,
        catalog: Catalog,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        loader: Loader | None = None,
    ) -> None:
        self.engine = SegmentEngine(cache_bytes, loader)
        self.host = ModelHost()
        self._media = SampleMediaCache(catalog)

    def close(self) -> None:
        """Stop the model's thread (the model and its embeddings are let go)."""
        self.host.close()

    def segment(
        self, dataset: str, sample_id: int, model: str, points: Any, box: Any = None
    ) -> Future[dict[str, Any]]:
        """The best mask of the prompt on one sample's image, computed on the model's thread
        (its future). A malformed or empty prompt is refused now; an unknown dataset or
        sample, and a prompt outside the image, when the future resolves."""
        prompt = parse_prompt(points, box)

        def run() -> dict[str, Any]:
            media = self._media.get(dataset, sample_id)
            if media.width and media.height:  # before any model loads or image decodes
                check_inside(prompt, media.width, media.height)
            location = self._location(media)
            answer = self.engine.segment(
                model, self._key(media, location), lambda: read_image(location), prompt
            )
            return {"sample_id": sample_id, "model": model, **answer}

        return self.host.run(run)

    def prefetch(self, dataset: str, sample_ids: Sequence[int], model: str) -> dict[str, Any]:
        """Queue the embeddings of ``sample_ids`` (in that order) behind any click, replacing
        the prefetch not started yet; blocking (catalog reads): call it off the event loop.
        ``{"queued", "cached", "dropped"}``: embeddings to compute, already held, and
        dropped from the earlier list. An unknown sample is refused before anything is
        queued."""
        if len(sample_ids) > MAX_PREFETCH:
            raise SegmentError(f"at most {MAX_PREFETCH} samples per prefetch")
        keyed = []
        for sample_id in dict.fromkeys(sample_ids):
            media = self._media.get(dataset, sample_id)
            location = self._location(media)
            keyed.append((self._key(media, location), location))
        todo = [(key, loc) for key, loc in keyed if (model, key) not in self.engine.cache]

        def embed(key: Hashable, location: str) -> Any:
            return lambda: self.engine.embed(model, key, lambda: read_image(location))

        dropped = self.host.replace_background([embed(k, loc) for k, loc in todo])
        return {"queued": len(todo), "cached": len(keyed) - len(todo), "dropped": dropped}

    @staticmethod
    def _location(media: SampleMedia) -> str:
        try:
            return sources.resolve_within(media.location, media.media_root)
        except MediaError as exc:
            raise SegmentError(f"the image of sample {media.sample_id}: {exc}") from exc

    @staticmethod
    def _key(media: SampleMedia, location: str) -> Hashable:
        try:
            return (location, sources.version(location).token)
        except MediaError as exc:
            raise SegmentError(f"the image of sample {media.sample_id}: {exc}") from exc
