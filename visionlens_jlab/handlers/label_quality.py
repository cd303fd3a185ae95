"""Label quality of a dataset against a model: start a run (a job), read the stored result.

A classification model (image-level labels only) is scored by its images' labels
(:mod:`~visionlens_jlab.label_quality.classification`, through the same job); one with only a
top label per image is refused before a job starts (400, saying why)."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..evaluate.classification import is_classification_model
from ..jobs import JobContext, JobEffects, JobKind
from ..label_quality import stored
from ..label_quality.classification import top_label_only
from ..label_quality.job import resolve_iou, run_label_quality
from ..label_quality.scores import check_thresholds
from ..label_quality.semantic_masks import is_semantic_model
from .base import VisionLensHandler


def _model(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise HTTPError(400, "'model' is required: the name of a prediction set of the dataset")
    return value


LABEL_QUALITY_JOB = JobKind("label_quality", JobEffects(data=("fields",)))
"""``computed.lq_*`` sample fields (the quality view's counts)."""


class LabelQualityHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        model = _model(self.get_query_argument("model", None))
        await self.write_json(await self.run_blocking(stored, self.catalog, name, model))

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        model = body["model"]  # the contract: a non-empty string
        raw = body.get("thresholds") or {}
        iou = body.get("iou") or "auto"  # the contract: auto, mask or box
        try:
            thresholds = check_thresholds(raw)
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from exc
        catalog = self.catalog
        await self.run_blocking(catalog.get_dataset, name)  # 404 before a job starts
        if await self.run_blocking(is_semantic_model, catalog, name, model):
            if raw or iou != "auto":
                raise HTTPError(
                    400, f"{model!r} has semantic masks: it takes no thresholds, no iou"
                )
        elif await self.run_blocking(is_classification_model, catalog, name, model):
            await self._check_classification(name, model, bool(raw))
            if iou == "mask":
                raise HTTPError(400, f"{model!r} is a classification model: it has no masks")
        else:
            # a side without masks is refused before a job starts
            await self.run_blocking(resolve_iou, catalog, name, model, iou)

        def run(ctx: JobContext) -> dict[str, Any]:
            # none given: the defaults (a classification model takes none at all)
            given = thresholds if raw else None
            result = run_label_quality(catalog, name, model, thresholds=given, iou=iou, ctx=ctx)
            # the per-object lists can be long: they stay stored (GET this path)
            out = {"model": model, "summary": result["summary"], "code": result["code"]}
            # a semantic run's flagged regions, as the CLI prints them (stored too: GET this path)
            return out | ({"regions": result["regions"]} if "regions" in result else {})

        title = f"Label quality of {name} against {model}"
        await self.submit_job(LABEL_QUALITY_JOB, run, title=title, dataset=name, models=(model,))

    async def _check_classification(self, name: str, model: str, thresholds: bool) -> None:
        """Refuse, before a job starts, what a classification model cannot be scored with:
        thresholds (the rule is its top class against the given label), or no per-class
        scores."""
        if thresholds:
            raise HTTPError(400, f"{model!r} is a classification model: it takes no 'thresholds'")
        if await self.run_blocking(top_label_only, self.catalog, name, model):
            raise HTTPError(
                400,
                f"cannot score labels against {model!r}: it has only a top label per image, "
                "no per-class scores (label quality needs the model's probability of each "
                "class: import its predictions with per-class scores)",
            )


ROUTES = [(r"/datasets/(?P<name>[^/]+)/label-quality", LabelQualityHandler)]
