"""The server's embedding jobs: queue them on the GPU lane with the chosen runner."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..catalog import Catalog
from ..embed.base import EmbedError
from ..embed.models import CHECKPOINT_ENV, hf_cache_dir, parse_model
from ..embed.registry import describe, list_models
from ..embed.spaces import dataset_spaces, reconcile_all
from ..embed.stream import embed_stream
from ..vectors import VectorStore, VectorStoreError
from .embedding_job import EmbedOptions, parse_runner, run_embedding
from .kernel_runner import KernelInbox, kernel_source
from .manager import Job, JobContext, JobManager
from .processes import stream_from_worker


def _models_items(checkpoint: str | None) -> Any:
    """Worker-process side of :meth:`EmbeddingService.models` (keeps torch out of the server)."""
    yield list_models(checkpoint)


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def models_fingerprint(checkpoint: str | None) -> tuple[object, ...]:
    """What the model list depends on: the checkpoint setting and the model caches.

    A download into a cache adds a folder (the folder's mtime changes); a new checkpoint
    rewrites its folder or file. Cheap ``stat`` calls, so every listing can compare it.
    """
    from_env = os.environ.get(CHECKPOINT_ENV) or None
    places = [hf_cache_dir(), os.path.expanduser("~/.cache/clip")]
    places += [p for p in (checkpoint, from_env) if p]
    return (checkpoint, from_env, *((p, _mtime(p)) for p in places))


class EmbeddingService:
    """Embedding jobs of one server: the process runner, the kernel runner, the model list."""

    def __init__(
        self,
        catalog: Catalog,
        jobs: JobManager,
        vectors: Callable[[], VectorStore],
        *,
        serverapp: Any,
        checkpoint: str | None = None,
    ) -> None:
        self.catalog = catalog
        self.jobs = jobs
        self._vectors = vectors
        self.serverapp = serverapp
        self.checkpoint = checkpoint or None
        self.inbox = KernelInbox()
        self._models: tuple[tuple[object, ...], list[dict[str, Any]]] | None = None
        self._models_lock = threading.Lock()

    def store(self) -> VectorStore:
        """The vector store, opened on first use; a :class:`VectorStoreError` says why not."""
        return self._vectors()

    def models(self) -> list[dict[str, Any]]:
        """The models usable here, computed in a worker process (open_clip imports torch).

        The worker costs seconds (a torch import), and the embed dialog lists the models each
        time it opens: the list is kept until :func:`models_fingerprint` changes. Concurrent
        callers wait for one computation instead of each spawning a worker.
        """
        key = models_fingerprint(self.checkpoint)
        with self._models_lock:
            if self._models is None or self._models[0] != key:
                rows = next(iter(stream_from_worker(None, _models_items, self.checkpoint)))
                self._models = (key, rows)
            return self._models[1]

    def prepare_models(self, on_error: Callable[[BaseException], None]) -> threading.Thread:
        """Compute the model list in a background thread, so the first dialog opens at once."""

        def run() -> None:
            try:
                self.models()
            except Exception as err:  # reported; the next listing tries again
                on_error(err)

        thread = threading.Thread(target=run, name="visionlens-models", daemon=True)
        thread.start()
        return thread

    def spaces(self, dataset: str) -> list[dict[str, Any]]:
        """The vector spaces of a dataset (see :func:`~visionlens_jlab.embed.spaces.dataset_spaces`)."""
        try:
            store: VectorStore | None = self._vectors()
        except VectorStoreError:
            store = None  # the catalog's record of spaces is still worth showing
        return dataset_spaces(self.catalog, store, dataset)

    def reconcile(self) -> dict[str, Any]:
        """Repair drift between the catalog and the vector store; return what was done."""
        return reconcile_all(self.catalog, self.store())

    def submit(
        self,
        dataset: str,
        *,
        model: str | None = None,
        checkpoint: str | None = None,
        device: str = "auto",
        batch_size: int | None = None,
        runner: str = "process",
        precision: str = "auto",
    ) -> Job:
        """Queue an embedding job; bad arguments are refused before anything is queued."""
        with self.catalog.cursor() as cur:
            self.catalog.dataset_id(cur, dataset)  # NotFoundError now, not in the job
        spec = parse_model(model, checkpoint or self.checkpoint)
        options = EmbedOptions(dataset, spec, device, batch_size, runner, precision)
        kind, kernelspec = parse_runner(runner)
        loop = self._kernel_loop(kernelspec) if kind == "kernel" else None
        store = self.store()
        worker_options = {
            "spec": spec.to_json(),
            "device": device,
            "batch_size": batch_size,
            "precision": precision,
        }

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, describe(spec))

            def source(items: Sequence[tuple[int, str]]) -> Any:
                if kind == "process":
                    return stream_from_worker(
                        ctx,
                        embed_stream,
                        spec.to_json(),
                        list(items),
                        device,
                        batch_size,
                        precision,
                    )
                assert loop is not None
                return kernel_source(
                    ctx,
                    kernel_manager=self.serverapp.kernel_manager,
                    loop=loop,
                    inbox=self.inbox,
                    job_id=ctx.job_id,
                    kernelspec=kernelspec,
                    options=worker_options,
                    items=items,
                )

            return run_embedding(ctx, self.catalog, store, options, source)

        return self.jobs.submit(
            "embed", run, title=f"Embed {dataset} with {spec.label}", lane="gpu"
        )

    def _kernel_loop(self, kernelspec: str | None) -> asyncio.AbstractEventLoop:
        """The server's event loop (the kernel manager's), checking the kernelspec exists.

        Called from a request handler, on that loop.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise EmbedError(
                "the kernel runner works only through a running Jupyter server"
            ) from None
        if kernelspec is None:
            return loop
        specs = self.serverapp.kernel_spec_manager.find_kernel_specs()
        if kernelspec not in specs:
            raise EmbedError(
                f"no kernelspec named {kernelspec!r}; installed: {', '.join(sorted(specs)) or 'none'}"
            )
        return loop
