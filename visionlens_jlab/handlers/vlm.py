"""VLM attributes: the user's labels of a few samples, and the calibration they feed."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..catalog import Catalog
from ..predict.calibration import calibration
from ..predict.vlm_labels import DEFAULT_QUESTIONS, Question, save_labels, vlm_questions
from .base import VisionLensHandler, engine_errors


def _labels(body: dict[str, Any]) -> list[tuple[int, str, str]]:
    """The labels of a body the contract checked (``openapi.yaml``: at most 10,000, each
    exactly ``{sample_id, question, answer}``)."""
    return [(label["sample_id"], label["question"], label["answer"]) for label in body["labels"]]


def store_labels(catalog: Catalog, dataset: str, labels: list[tuple[int, str, str]]) -> int:
    """Check each label against its question's closed answers (the dataset's VLM run's
    questions, else the defaults), then store them; 400 naming the first bad one."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        known: dict[str, Question] = {q.key: q for q in DEFAULT_QUESTIONS}
        known.update({q.key: q for q in vlm_questions(cur, dataset_id)})
    for i, (_, question, answer) in enumerate(labels):
        if question not in known:
            raise HTTPError(
                400, f"label {i}: unknown question {question!r}; known: {sorted(known)}"
            )
        if answer not in known[question].answers:
            raise HTTPError(
                400,
                f"label {i}: {answer!r} is not an answer of {question}: {list(known[question].answers)}",
            )
    try:
        return save_labels(catalog, dataset, labels)
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from exc


class VlmLabelsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        labels = _labels(self.json_body())
        with engine_errors():
            stored = await self.run_blocking(store_labels, self.catalog, name, labels)
        await self.write_json({"dataset": name, "stored": stored})


class VlmCalibrationHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        threshold = float(self.app.vlm_kappa_threshold)
        with engine_errors():
            result = await self.run_blocking(calibration, self.catalog, name, threshold)
        await self.write_json(result)


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/vlm/labels", VlmLabelsHandler),
    (r"/datasets/(?P<name>[^/]+)/vlm/calibration", VlmCalibrationHandler),
]
