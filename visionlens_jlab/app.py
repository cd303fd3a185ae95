"""The VisionLens server extension: one ExtensionApp owning the catalog and the job manager."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Integer, Unicode

from .catalog import Catalog
from .config import DATA_DIR_ENV, resolve_data_dir
from .ingest.worker import submit_ingest, submit_predictions
from .jobs import Job, JobManager
from .jobs.map_jobs import MapJobs
from .media.service import MediaService
from .server_info import remove_server_info, write_server_info
from .vectors import (
    VectorStore,
    VectorStoreError,
    delete_dataset_vectors,
    open_vector_store,
    reconcile,
)

SERVER_URL_ENV = "VISIONLENS_SERVER_URL"
TOKEN_ENV = "VISIONLENS_TOKEN"


class VisionLensApp(ExtensionApp):
    """Serves the VisionLens REST API under ``{base_url}visionlens/api/``."""

    name = "visionlens_jlab"
    load_other_extensions = True

    data_dir = Unicode(
        "",
        config=True,
        help=(
            "Directory holding the DuckDB catalog, the vector store and the thumbnail cache. "
            f"Default: ${DATA_DIR_ENV}, else $XDG_DATA_HOME/visionlens."
        ),
    )
    job_workers = Integer(
        2, config=True, help="Background jobs (ingest, thumbnails, evaluation) run at once."
    )
    thumbnail_cache_mb = Integer(
        2048, config=True, help="Size cap of the on-disk thumbnail cache, in MiB."
    )
    qdrant_url = Unicode(
        "",
        config=True,
        help=(
            "URL of a Qdrant server/cluster for the vectors. Default: $VISIONLENS_QDRANT_URL, "
            "else an embedded Qdrant Edge shard in the data directory."
        ),
    )
    qdrant_api_key = Unicode("", config=True, help="API key of the Qdrant server, if any.")

    catalog: Catalog
    jobs: JobManager
    media: MediaService
    maps: MapJobs
    vectors: VectorStore | None
    resolved_data_dir: Path

    def initialize_settings(self) -> None:
        """Open the catalog (this process becomes its single writer) and start the job pool."""
        self.resolved_data_dir = resolve_data_dir(self.data_dir or None)
        self.catalog = Catalog(self.resolved_data_dir)
        self.jobs = JobManager(max_workers=self.job_workers)
        self.media = MediaService(
            self.catalog,
            self.resolved_data_dir / "thumbnails",
            max_cache_bytes=self.thumbnail_cache_mb * 2**20,
        )
        self.vectors = self._open_vectors()
        self.maps = MapJobs(self.jobs, self.catalog, self.vector_store)
        self._export_environment()
        self.log.info("VisionLens catalog: %s", self.catalog.path)

    def _open_vectors(self) -> VectorStore | None:
        """Open the vector store and repair drift from the catalog (the authority).

        An unreachable Qdrant server must not stop JupyterLab: browsing works without it.
        """
        try:
            store = open_vector_store(
                self.resolved_data_dir,
                url=self.qdrant_url or None,
                api_key=self.qdrant_api_key or None,
            )
            self.log.info("VisionLens vectors: %s", reconcile(self.catalog, store).to_json())
        except VectorStoreError as exc:
            self.log.error("VisionLens vector store unavailable: %s", exc)
            return None
        return store

    def vector_store(self) -> VectorStore:
        """The vector store, or :class:`~.vectors.VectorStoreError` saying why there is none."""
        if self.vectors is None:
            raise VectorStoreError(
                "the vector store is unavailable (see the server log): embeddings, search and "
                "maps need it"
            )
        return self.vectors

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
    ) -> Job:
        """Queue an ingest job; its thumbnails are pre-generated once it succeeds."""

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
            then=after,
        )

    def import_predictions(self, *, dataset: str, **options: str) -> Job:
        """Queue a predictions import job."""
        return submit_predictions(self.jobs, self.catalog, dataset=dataset, **options)

    def pregenerate(self, dataset: str) -> Job:
        """Queue thumbnail pre-generation for a dataset (worker processes)."""
        return self.jobs.submit(
            "thumbnails",
            lambda ctx: self.media.pregenerate(ctx, dataset),
            title=f"Thumbnails of {dataset}",
        )

    def delete_dataset(self, name: str) -> None:
        """Delete a dataset from the catalog and everything derived from it."""
        with self.catalog.cursor() as cur:
            dataset_id = self.catalog.dataset_id(cur, name)
        self.catalog.delete_dataset(name)
        self.media.forget_dataset(dataset_id)
        delete_dataset_vectors(self.vectors, dataset_id)

    def _export_environment(self) -> None:
        """Give kernels (which inherit this process's environment) and the CLI the way in."""
        assert self.serverapp is not None
        url = self.serverapp.connection_url
        token = self.serverapp.identity_provider.token or ""
        os.environ[DATA_DIR_ENV] = str(self.resolved_data_dir)
        os.environ[SERVER_URL_ENV] = url
        os.environ[TOKEN_ENV] = token
        write_server_info(self.resolved_data_dir, url, token)

    def initialize_handlers(self) -> None:
        """Register every REST route under ``visionlens/api``."""
        from .handlers import routes

        self.handlers.extend(routes())

    async def stop_extension(self) -> None:
        """Stop jobs, release the catalog file and the server record."""
        self.jobs.shutdown()
        self.media.close()  # before the catalog: it may still record bad-media rows
        if self.vectors is not None:
            self.vectors.close()
        self.catalog.close()
        remove_server_info(self.resolved_data_dir)
