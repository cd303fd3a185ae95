"""Samples: filtered pages, one sample, id lists, a selection's position, tags, facets and the
selection as code."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..catalog import Catalog
from ..catalog.base.errors import CatalogError
from ..catalog.query import view_code
from ..catalog.query.filter_conditions import FilterError, checked_id_array
from ..catalog.query.filter_parser import parse_filter
from ..catalog.query.sample_sort import SampleSort, parse_sample_sort
from ..catalog.reads import queries
from ..catalog.reads.positions import selection_position
from ..catalog.tables.labels_view import parse_version
from ..catalog.writes.sample_tags import update_tags
from ..importing.video_timeline import video_timeline
from ..semantic.overlay import mask_sources_of, with_mask_sources
from .base import VisionLensHandler

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def arrow_stream_bytes(table: pa.Table) -> bytes:
    """Serialize a table as an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


class _PageHandler(VisionLensHandler):
    """A page of samples, asked by GET (query arguments) or POST (a body)."""

    async def _page(self, name: str, params: dict[str, Any]) -> None:
        """A page of ``params``: typed query arguments (GET) or a body the contract
        checked (POST, ``openapi.yaml``)."""
        sort = sort_option(params.get("sort"), params.get("order"))
        eval_status = _model_name(params.get("eval_status"))
        version = version_option(params.get("version"))

        def read() -> dict[str, Any]:
            flt = parse_filter(params.get("filter"))  # once, for the page and its code
            page = queries.samples_page(
                self.catalog,
                name,
                flt,
                offset=_or(params.get("offset"), 0),
                limit=_or(params.get("limit"), 100),
                sort=sort,
                eval_status=eval_status,
                version=version,
            )
            page = with_mask_sources(self.catalog, name, page)  # the grid's tiles draw them
            return {**page, "code": view_code.samples_code(name, flt, sort)}

        page = await self.run_blocking(read)
        await self.write_json(page)


