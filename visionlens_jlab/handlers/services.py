"""What the handlers need from the server extension, as a protocol.

The handlers sit below the extension app that registers them: they see it through this
protocol, which :class:`~visionlens_jlab.app.VisionLensApp` satisfies, so nothing here
imports the app.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..embed.service import EmbeddingService
    from ..importing.mask_jobs import MaskIngests
    from ..jobs import Job, JobManager
    from ..jobs.events import DatasetEvents, LabelEvents
    from ..loop_lag import LoopLagProbe
    from ..maps.jobs import MapJobs
    from ..media.service import MediaService
    from ..plugins.registry import PluginRegistry
    from ..predict.service import PredictService
    from ..search.matrix_cache import VectorMatrixCache
    from ..segment.service import SegmentService
    from ..vectors import VectorStore


class Services(Protocol):
    """The server's parts a request may use: the catalog, the jobs and the feature services."""

    catalog: Catalog
    jobs: JobManager
    label_events: LabelEvents
    dataset_events: DatasetEvents
    plugins: PluginRegistry
    media: MediaService
    embedding: EmbeddingService
    predict: PredictService
    maps: MapJobs
    mask_ingests: MaskIngests
    """Semantic and panoptic datasets and a model's masks, ingested as jobs."""
    segment: SegmentService
    """Click-to-mask: the promptable model's thread and its embedding cache."""
    search_cache: VectorMatrixCache
    executor: ThreadPoolExecutor
    """The request threads: catalog reads and JSON encoding of every handler."""
    outbound_executor: ThreadPoolExecutor
    """The threads that wait on other services (Label Studio): a service that never answers
    holds these, never the request threads."""
    loop_lag: LoopLagProbe | None
    allowed_roots: list[str]
    """Where server-side paths of a request (ingest sources, checkpoints, exports) may lie."""
    max_request_seconds: float
    """How long a request's catalog reads may run (0: no bound)."""
    resolved_data_dir: Path
    """The data directory (the catalog, thumbnails, vectors): no export may replace it."""
    vlm_attributes: bool
    """Whether the blind-spot finder may slice by calibrated VLM attributes."""
    vlm_kappa_threshold: float
    """The kappa a VLM attribute needs to count (calibration)."""

    def vector_store(self) -> VectorStore:
        """The vector store, opened on first use (blocking: call it off the event loop)."""
        ...

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
        """Queue an ingest job."""
        ...

    def import_predictions(
        self, *, dataset: str, source: str, model: str, fmt: str, split: str | None = None
    ) -> Job:
        """Queue an import of a model's predictions."""
        ...

    def delete_dataset(self, name: str) -> None:
        """Delete a dataset with its vectors, maps and thumbnails."""
        ...
