"""The server's embedding jobs: queue them on the GPU lane with the chosen runner."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..jobs.job import Job, JobContext
from ..jobs.kernel_runner import KernelInbox, kernel_source
from ..jobs.kinds import JobEffects, JobKind
from ..jobs.manager import JobManager
from ..jobs.processes import stream_from_worker
from ..jobs.ray_driver import RayDrivers
from ..jobs.runners import server_runner
from ..jobs.warm_workers import WarmWorkers
from ..vectors import VectorStore, VectorStoreError
from .job import EmbedOptions, run_embedding
from .models import CHECKPOINT_ENV, parse_model
from .ray_runner import ray_embed_stream, warm_embed_pool
from .registry import describe, list_models
from .spaces import dataset_spaces, reconcile_all
from .stream import embed_stream
from .wire import decode_message, encode_items

KERNEL_ENTRY = "visionlens_jlab.embed.kernel_client.run_kernel_job"

EMBED_JOB = JobKind("embed", JobEffects(data=("fields",), datasets="changed"))
"""Vectors of a model: what similarity fields read, and a new embedding space in the list."""


def _models_items(checkpoint: str | None) -> Any:
    """Worker-process side of :meth:`EmbeddingService.models` (keeps torch out of the server)."""
    yield list_models(checkpoint)


def _hf_hub_cache() -> Path:
    """Where open_clip's Hugging Face downloads land (a new model adds a folder there)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return Path(home) / "hub"


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


class EmbeddingService:
    """Embedding jobs of one server: the process runner, the kernel runner, the ray runner
    (``ray_address``: the default cluster; ``ray_drivers``: the server's long-lived drivers,
    shared with the model jobs), the model list."""

    def __init__(
        self,
        catalog: Catalog,
        jobs: JobManager,
        vectors: Callable[[], VectorStore],
        *,
        serverapp: Any,
        checkpoint: str | None = None,
        ray_address: str | None = None,
        ray_drivers: RayDrivers | None = None,
        workers: WarmWorkers | None = None,
    ) -> None:
        self.catalog = catalog
        self.jobs = jobs
        self._vectors = vectors
        self.ray_drivers = ray_drivers or RayDrivers(0)
        self.workers = workers or WarmWorkers(0)
        self.serverapp = serverapp
        self.checkpoint = checkpoint or None
        self.ray_address = ray_address or None
        self.inbox = KernelInbox(encode_items, decode_message, what="embedding")
        self._models_lock = threading.Lock()
        self._models: tuple[tuple[Any, ...], list[dict[str, Any]]] | None = None

    def store(self) -> VectorStore:
        """The vector store, opened on first use; a :class:`VectorStoreError` says why not."""
        return self._vectors()

    def models(self) -> list[dict[str, Any]]:
        """The models usable here, computed in a worker process (open_clip imports torch).

        A worker takes seconds to start, so the answer is kept until what it depends on
        changes: the checkpoint setting, the checkpoint's files, the open_clip weights cache.
        """
        key = self._models_key()
        with self._models_lock:  # concurrent callers wait for one worker, not one each
            if self._models is None or self._models[0] != key:
                rows = next(iter(stream_from_worker(None, _models_items, self.checkpoint)))
                self._models = (key, rows)
            return copy.deepcopy(self._models[1])

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

    def _models_key(self) -> tuple[Any, ...]:
        """What the model list depends on, from a few stats (no imports, no worker)."""
        checkpoint = self.checkpoint or os.environ.get(CHECKPOINT_ENV) or None
        paths = [Path(checkpoint).expanduser()] if checkpoint else []
        if paths and paths[0].is_dir():
            paths += sorted(paths[0].iterdir())
        paths.append(_hf_hub_cache())
        return (checkpoint, *(_stamp(p) for p in paths))

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
        batch_size: int | str | None = None,
        runner: str = "process",
        dtype: str = "auto",
        frames: str = "all",
    ) -> Job:
        """Queue an embedding job; bad arguments are refused before anything is queued.
        Called on the server's event loop (the kernel runner's kernel manager lives there)."""
        with self.catalog.cursor() as cur:
            self.catalog.dataset_id(cur, dataset)  # NotFoundError now, not in the job
        spec = parse_model(model, checkpoint or self.checkpoint)
        options = EmbedOptions(dataset, spec, device, batch_size, runner, dtype, frames)
        chosen = server_runner(runner, self.serverapp, self.ray_address)
        store = self.store()
        worker_options = {
            "spec": spec.to_json(),
            "device": device,
            "batch_size": batch_size,
            "dtype": dtype,
        }

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, describe(spec))

            def source(items: Sequence[tuple[int, str]]) -> Any:
                if chosen.kind == "process":  # a warm worker of this model, if one waits
                    return self.workers.stream(
                        ctx,
                        f"embed {spec.label} ({device}, {dtype})",
                        embed_stream,
                        spec.to_json(),
                        list(items),
                        device,
                        batch_size,
                        dtype,
                    )
                if chosen.kind == "ray":  # the server's driver of that cluster, its actors warm
                    assert chosen.address is not None
                    return self.ray_drivers.get(chosen.address).stream(
                        ctx,
                        ray_embed_stream,
                        spec.to_json(),
                        list(items),
                        device,
                        batch_size,
                        dtype,
                    )
                assert chosen.loop is not None
                return kernel_source(
                    ctx,
                    kernel_manager=self.serverapp.kernel_manager,
                    loop=chosen.loop,
                    inbox=self.inbox,
                    job_id=ctx.job_id,
                    kernelspec=chosen.kernelspec,
                    options=worker_options,
                    items=items,
                    entry=KERNEL_ENTRY,
                )

            return run_embedding(ctx, self.catalog, store, options, source)

        return self.jobs.submit(
            EMBED_JOB,
            run,
            title=f"Embed {dataset} with {spec.label}",
            lane="gpu",
            dataset=dataset,
            runner=chosen.kind,
        )

    def warm_ray(self, model: str, on_error: Callable[[BaseException], None]) -> threading.Thread:
        """Load ``model`` on the default Ray cluster's actors in a background thread (the
        server's ``ray_warm_model``), so the first ray job of that model with the default
        device and dtype starts on warm actors; they are released after the idle timeout
        like any job's. A job submitted meanwhile waits for the warm-up (one driver, one
        job at a time). ``on_error`` gets what went wrong; nothing is retried."""
        spec = parse_model(model, self.checkpoint)
        address = server_runner("ray", self.serverapp, self.ray_address).address
        assert address is not None

        def run() -> None:
            try:
                for _ in self.ray_drivers.get(address).stream(
                    None, warm_embed_pool, spec.to_json()
                ):
                    pass
            except Exception as err:  # reported; the first job loads the model itself
                on_error(err)

        thread = threading.Thread(target=run, name="visionlens-ray-warm", daemon=True)
        thread.start()
        return thread
