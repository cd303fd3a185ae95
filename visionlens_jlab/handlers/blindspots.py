"""Blind spots of a model: start a run (a background job), read the last result, review."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..blindspots.api import validate_options
from ..blindspots.job import blind_spots_run
from ..blindspots.results import last_result, save_review
from ..catalog import CatalogError
from ..jobs import JobContext, JobEffects, JobKind
from .base import VisionLensHandler, engine_errors


def _params(body: dict[str, Any]) -> dict[str, Any]:
    """The run's options from a body the contract checked (``openapi.yaml``); ``min_n`` and
    ``fdr`` by the engine's own rule (the CLI and notebook share it)."""
    model = body["model"]
    min_n, fdr, agent = body.get("min_n", 50), body.get("fdr", 0.05), body.get("agent", False)
    try:
        validate_options(min_n, fdr)
    except CatalogError as exc:
        raise HTTPError(400, str(exc)) from exc
    space, clusters = body.get("space"), body.get("clusters", 8)
    return {"model": model.strip(), "min_n": min_n, "fdr": float(fdr), "agent": agent,
            "space": space, "clusters": clusters}  # fmt: skip


BLIND_SPOTS_JOB = JobKind("blindspots", JobEffects())
"""Findings the blind-spots panel reads from its own job's result: nothing else shown."""


class BlindSpotsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        model = self.get_query_argument("model", None)
        await self.write_result(await self.run_blocking(last_result, self.catalog, name, model))

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        params = _params(self.json_body())
        catalog = self.catalog
        await self.run_blocking(catalog.get_dataset, name)  # 404 before a job starts
        store = None
        if params["space"] is not None:
            with engine_errors():
                store = await self.run_blocking(self.app.vector_store)
                await self.run_blocking(store.space, params["space"])  # 404 before a job

        # VLM attributes only behind the setting, and only those calibrated usable
        vlm = float(self.app.vlm_kappa_threshold) if self.app.vlm_attributes else None

        def run(ctx: JobContext) -> dict[str, Any]:
            return blind_spots_run(catalog, name, job=ctx, store=store, vlm_threshold=vlm, **params)

        title = f"Blind spots of {params['model']} on {name}"
        await self.submit_job(
            BLIND_SPOTS_JOB, run, title=title, dataset=name, models=(params["model"],)
        )


class BlindSpotReviewHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, finding_id: str) -> None:
        verdict = self.json_body()["verdict"]  # the contract: one of confirmed, rejected
        await self.run_blocking(save_review, self.catalog, name, finding_id, verdict)
        await self.write_json({"id": finding_id, "verdict": verdict})


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/blindspots", BlindSpotsHandler),
    (r"/datasets/(?P<name>[^/]+)/blindspots/(?P<finding_id>[^/]+)/review", BlindSpotReviewHandler),
]
