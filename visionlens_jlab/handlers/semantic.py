"""Semantic and panoptic segmentation datasets, and a model's masks, ingested as jobs.

``POST /semantic-datasets`` ``{source, name, layout, classes, ignore_index, images}`` and ``POST
/panoptic-datasets`` ``{source, name, masks, images}`` write a dataset; ``POST
/datasets/{name}/semantic-predictions`` ``{source, model, indices}`` and ``POST
/datasets/{name}/panoptic-predictions`` ``{source, model, masks}`` record a model's masks.
Each answers 202 with the job, whose result is what the CLI command of the same name prints
with ``--json``. ``GET /datasets/{name}/samples/{id}/masks/{source}`` is a sample's mask of
a source as an RGBA PNG in the classes' colours (:mod:`..semantic.overlay`): what the lab
lays over the photo; ``?size=N`` fits its longer side in N pixels (a grid tile's). A path outside ``allowed_roots`` is a 403, a taken dataset name a 409, a
bad name or a semantic folder without a known layout a 400, before any job starts
(:mod:`..importing.mask_jobs`).
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..semantic.layouts import LayoutError
from ..semantic.overlay import overlay_png
from .base import VisionLensHandler, optional_str, required_str

MIN_SIZE, MAX_SIZE = 16, 4096
"""The sizes a mask may be drawn at (its longer side, pixels)."""


class _MaskIngestHandler(VisionLensHandler):
    """Queues one of the app's mask ingests from the body, off the loop (the checks read
    the catalog and the file system), and answers 202 with its job."""

    async def queue(self, start: Any) -> None:
        try:
            job = await self.run_blocking(start)
        except LayoutError as exc:
            raise HTTPError(400, str(exc)) from exc
        await self.write_json({"job": job.to_dict()}, status=202)


class SemanticDatasetsHandler(_MaskIngestHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        await self.queue(
            lambda: self.app.mask_ingests.ingest_semantic(
                required_str(body, "name"),
                required_str(body, "source"),
                optional_str(body, "layout") or "auto",
                optional_str(body, "classes"),
                body.get("ignore_index"),
                optional_str(body, "images"),
            )  # fmt: skip
        )


class SemanticPredictionsHandler(_MaskIngestHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        await self.queue(
            lambda: self.app.mask_ingests.semantic_predictions(
                name,
                required_str(body, "model"),
                required_str(body, "source"),
                bool(body.get("indices")),
            )  # fmt: skip
        )


class PanopticDatasetsHandler(_MaskIngestHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        await self.queue(
            lambda: self.app.mask_ingests.ingest_panoptic(
                required_str(body, "name"),
                required_str(body, "source"),
                optional_str(body, "masks"),
                optional_str(body, "images"),
            )  # fmt: skip
        )


class PanopticPredictionsHandler(_MaskIngestHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        await self.queue(
            lambda: self.app.mask_ingests.panoptic_predictions(
                name,
                required_str(body, "model"),
                required_str(body, "source"),
                optional_str(body, "masks"),
            )  # fmt: skip
        )


class SampleMaskHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, sample_id: str, source: str) -> None:
        size = self.int_argument("size", 0) or None
        if size is not None and not MIN_SIZE <= size <= MAX_SIZE:
            raise HTTPError(400, f"size must be from {MIN_SIZE} to {MAX_SIZE} pixels")
        png = await self.run_blocking(overlay_png, self.catalog, name, int(sample_id), source, size)
        self.set_header("Cache-Control", "private, no-cache")  # a model's masks may be replaced
        self.finish(png, set_content_type="image/png")


ROUTES = [
    (r"/semantic-datasets", SemanticDatasetsHandler),
    (r"/panoptic-datasets", PanopticDatasetsHandler),
    (r"/datasets/(?P<name>[^/]+)/semantic-predictions", SemanticPredictionsHandler),
    (r"/datasets/(?P<name>[^/]+)/panoptic-predictions", PanopticPredictionsHandler),
    (
        r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>[0-9]{1,18})/masks/(?P<source>[^/]+)",
        SampleMaskHandler,
    ),
]
