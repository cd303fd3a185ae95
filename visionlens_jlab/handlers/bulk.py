"""Bulk operations on a view: a view copied into a new dataset, a view's labels deleted.

``POST /datasets/{name}/subset`` body ``{to, filter}`` answers 202 with the job; its result
is what ``visionlens subset --json`` prints. What the copy would refuse (an unknown dataset,
a bad filter or name, a name taken) is a 400/404/409 before any job starts.

``POST /datasets/{name}/merge`` body ``{from, key}`` merges the dataset ``from`` into
``name`` as a job (202); its result is what ``visionlens merge --json`` prints. What the merge
would refuse (a bad key, the dataset itself, an unknown source, a key two samples share) is a
400 before any job starts; an unknown ``name`` a 404.

``POST /datasets/{name}/edits/delete_labels`` body ``{filter, source}`` deletes the labels of
``source`` on the view's samples as one batch of the edit log (undoable), answered like an
edit and told to every open lab as a labels event.

``DELETE /datasets/{name}/models/{model}`` deletes a model with every prediction of it, its
evaluations and its ``models`` row (visionlens_jlab/bulk/delete_model.py: not undoable),
answers what went and tells every open lab (a dataset event ``changed``); ``?dry_run=true``
answers the counts only. 404: no such model; 400: ``ground_truth``; 409: a queued or running
job reads or writes the model (an evaluation, an import of it...): wait for it or cancel it.

``POST /datasets/{name}/edits/delete_samples`` body ``{filter, dry_run}`` deletes the view's
samples with every row and vector of theirs as one batch (undoable); ``dry_run`` answers
``{samples, labels}``, the counts a confirmation shows.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..bulk.delete_labels import delete_view_labels
from ..bulk.delete_model import delete_model
from ..bulk.delete_samples import delete_view_samples
from ..bulk.merge import check_merge, merge_datasets
from ..bulk.subset import check_subset, subset_dataset
from ..jobs import JobContext, JobEffects, JobKind
from .base import VisionLensHandler, engine_errors
from .edits import EditsBase

SUBSET_JOB = JobKind("subset", JobEffects(datasets="created"))
"""A new dataset appears; the source is not changed."""

MERGE_JOB = JobKind(
    "merge", JobEffects(data=("samples", "predictions", "fields"), datasets="changed")
)
"""The target gains samples (its grid reloads), labels, predictions, the added samples' fields
and vectors, maybe models and classes."""


def stage_progress(ctx: JobContext) -> Callable[[str, float], None]:
    """A bulk copy's progress: each stage shown in the job, and a cancel raised at the next
    stage (the copy or merge then keeps nothing: its writes are all or nothing)."""

    def progress(stage: str, fraction: float) -> None:
        ctx.check_cancelled()
        ctx.stage(stage, fraction=fraction)

    return progress


class SubsetHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        new_name, spec = body["to"].strip(), body.get("filter")
        catalog, app = self.catalog, self.app
        await self.run_blocking(lambda: check_subset(catalog, name, new_name, spec))

        def run(ctx: JobContext) -> dict[str, Any]:
            result = subset_dataset(
                catalog, name, new_name, spec, vectors=app.vector_store,
                progress=stage_progress(ctx),
            )  # fmt: skip
            return result.to_dict()

        await self.submit_job(SUBSET_JOB, run, title=f"New dataset {new_name} from {name}",
                              dataset=name)  # fmt: skip


class MergeHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        source, key = body["from"], body["key"]
        catalog, app = self.catalog, self.app
        await self.run_blocking(lambda: check_merge(catalog, source, name, key))

        def run(ctx: JobContext) -> dict[str, Any]:
            result = merge_datasets(
                catalog, source, name, key, vectors=app.vector_store, progress=stage_progress(ctx)
            )
            return result.to_dict()

        await self.submit_job(MERGE_JOB, run, title=f"Merge {source} into {name}", dataset=name)


class DeleteLabelsHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        spec, source, dry_run = body.get("filter"), body["source"], body.get("dry_run", False)
        if dry_run:  # a count for the confirmation: no batch, nothing to tell the labs
            catalog = self.catalog
            await self.answer(
                lambda: delete_view_labels(catalog, name, spec, source, "", dry_run=True)
            )
            return
        await self.answer_batch(
            lambda catalog, dataset, user: delete_view_labels(catalog, dataset, spec, source, user),
            name,
            self.user_name,
        )


class DeleteModelHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str, model: str) -> None:
        dry_run = self.get_query_argument("dry_run", "false") == "true"
        catalog = self.catalog
        with engine_errors(), nullcontext() if dry_run else self.jobs.deleting_model(name, model):
            result = await self.run_blocking(
                lambda: delete_model(catalog, name, model, dry_run=dry_run)
            )
        if not dry_run:  # the labs reload what they show of the dataset
            self.app.dataset_events(name, "changed")
        await self.write_json(result)


class DeleteSamplesHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        spec, catalog, app = body.get("filter"), self.catalog, self.app
        if body.get("dry_run", False):  # the counts of the confirmation: nothing written
            await self.answer(lambda: delete_view_samples(catalog, name, spec, "", dry_run=True))
            return
        await self.answer_batch(
            lambda catalog, dataset, user: delete_view_samples(
                catalog, dataset, spec, user, vectors=app.vector_store
            ),
            name,
            self.user_name,
        )


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/subset", SubsetHandler),
    (r"/datasets/(?P<name>[^/]+)/merge", MergeHandler),
    (r"/datasets/(?P<name>[^/]+)/edits/delete_labels", DeleteLabelsHandler),
    (r"/datasets/(?P<name>[^/]+)/edits/delete_samples", DeleteSamplesHandler),
    (r"/datasets/(?P<name>[^/]+)/models/(?P<model>[^/]+)", DeleteModelHandler),
]
