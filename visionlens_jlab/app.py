"""The VisionLens server extension: one ExtensionApp owning the catalog and the job manager."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Integer, Unicode

from .catalog import Catalog
from .config import DATA_DIR_ENV, resolve_data_dir
from .jobs import JobManager
from .server_info import remove_server_info, write_server_info

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

    catalog: Catalog
    jobs: JobManager
    resolved_data_dir: Path

    def initialize_settings(self) -> None:
        """Open the catalog (this process becomes its single writer) and start the job pool."""
        self.resolved_data_dir = resolve_data_dir(self.data_dir or None)
        self.catalog = Catalog(self.resolved_data_dir)
        self.jobs = JobManager(max_workers=self.job_workers)
        self._export_environment()
        self.log.info("VisionLens catalog: %s", self.catalog.path)

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
        self.catalog.close()
        remove_server_info(self.resolved_data_dir)
