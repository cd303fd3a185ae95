"""Evaluations of a dataset: start one (a background job), list them, fetch a report."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..catalog import CatalogError
from ..evaluate import evaluate_model, get_evaluation, list_evaluations
from ..evaluate.api import validate_params
from ..evaluate.classification import evaluate_classification, is_classification_model
from ..evaluate.tracking.catalog_sequences import evaluate_dataset_tracking
from ..jobs import JobContext, JobEffects, JobKind, job_progress
from ..semantic.mask_evaluation import evaluate_masks, has_masks
from .base import VisionLensHandler


def _params(body: dict[str, Any]) -> dict[str, Any]:
    """The evaluation's parameters from a body the contract checked (``openapi.yaml``);
    their values by the engine's own rule (the CLI and notebook share it)."""
    model = body["model"]
    protocol = body.get("protocol", "coco")
    iou = body.get("iou", 0.5)
    iou_type, sigmas = body.get("iou_type", "bbox"), body.get("sigmas")
    try:
        validate_params(protocol, iou, iou_type, sigmas)
    except CatalogError as exc:
        raise HTTPError(400, str(exc)) from exc
    return {
        "model": model.strip(),
        "protocol": protocol,
        "iou": float(iou),
        "plus_one": bool(body.get("plus_one", False)),
        "ignore_difficult": bool(body.get("ignore_difficult", True)),
        "iou_type": iou_type,
        "sigmas": sigmas,
    }


EVALUATE_JOB = JobKind("evaluate", JobEffects(data=("evaluation",), datasets="changed"))
"""An evaluation: the blind-spots and evaluation panels, and the list's evaluated models."""


class EvaluationsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        evaluations = await self.run_blocking(list_evaluations, self.catalog, name)
        await self.write_json({"evaluations": evaluations})

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        params = _params(self.json_body())
        dataset = await self.run_blocking(self.catalog.get_dataset, name)
        masks = await self.run_blocking(has_masks, self.catalog, name, params["model"])
        if not masks and params["model"] not in {m["name"] for m in dataset["models"]}:
            known = ", ".join(m["name"] for m in dataset["models"]) or "none yet"
            raise HTTPError(
                404, f"no model {params['model']!r} on dataset {name!r} (models: {known})"
            )
        catalog = self.catalog

        def run(ctx: JobContext) -> dict[str, Any]:
            progress = job_progress(ctx)
            if masks:
                # semantic or panoptic masks: the whole report is the job's result
                whole = evaluate_masks(catalog, name, params["model"])
                if whole is not None:
                    return whole
            if is_classification_model(catalog, name, params["model"]):
                # image-level labels: the whole report is the job's result (not stored)
                return evaluate_classification(catalog, name, params["model"])

            report = evaluate_model(
                catalog,
                name,
                params["model"],
                protocol=params["protocol"],
                iou=params["iou"],
                plus_one=params["plus_one"],
                ignore_difficult=params["ignore_difficult"],
                progress=progress,
                job=ctx,
                iou_type=params["iou_type"],
                sigmas=params["sigmas"],
            )
            # The job keeps a small result; the full report is at .../evaluations/{key}.
            return {
                "dataset": name,
                "key": report.key,
                "model": report.model,
                "protocol": report.protocol,
                "iou_type": report.iou_type,
                "iou": report.iou,
                "stats": report.to_dict()["stats"],
                "counts": report.counts,
            }

        await self.submit_job(
            EVALUATE_JOB,
            run,
            title=f"Evaluate {params['model']} on {name} "
            f"({'masks' if masks else params['protocol'].upper()})",
            dataset=name,
            models=(params["model"],),
        )


class TrackingHandler(VisionLensHandler):
    """A model's tracks against the ground truth's on the dataset's videos: CLEAR,
    Identity and HOTA as TrackEval computes them (fast enough to answer at once: ~2 s for
    200K boxes; nothing is stored)."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        model = self.json_body()["model"].strip()
        await self.write_json(
            await self.run_blocking(evaluate_dataset_tracking, self.catalog, name, model)
        )


class EvaluationHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, key: str) -> None:
        await self.write_json(await self.run_blocking(get_evaluation, self.catalog, name, key))


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/evaluations", EvaluationsHandler),
    (r"/datasets/(?P<name>[^/]+)/evaluations/(?P<key>[^/]+)", EvaluationHandler),
    (r"/datasets/(?P<name>[^/]+)/tracking", TrackingHandler),
]
