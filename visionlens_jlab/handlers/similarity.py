"""Similarity search and duplicates of a dataset (thin: parse, call the engine, answer)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..dedup import last_result
from ..dedup.job import check_threshold, run_duplicates
from ..dedup.near import DEFAULT_THRESHOLD
from ..jobs import JobContext, JobEffects, JobKind
from ..search.captioned import text_search
from ..search.encoders import QueryEncoderError
from ..search.engine import Query, search
from ..search.limits import DEFAULT_K, MAX_IMAGE_BYTES
from .base import VisionLensHandler


def _query(body: dict[str, Any]) -> Query:
    """The query of a body the contract checked (``openapi.yaml``); the image's size and
    base64 are checked here (the schema states neither)."""
    like, text, image = body.get("like"), body.get("text"), body.get("image")
    data = None
    if image is not None:
        if len(image) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
            raise HTTPError(413, f"the query image is larger than {MAX_IMAGE_BYTES:,} bytes")
        try:
            data = base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise HTTPError(400, f"'image' is not valid base64: {exc}") from exc
    try:
        return Query(like=like, text=text, image=data)
    except QueryEncoderError as exc:
        raise HTTPError(400, str(exc)) from exc


DUPLICATES_JOB = JobKind("duplicates", JobEffects(data=("fields",)))
"""Near-duplicate groups: ``computed.*`` sample fields."""


class SearchHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        query = _query(body)
        k = body.get("k", DEFAULT_K)
        flt, model = body.get("filter"), body.get("model")
        text = query.text

        def answer() -> dict[str, Any]:
            common = {"filter_spec": flt, "k": k, "model": model, "cache": self.app.search_cache}
            store = self.app.vector_store()
            if text is not None:  # captions rank too, when the dataset has them
                return text_search(self.catalog, store, name, text, **common)
            return search(self.catalog, store, name, query, **common)

        await self.write_json(await self.run_blocking(answer))


class DuplicatesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        await self.write_result(await self.run_blocking(last_result, self.catalog, name))

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        try:
            threshold = check_threshold(body.get("threshold", DEFAULT_THRESHOLD))
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from exc
        flags = {"exact": body.get("exact", False), "hashes": body.get("hashes", True)}
        model = body.get("model")
        await self.run_blocking(self.catalog.get_dataset, name)  # 404 before queueing
        catalog, app = self.catalog, self.app

        def run(ctx: JobContext) -> dict[str, Any]:
            result = run_duplicates(
                catalog,
                app.vector_store(),  # opened in the job: it may take a while the first time
                name,
                threshold=threshold,
                exact=flags["exact"],
                model=model,
                hashes=flags["hashes"],
                ctx=ctx,
            )
            # the pair list can be long: it stays in the stored result (GET this path)
            return {k: v for k, v in result.items() if k != "pair_list"}

        await self.submit_job(DUPLICATES_JOB, run, title=f"Duplicates in {name}", dataset=name)


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/search", SearchHandler),
    (r"/datasets/(?P<name>[^/]+)/duplicates", DuplicatesHandler),
]
