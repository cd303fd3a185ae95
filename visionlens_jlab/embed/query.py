"""Search queries (an uploaded image, a text) encoded by the model that made a space.

``search/encoders.py`` asks for a :class:`~visionlens_jlab.search.encoders.QueryEncoder`
per vector space; :class:`QueryEmbedders` answers for every space an embedding job of
``embed/`` wrote: the weight-free built-in embedder (image only: its text search is
refused by search with a sentence) and open_clip models, loaded from local weights only —
the pretrained tag's cached weights, or the checkpoint the space was computed from (found
in the catalog's ``vector_spaces`` rows or the server's configured checkpoint, and
accepted only when its content hash is the space's version, so a query is never encoded
by other weights than the dataset's vectors).

Queries are single items, so models run on the CPU in fp32 (a GPU stays free for the
embedding jobs' lane). Loading a model costs seconds: the last few loaded stay in memory.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from ..catalog import Catalog
from ..search.encoders import QueryEncoder, QueryEncoderError
from ..vectors import SpaceInfo
from .base import Embedder, EmbedError
from .builtin import NAME as BUILTIN_NAME
from .decode import decode
from .models import BUILTIN, CHECKPOINT_ENV, ModelSpec, checkpoint_digest
from .registry import load_embedder
from .spaces import recorded_spaces

CHECKPOINT_VERSION_PREFIX = "checkpoint-"
MAX_LOADED = 2
"""Models kept loaded for queries (a ViT-B-32 holds ~600 MB in fp32)."""


class QueryEmbedders:
    """Encoders of search queries for the spaces of one server's catalog.

    ``loader`` builds an embedder from a spec (tests may count calls); ``checkpoint`` is
    the server's configured default checkpoint (else ``$VISIONLENS_EMBEDDING_CHECKPOINT``),
    tried after the paths recorded with the space.
    """

    def __init__(
        self,
        catalog: Catalog,
        checkpoint: str | None = None,
        loader: Callable[[ModelSpec], Embedder] | None = None,
    ) -> None:
        self.catalog = catalog
        self.checkpoint = checkpoint
        self._loader = loader or (lambda spec: load_embedder(spec, "cpu", "float32"))
        self._loaded: OrderedDict[ModelSpec, Embedder] = OrderedDict()
        self._lock = threading.Lock()

    def encoder(self, space: SpaceInfo) -> QueryEncoder:
        """The query encoder of ``space`` (a search/encoders factory)."""
        spec = self.spec_of(space)

        def encode_image(data: bytes) -> np.ndarray:
            embedder = self.embedder(spec)
            pixels = decode(data, embedder.input_spec)[None].copy()  # writable, for torch
            return embedder.embed_images(pixels)[0]

        def encode_text(text: str) -> np.ndarray:
            return self.embedder(spec).embed_text([text])[0]

        return QueryEncoder(encode_image, None if spec.kind == "builtin" else encode_text)

    def spec_of(self, space: SpaceInfo) -> ModelSpec:
        """The model spec that made ``space``'s vectors (its weights must be here)."""
        if space.model == BUILTIN_NAME:
            return BUILTIN
        if not space.version.startswith(CHECKPOINT_VERSION_PREFIX):
            return ModelSpec("open_clip", space.model, space.version)
        digest = space.version[len(CHECKPOINT_VERSION_PREFIX) :]
        tried: list[str] = []
        for path in self._checkpoint_candidates(space.name):
            if path in tried:
                continue
            tried.append(path)
            try:
                if checkpoint_digest(path) == digest:
                    return ModelSpec("open_clip", space.model, None, path)
            except OSError:
                continue  # moved or deleted since the job ran
        where = ", ".join(tried) or "no checkpoint recorded or configured"
        raise QueryEncoderError(
            f"the checkpoint that computed the {space.model!r} vectors ({space.version}) is not "
            f"on this machine any more (tried: {where}): search by a sample (like=ID), or "
            "point c.VisionLensApp.embedding_checkpoint at those weights"
        )

    def embedder(self, spec: ModelSpec) -> Embedder:
        """The loaded embedder of ``spec`` (loaded on first use, the last few kept)."""
        with self._lock:
            embedder = self._loaded.get(spec)
            if embedder is None:
                try:
                    embedder = self._loader(spec)
                except EmbedError as exc:
                    raise QueryEncoderError(f"cannot encode the query: {exc}") from exc
                self._loaded[spec] = embedder
                while len(self._loaded) > MAX_LOADED:
                    self._loaded.popitem(last=False)
            self._loaded.move_to_end(spec)
            return embedder

    def _checkpoint_candidates(self, space_name: str) -> list[str]:
        paths = [
            str(row["info"]["checkpoint"])
            for row in recorded_spaces(self.catalog)
            if row["space"] == space_name and row["info"].get("checkpoint")
        ]
        configured = self.checkpoint or os.environ.get(CHECKPOINT_ENV)
        return [*paths, configured] if configured else paths
