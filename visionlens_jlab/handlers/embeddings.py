"""Embeddings: the model list, embedding jobs, a dataset's vector spaces, kernel uploads,
and reconcile."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..embed.imported import import_embeddings
from ..embed.wire import ARROW_STREAM
from ..jobs import JobContext, JobEffects, JobKind
from ..jobs.accelerator import dtype_option
from .base import VisionLensHandler, engine_errors


def _embed_options(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The job's options from a request body, and a notice when it used the deprecated
    ``precision`` (mapped to ``dtype``); the body's keys and types are the contract's
    (``openapi.yaml``, checked by :meth:`~.base.VisionLensHandler.json_body`)."""
    options = {k: v for k, v in body.items() if v not in (None, "")}
    try:
        dtype, notice = dtype_option(options.get("dtype"), options.pop("precision", None))
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from exc
    return {**options, "dtype": dtype}, notice


class ModelsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        models = await self.run_blocking(self.app.embedding.models)
        await self.write_json({"models": models})


class EmbedHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        options, notice = _embed_options(self.json_body())
        with engine_errors():
            # a server-side path: the rule of ingest sources (a 403 outside allowed_roots);
            # the job loads the very path checked, whichever runner's folder it starts in
            if "checkpoint" in options:
                options["checkpoint"] = (
                    self.local_path(options["checkpoint"]) or options["checkpoint"]
                )
        # The store's first use loads every Edge shard and reconciles it with the catalog:
        # do that off the event loop. Submitting itself stays on the loop (the kernel
        # runner starts its kernel through the server's kernel manager, which lives there).
        await self.run_blocking(self.app.vector_store)
        with engine_errors():
            job = self.app.embedding.submit(name, **options)
        answer: dict[str, Any] = {"job": job.to_dict()}
        if notice:
            answer["notice"] = notice
        await self.write_json(answer, status=202)


IMPORT_JOB = JobKind("embeddings_import", JobEffects(data=("fields",), datasets="changed"))
"""Imported vectors: a new or grown vector space of the dataset (as an embedding job)."""


class ImportHandler(VisionLensHandler):
    """Embeddings computed elsewhere, read from a file on this machine, as a job."""

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()  # the contract: source and space required, the rest optional
        with engine_errors():  # the rule of ingest sources: a 403 outside allowed_roots
            source = self.local_path(body["source"]) or body["source"]
            ids = body.get("ids") and (self.local_path(body["ids"]) or body["ids"])
        await self.run_blocking(self.catalog.get_dataset, name)  # 404 before queueing
        catalog, app, space = self.catalog, self.app, body["space"]
        options = {k: body.get(k) for k in ("key", "vector_column", "id_column")}

        def run(ctx: JobContext) -> dict[str, Any]:
            store = app.vector_store()  # opened in the job: it may take a while the first time
            return import_embeddings(ctx, catalog, store, name, space, source, ids=ids, **options)

        await self.submit_job(
            IMPORT_JOB, run, title=f"Import embeddings into {name} ({space})", dataset=name
        )


class SpacesHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        spaces = await self.run_blocking(self.app.embedding.spaces, name)
        await self.write_json({"spaces": spaces})


class KernelEmbeddingsHandler(VisionLensHandler):
    """Where a kernel-runner job's kernel fetches its work list and posts its vectors."""

    @tornado.web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        with engine_errors():
            body = self.app.embedding.inbox.work_list(job_id)
        self.set_header("Content-Type", ARROW_STREAM)
        self.finish(body)

    @tornado.web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        with engine_errors():
            await self.run_blocking(self.app.embedding.inbox.deliver, job_id, self.request.body)
        self.set_status(204)
        self.finish()


class ReconcileHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        report = await self.run_blocking(self.app.embedding.reconcile)
        await self.write_json(report)


ROUTES = [
    (r"/models", ModelsHandler),
    (r"/datasets/(?P<name>[^/]+)/embed", EmbedHandler),
    (r"/datasets/(?P<name>[^/]+)/embeddings/import", ImportHandler),
    (r"/datasets/(?P<name>[^/]+)/spaces", SpacesHandler),
    (r"/jobs/(?P<job_id>[^/]+)/embeddings", KernelEmbeddingsHandler),
    (r"/vectors/reconcile", ReconcileHandler),
]