class SamplesHandler(_PageHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        await self._page(
            name,
            {
                "filter": self.json_argument("filter"),
                "sort": self.get_query_argument("sort", None),
                "order": self.get_query_argument("order", None),
                "offset": self.int_argument("offset", 0),
                "limit": self.int_argument("limit", 100),
                "eval_status": self.get_query_argument("eval_status", None),
                "version": self.get_query_argument("version", None),
            },
        )


class SamplesQueryHandler(_PageHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        await self._page(name, self.json_body())


class SampleHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, sample_id: str) -> None:
        model = _model_name(self.get_query_argument("eval_status", None))
        version = version_option(self.get_query_argument("version", None))
        samples = await self.run_blocking(
            _details, self.catalog, name, [int(sample_id)], model, version
        )
        await self.write_json(samples[0])


class SampleDetailsHandler(VisionLensHandler):
    """Several samples as GET sample answers each, in one request (the video player asks
    the labels of a window of frames at once)."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        model = _model_name(body.get("eval_status"))
        version = version_option(body.get("version"))
        samples = await self.run_blocking(_details, self.catalog, name, body["ids"], model, version)
        await self.write_json({"samples": samples})


def _details(
    catalog: Catalog, name: str, ids: list[int], model: str | None, version: int | None
) -> list[dict[str, Any]]:
    """:func:`queries.sample_details` of ``ids``, each with its ``mask_sources`` (the
    sample view lays those masks over the image)."""
    samples = queries.sample_details(catalog, name, ids, model, version)
    masks = mask_sources_of(catalog, name, ids) if samples else {}
    return [{**s, "mask_sources": masks.get(s["sample_id"], [])} for s in samples]


class SampleTimelineHandler(VisionLensHandler):
    """The video of a frame sample, its frame samples and its tracks (the video view)."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, sample_id: str) -> None:
        model = self.get_query_argument("model", None) or None
        timeline = await self.run_blocking(
            video_timeline, self.catalog, name, int(sample_id), model
        )
        await self.write_json(timeline)


class IdsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        version = version_option(body.get("version"))
        ids = await self.run_blocking(
            queries.sample_ids, self.catalog, name, body.get("filter"), version
        )
        if ARROW_STREAM in self.request.headers.get("Accept", ""):
            table = pa.table({"sample_id": ids})
            self.finish(arrow_stream_bytes(table), set_content_type=ARROW_STREAM)
            return
        await self.write_json({"total": len(ids), "ids": ids.to_pylist()})


class PositionHandler(VisionLensHandler):
    """Where the first of ``ids`` stands in the pages of ``filter`` sorted by ``sort`` /
    ``order``, and how many of ``ids`` the filter shows and hides."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        sort = sort_option(body.get("sort"), body.get("order"))
        version = version_option(body.get("version"))
        answer = await self.run_blocking(
            lambda: selection_position(
                self.catalog,
                name,
                body.get("filter"),
                body["ids"],
                sort=sort,
                version=version,
            )
        )
        await self.write_json(answer)


class TagsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        refuse_version_edit(self.get_query_argument("version", None) or body.get("version"))
        spec = body["filter"]  # the contract: required, {} tags every sample
        add, remove = body.get("add") or [], body.get("remove") or []
        user = self.user_name
        updated = await self.run_blocking(
            lambda: update_tags(self.catalog, name, spec, add=add, remove=remove, user=user)
        )
        await self.write_json({"updated": updated})


class FacetsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        spec = self.json_argument("filter")
        version = version_option(self.get_query_argument("version", None))
        answer = await self.run_blocking(queries.facets, self.catalog, name, spec, version)
        await self.write_json(answer)

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        version = version_option(body.get("version"))
        answer = await self.run_blocking(
            queries.facets, self.catalog, name, body.get("filter"), version
        )
        await self.write_json(answer)


class SelectionCodeHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        if ("ids" in body) == ("filter" in body):
            raise HTTPError(400, "give 'ids' (the selected samples) or 'filter' (all matching it)")
        code = await self.run_blocking(_selection_code, name, body)
        await self.write_json({"code": code, "max_ids": view_code.MAX_CODE_IDS})


def _selection_code(dataset: str, body: dict[str, Any]) -> str | None:
    """The selection's notebook call: of the explicit ``ids``, else of ``filter``."""
    if "ids" in body:
        return view_code.select_code(dataset, ids=checked_id_array(body["ids"]).tolist())
    return view_code.select_code(dataset, flt=parse_filter(body["filter"]))


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/samples", SamplesHandler),
    (r"/datasets/(?P<name>[^/]+)/samples/query", SamplesQueryHandler),
    (r"/datasets/(?P<name>[^/]+)/samples/details", SampleDetailsHandler),
    (r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>\d+)", SampleHandler),
    (r"/datasets/(?P<name>[^/]+)/samples/(?P<sample_id>\d+)/timeline", SampleTimelineHandler),
    (r"/datasets/(?P<name>[^/]+)/ids", IdsHandler),
    (r"/datasets/(?P<name>[^/]+)/position", PositionHandler),
    (r"/datasets/(?P<name>[^/]+)/tags", TagsHandler),
    (r"/datasets/(?P<name>[^/]+)/facets", FacetsHandler),
    (r"/datasets/(?P<name>[^/]+)/selection-code", SelectionCodeHandler),
]


def sort_option(sort: Any, order: Any) -> SampleSort:
    """The ``sort`` / ``order`` options of a samples view, parsed once where the request
    enters (:func:`..catalog.query.sample_sort.parse_sample_sort`): 400 naming a bad sort."""
    try:
        return parse_sample_sort(sort, order)
    except FilterError as exc:
        raise HTTPError(400, str(exc)) from exc


def version_option(value: Any) -> int | None:
    """The ``version`` option: a saved version's number, or None (absent / ``current``)."""
    try:
        return parse_version(value)
    except CatalogError as exc:
        raise HTTPError(400, str(exc)) from exc


def refuse_version_edit(value: Any) -> None:
    """A write naming a saved version: 409, a version is read-only."""
    if value not in (None, "", "current"):
        raise HTTPError(
            409,
            f"version {value} is read-only: go back to the current labels to edit "
            "(or restore that version first)",
        )


def _model_name(value: Any) -> str | None:
    """The ``eval_status`` option: an evaluation's key or a model name, or absent."""
    return value or None
