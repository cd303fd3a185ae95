"""The patches view: pages of objects, their samples, and the crop of one object.

* ``POST /datasets/{name}/patches``: ``{"filter", "kind", "source", "model", "evaluation",
  "statuses", "sort", "order", "offset", "limit", "lq_model", "version"}`` → the exact total
  and one page of objects (:mod:`..catalog.reads.object_pages`: rows of the planner's
  ``objects`` kind; the version read and the evaluation named in the answer, each object's
  ``status`` in that evaluation the key of its colour), each with the region its tile shows
  (:func:`..media.crops.tile_regions`); with a label-quality run, a flagged object's
  ``match`` is the object it disagrees with (:mod:`..label_quality.conflicts`).
* ``POST /datasets/{name}/patches/samples``: ``{"ann_ids": [...], "version"}`` →
  ``{"sample_ids"}``: the samples of a patch selection (back: a page whose filter is
  ``{"ids": sample_ids}``).
  ``kind: "regions"`` (with ``model``): a page of the stored regions of a semantic
  label-quality run instead (:mod:`..label_quality.region_pages`), each cropped to its box.
* ``GET /datasets/{name}/samples/{sample_id}/regions/{region}/crop?model=M[&size&context]``:
  the crop of one stored region's box, as the object crop below (a region has no object id).
* ``GET /datasets/{name}/objects/{ann_id}/crop[?size=64|128|256&context=0.25&with=ID&version=N]``:
  the object's crop with some context, as JPEG (bad media: the thumbnail placeholders); ``with``
  another object of the same image: the crop of both (an evaluation's matched pair).

``version`` (a saved version's number; absent or ``current``: the current labels) reads the
objects as they were at that version, as the samples routes do.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..catalog import Catalog
from ..catalog.reads.object_pages import PatchQuery, parse_patch_query, patches_page
from ..catalog.reads.patch_objects import patch_box, patch_samples
from ..label_quality.conflicts import attach_conflicts
from ..label_quality.region_pages import region_pixels, region_row, regions_page
from ..media.crops import DEFAULT_CONTEXT, MAX_CONTEXT, CropOverlay, tile_regions, union_box
from ..media.errors import MEDIA_ERROR_HEADER, MediaAccessError, MediaUnavailableError
from .base import VisionLensHandler, engine_errors
from .samples import version_option


def read_patches(catalog: Catalog, name: str, spec: Any, query: PatchQuery) -> dict[str, Any]:
    """A page of patches, each flagged one with the object it disagrees with (or a page
    of semantic regions, ``kind: "regions"``)."""
    if query.kind == "regions":
        return regions_page(catalog, name, spec, query)
    page = patches_page(catalog, name, spec, query)
    attach_conflicts(catalog, name, page)
    return page


class PatchesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        with engine_errors():
            query = parse_patch_query(body)
        page = await self.run_blocking(read_patches, self.catalog, name, body.get("filter"), query)
        tile_regions(page["objects"])
        await self.write_json(page)


class PatchSamplesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        version = version_option(body.get("version"))
        ids = await self.run_blocking(
            patch_samples, self.catalog, name, body.get("ann_ids"), version
        )
        await self.write_json({"sample_ids": ids})


class CropHandler(VisionLensHandler):
    """What the crop routes share: the size and context asked for, and the answer."""

    def size_and_context(self) -> tuple[float, float]:
        """The query's ``size`` and ``context`` (400 when out of range)."""
        size = _number(self.get_query_argument("size", "128"), "size", 1, 4096)
        context = _number(
            self.get_query_argument("context", str(DEFAULT_CONTEXT)), "context", 0, MAX_CONTEXT
        )
        return size, context

    async def send_crop(
        self,
        name: str,
        sample_id: int,
        region: tuple[float, float, float, float],
        size_context: tuple[float, float],
        overlay: CropOverlay | None = None,
    ) -> None:
        """The crop of ``region`` of the sample's image, ``overlay`` drawn on it (only a
        file of the dataset: 403)."""
        size, context = size_context
        with engine_errors():
            try:
                response = await self.app.media.crop(
                    name, sample_id, region, context, int(size), overlay
                )
            except MediaAccessError as exc:
                raise HTTPError(
                    403, "the image of this object lies outside the dataset's media root"
                ) from exc
            except MediaUnavailableError as exc:
                raise HTTPError(502, str(exc)) from exc
        self.set_header("Cache-Control", response.cache_control)
        if response.etag:
            self.set_header("ETag", response.etag)
        if response.error:
            self.set_header(MEDIA_ERROR_HEADER, response.error)
        self.set_status(response.status)
        self.finish(response.body, set_content_type=response.content_type or "image/jpeg")


class ObjectCropHandler(CropHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, ann_id: str) -> None:
        size_context = self.size_and_context()
        version = version_option(self.get_query_argument("version", None))
        sample_id, *box = await self.run_blocking(
            patch_box, self.catalog, name, _id(ann_id, name), version
        )
        region = (box[0], box[1], box[2], box[3])
        pair = self.get_query_argument("with", None)
        if pair is not None:
            other, *more = await self.run_blocking(
                patch_box, self.catalog, name, _id(pair, name), version
            )
            if other != sample_id:
                raise HTTPError(400, f"objects {ann_id} and {pair} lie in different images")
            region = union_box(region, (more[0], more[1], more[2], more[3]))
        await self.send_crop(name, sample_id, region, size_context)


class RegionCropHandler(CropHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, sample_id: str, region: str) -> None:
        size_context = self.size_and_context()
        model = self.get_query_argument("model", None)
        if not model:
            raise HTTPError(400, "'model' is required: the semantic model of the regions")
        with engine_errors():
            row = await self.run_blocking(
                region_row, self.catalog, name, model, int(sample_id), int(region)
            )
        # the region's pixels drawn on its crop, found in the label map on a cache miss only
        overlay = CropOverlay(
            f"region:{row['class']}:{row['pixels']}",
            partial(region_pixels, self.catalog, name, int(sample_id), row),
        )
        box = (float(row["x"]), float(row["y"]), float(row["w"]), float(row["h"]))
        await self.send_crop(name, int(sample_id), box, size_context, overlay)


def _id(raw: str, dataset: str) -> int:
    """An object id from a URL (a 404 for anything else)."""
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPError(404, f"no object {raw!r} in dataset {dataset!r}")
    return int(raw)


def _number(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise HTTPError(400, f"'{name}' must be a number in [{low}, {high}]") from exc
    if not low <= value <= high:
        raise HTTPError(400, f"'{name}' must be a number in [{low}, {high}]")
    return value


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/patches", PatchesHandler),
    (r"/datasets/(?P<name>[^/]+)/patches/samples", PatchSamplesHandler),
    (r"/datasets/(?P<name>[^/]+)/objects/(?P<ann_id>[^/]+)/crop", ObjectCropHandler),
    (
        r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>[0-9]{1,18})/regions/(?P<region>[0-9]{1,9})/crop",
        RegionCropHandler,
    ),
]
