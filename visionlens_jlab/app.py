"""The VisionLens server extension: one ExtensionApp owning the catalog, the job manager and
the vector store (opened on first use). Its options are declared in :mod:`.app_config`."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_server._tz import utcnow
from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback

from .app_config import VisionLensAppConfig
from .app_metrics import ServerReadings
from .catalog import Catalog
from .catalog.indexes.index_warmer import IndexWarmer
from .catalog.writes.ingest_limits import IngestLimits
from .config import DATA_DIR_ENV, VIDEO_INDEX_DIR, resolve_data_dir
from .embed.base import EmbedError
from .embed.query import QueryEmbedders
from .embed.service import EmbeddingService
from .export.leftovers import sweep_recorded
from .features import load as load_features
from .gc_pauses import freeze_startup_heap
from .importing.jobs import submit_ingest, submit_predictions
from .importing.mask_jobs import MaskIngests
from .ingest.allowed_roots import check_allowed_source, read_allowed_roots
from .jobs import Job, JobEffects, JobKind, JobManager
from .jobs.events import DatasetEvents, JobEvents, LabelEvents
from .jobs.journal import JobJournal
from .jobs.ray_driver import RayDrivers
from .jobs.runners import RunnerError
from .jobs.warm_workers import WarmWorkers
from .loop_lag import LoopLagProbe
from .maps.jobs import MapJobs
from .media.gcs_source import configure_gcs
from .media.service import MediaService
from .media.video_source import keep_video_indexes
from .metrics import watch
from .plugins.discovery import folder_enabled
from .plugins.install import install_plugin_hooks
from .plugins.registry import (
    FOLDER_ENV,
    TIMEOUT_ENV,
    PluginRegistry,
    set_default_registry,
)
from .predict.service import PredictService
from .rest_client import SERVER_URL_ENV, TOKEN_ENV
from .search.encoders import default_query_encoder, set_default_query_encoder
from .search.matrix_cache import VectorMatrixCache
from .segment.service import SegmentService
from .server_info import remove_server_info, write_server_info
from .stop_signals import stop_on_sigint
from .vectors import LazyVectorStore, VectorStore
from .worker_priority import NICE_ENV, THREADS_ENV, default_worker_threads

THUMBNAILS_JOB = JobKind("thumbnails", JobEffects())
"""Thumbnails in the media cache: no data a panel reads changes."""

JOB_STOP_SECONDS = 6.0
"""How long a stopping server waits for cancelled jobs to wind down (a cancelled ingest
deletes what it wrote) before it closes the catalog anyway. JupyterHub's spawner sends
SIGTERM 10 s after SIGINT (``Spawner.interrupt_timeout``), so this stays under it; a job
still running then leaves rows the next start removes."""
JOB_ACTIVITY_SECONDS = 30
"""How often a running job is reported as server activity (see :meth:`mark_job_activity`)."""
ACTIVITY_SETTING = "visionlens_jobs_last_activity"
OUTBOUND_THREADS = 4
"""Calls to other services (Label Studio) waiting at once; more wait their turn."""


class VisionLensApp(VisionLensAppConfig, ExtensionApp):
    """Serves the VisionLens REST API under ``{base_url}visionlens/api/``."""

    name = "visionlens_jlab"
    load_other_extensions = True

    catalog: Catalog
    jobs: JobManager
    label_events: LabelEvents
    dataset_events: DatasetEvents
    plugins: PluginRegistry
    media: MediaService
    vectors: LazyVectorStore
    embedding: EmbeddingService
    predict: PredictService
    model_workers: WarmWorkers
    query_embedders: QueryEmbedders
    segment: SegmentService
    maps: MapJobs
    search_cache: VectorMatrixCache
    resolved_data_dir: Path
    executor: ThreadPoolExecutor
    outbound_executor: ThreadPoolExecutor
    loop_lag: LoopLagProbe | None = None

    def initialize_settings(self) -> None:
        """Open the catalog (this process becomes its single writer) and start the job pool."""
        self.resolved_data_dir = resolve_data_dir(self.data_dir or None)
        self.allowed_roots, notes = read_allowed_roots(self.allowed_roots)
        for note in notes:
            self.log.warning("VisionLens: %s", note)
        configure_gcs(self.gcs_timeout_s)
        keep_video_indexes(self.resolved_data_dir / VIDEO_INDEX_DIR)
        for folder in sweep_recorded(self.resolved_data_dir):
            self.log.info("VisionLens: removed %s, left by an export that was killed", folder)
        load_features()  # their tables and migration steps, before the catalog opens
        self.catalog = Catalog(
            self.resolved_data_dir,
            memory_limit=self.catalog_memory_limit,
            threads=self.catalog_threads or None,
            result_cache_mb=self.answers_cache_mb,
        )
        IndexWarmer(self.catalog)  # filtered facets' indexes rebuilt after writes, not on use
        self.executor = ThreadPoolExecutor(
            max_workers=self.request_threads or (os.cpu_count() or 1) + 1,
            thread_name_prefix="visionlens-request",
        )
        # calls to other services wait on the network, not on cores: threads of their own
        self.outbound_executor = ThreadPoolExecutor(
            max_workers=OUTBOUND_THREADS, thread_name_prefix="visionlens-outbound"
        )
        assert self.serverapp is not None and self.serverapp.event_logger is not None
        events, loop = self.serverapp.event_logger, self.serverapp.io_loop
        self.dataset_events = DatasetEvents(events, loop)
        self.jobs = JobManager(
            max_workers=self.job_workers,
            journal=JobJournal(self.resolved_data_dir),
            on_status=JobEvents(events, loop, self.dataset_events),
            max_seconds=self.max_job_seconds,
        )
        self.label_events = LabelEvents(events)
        self.media = MediaService(
            self.catalog,
            self.resolved_data_dir / "thumbnails",
            max_cache_bytes=self.thumbnail_cache_mb * 2**20,
        )
        self.vectors = LazyVectorStore(
            self.catalog,
            self.resolved_data_dir,
            url=self.qdrant_url or None,
            api_key=self.qdrant_api_key or None,
            edge_in_child=self.vector_store_process,
        )
        self.search_cache = VectorMatrixCache(self.search_cache_mb * 2**20)
        # read at every scrape of jupyter_server's /metrics, until the extension stops
        self._unwatch_metrics = watch(
            ServerReadings(self.resolved_data_dir, self.catalog, self.jobs, self.vectors)
        )
        self.ray_drivers = RayDrivers(self.ray_idle_timeout_s)
        self.model_workers = WarmWorkers(self.model_worker_idle_s)
        self.embedding = EmbeddingService(
            self.catalog,
            self.jobs,
            self.vector_store,
            serverapp=self.serverapp,
            checkpoint=self.embedding_checkpoint or None,
            ray_address=self.ray_address or None,
            ray_drivers=self.ray_drivers,
            workers=self.model_workers,
        )
        self.predict = PredictService(
            self.catalog,
            self.jobs,
            serverapp=self.serverapp,
            ray_address=self.ray_address or None,
            ray_drivers=self.ray_drivers,
            workers=self.model_workers,
        )
        self.ray_warm_up = self._warm_ray() if self.ray_warm_model else None
        # Search encodes uploaded images and texts with the model that made the space.
        self.query_embedders = QueryEmbedders(self.catalog, self.embedding.checkpoint)
        set_default_query_encoder(self.query_embedders.encoder)
        self.maps = MapJobs(self.jobs, self.catalog, self.vector_store)
        # semantic and panoptic ingests: jobs in this process, every path read checked
        self.mask_ingests = MaskIngests(
            self.jobs, self.catalog, self.allowed_roots, self.pregenerate
        )
        # click-to-mask: the promptable model on its own thread, loaded on the first click
        self.segment = SegmentService(self.catalog, self.segment_cache_mb * 2**20)
        self._discover_plugins()
        self._export_environment()
        self._job_activity = PeriodicCallback(self.mark_job_activity, JOB_ACTIVITY_SECONDS * 1000)
        self._job_activity.start()
        if self.loop_lag_probe_ms > 0:
            self.loop_lag = LoopLagProbe(self.loop_lag_probe_ms)
            self.loop_lag.start()
        self.log.info("VisionLens catalog: %s", self.catalog.path)

    def _discover_plugins(self) -> None:
        """Load the plugins one at a time (a failing one is listed with its error)."""
        os.environ[FOLDER_ENV] = self.plugin_folder  # workers and kernels discover alike
        os.environ[TIMEOUT_ENV] = str(self.plugin_timeout_s)
        self.plugins = PluginRegistry(
            settings=self.plugin_settings,
            disabled=tuple(self.disabled_plugins),
            timeout_s=self.plugin_timeout_s,
        )
        folder = self.resolved_data_dir / "plugins"
        self.plugins.discover(folder if folder_enabled(self.plugin_folder) else None)
        install_plugin_hooks(self.plugins)
        set_default_registry(self.plugins)
        for record in self.plugins.records.values():
            if record.status == "failed":
                self.log.warning("VisionLens plugin %s failed: %s", record.name, record.error)
            else:
                self.log.info(
                    "VisionLens plugin %s %s: %s", record.name, record.version, record.status
                )

    def _warm_ray(self) -> threading.Thread | None:
        """Start loading ``ray_warm_model`` on the Ray cluster; a warning if it cannot."""

        def failed(err: BaseException) -> None:
            self.log.warning("VisionLens: ray_warm_model %s not loaded: %s", model, err)

        model = self.ray_warm_model
        try:
            return self.embedding.warm_ray(model, failed)
        except (EmbedError, RunnerError) as err:  # no such model, or no cluster address
            failed(err)
            return None

    def mark_job_activity(self) -> None:
        """Count a running job as activity of this server (called every 30 s).

        jupyter_server's ``last_activity`` (what JupyterHub and its idle culler read) takes
        every ``*_last_activity`` web-app setting into account. Without this a long ingest or
        embedding job with no browser attached would look idle and be culled; with it, a
        server is idle once its jobs end and nobody sends requests (the panels poll only
        while a job they started runs).
        """
        if any(not job.finished for job in self.jobs.list()):
            assert self.serverapp is not None
            self.serverapp.web_app.settings[ACTIVITY_SETTING] = utcnow()

    def vector_store(self) -> VectorStore:
        """The vector store, opened (and reconciled with the catalog) on first use.

        Raises :class:`~.vectors.VectorStoreUnavailableError` saying why when it cannot be
        opened (a Qdrant server out of reach, an Edge store held by another process; the
        handlers answer 503); the next call tries again. Browsing never needs it, so the
        server starts without it.
        """
        return self.vectors.get()

    # ------------------------------------------------------------------ operations
    # What the handlers ask for when one request touches several parts of the engine.

    def ingest(
        self,
        *,
        name: str,
        source: str,
        fmt: str = "auto",
        images: str | None = None,
        split: str | None = None,
        image_labels: str | None = None,
    ) -> Job:
        """Queue an ingest job; its thumbnails are pre-generated once it succeeds.

        Raises :class:`~.ingest.allowed_roots.SourceNotAllowedError` for a source, image
        folder or image-label table outside :attr:`allowed_roots`.
        """
        for location in (source, images, image_labels):
            if location:
                check_allowed_source(location, self.allowed_roots)

        def after(_summary: object) -> None:
            self.pregenerate(name)

        return submit_ingest(
            self.jobs,
            self.catalog,
            name=name,
            source=source,
            fmt=fmt,
            images=images,
            split=split,
            image_labels=image_labels,
            then=after,
            roots=self.allowed_roots,
            limits=self.ingest_limits(),
        )

    def import_predictions(
        self, *, dataset: str, source: str, model: str, fmt: str, split: str | None = None
    ) -> Job:
        """Queue a predictions import job (its source must lie inside :attr:`allowed_roots`)."""
        check_allowed_source(source, self.allowed_roots)
        return submit_predictions(
            self.jobs, self.catalog, dataset=dataset, source=source, model=model, fmt=fmt,
            split=split, roots=self.allowed_roots, limits=self.ingest_limits(),
        )  # fmt: skip

    def ingest_limits(self) -> IngestLimits:
        """The bounds of an ingest or a predictions import (``max_categories``,
        ``max_labels_per_image``)."""
        return IngestLimits(self.max_categories, self.max_labels_per_image)

    def pregenerate(self, dataset: str) -> Job:
        """Queue thumbnail pre-generation for a dataset (worker processes)."""
        return self.jobs.submit(
            THUMBNAILS_JOB,
            lambda ctx: self.media.pregenerate(ctx, dataset),
            title=f"Thumbnails of {dataset}",
            dataset=dataset,
        )

    def delete_dataset(self, name: str) -> None:
        """Delete a dataset from the catalog and everything derived from it.

        Its queued and running jobs (thumbnails, embeddings, evaluations...) are cancelled
        first, and the running ones get :data:`JOB_STOP_SECONDS` to stop, so none fails later
        on a missing dataset or writes vectors for it after the delete. Every open lab is
        told (a dataset event), whoever asked: a tab, a notebook, the CLI.
        """
        with self.catalog.cursor() as cur:
            dataset_id = self.catalog.dataset_id(cur, name)
        for job in self.jobs.cancel_dataset(name, timeout=JOB_STOP_SECONDS):
            if not job.finished:
                self.log.warning(
                    "VisionLens job %s (%s) still running at delete", job.id, job.title
                )
        self.catalog.delete_dataset(name)
        self.dataset_events(name, "removed")
        self.media.forget_dataset(dataset_id)
        self.vectors.delete_dataset(dataset_id)  # opens the store only if it may hold some

    def _export_environment(self) -> None:
        """Give kernels (which inherit this process's environment) and the CLI the way in."""
        assert self.serverapp is not None
        url = self.serverapp.connection_url
        token = self.serverapp.identity_provider.token or ""
        os.environ[DATA_DIR_ENV] = str(self.resolved_data_dir)
        os.environ[NICE_ENV] = str(self.worker_nice)
        os.environ[THREADS_ENV] = str(self.worker_threads or default_worker_threads())
        os.environ[SERVER_URL_ENV] = url
        os.environ[TOKEN_ENV] = token
        write_server_info(self.resolved_data_dir, url, token)

    def initialize_handlers(self) -> None:
        """Register every REST route under ``visionlens/api``."""
        from .handlers import routes

        self.handlers.extend(routes())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Runs once the server's event loop runs (never under pytest-jupyter)."""
        if stop_on_sigint(serverapp):
            self.log.debug("VisionLens: SIGINT stops the server cleanly")
        if self.gc_freeze:
            self.log.info(
                "VisionLens: %d startup objects out of the GC's walks", freeze_startup_heap()
            )
        self.embedding.prepare_models(
            lambda err: self.log.warning("VisionLens: listing the embedding models failed: %s", err)
        )

    async def stop_extension(self) -> None:
        """Stop jobs, release the catalog file and the server record.

        Runs on SIGTERM, on SIGINT (see :mod:`.stop_signals`) and on ``/api/shutdown``.
        Running jobs are cancelled and given :data:`JOB_STOP_SECONDS` to clean up before the
        catalog closes; the job journal records them as cancelled.
        """
        self._job_activity.stop()
        self._unwatch_metrics()
        if self.loop_lag is not None:
            self.loop_lag.stop()
        unfinished = await asyncio.to_thread(self.jobs.shutdown, JOB_STOP_SECONDS)
        for job in unfinished:
            self.log.warning("VisionLens job %s (%s) still running at stop", job.id, job.title)
        if unfinished:  # one inside a long statement holds the write lock the close needs
            await asyncio.to_thread(self.catalog.interrupt_writes, JOB_STOP_SECONDS)
        await asyncio.to_thread(self.ray_drivers.close)  # their actors on the cluster too
        await asyncio.to_thread(self.model_workers.close)
        if default_query_encoder() == self.query_embedders.encoder:
            set_default_query_encoder(None)
        set_default_registry(None)
        self.segment.close()
        self.media.close()  # before the catalog: it may still record bad-media rows
        # not waited for: a call waiting on Label Studio may take its read timeout (minutes
        # for an import), past the hub's SIGTERM; a pull's edits are one transaction, which
        # the catalog closing under it fails whole
        self.outbound_executor.shutdown(wait=False, cancel_futures=True)
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.vectors.close()
        self.catalog.close()
        remove_server_info(self.resolved_data_dir)
