"""What a server's ``/metrics`` reads of its state at each scrape (:mod:`.metrics`): its
jobs and lanes, the catalog file's size, the vectors per space."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .catalog import Catalog
from .jobs import JobManager
from .metrics import Reading
from .vectors import LazyVectorStore
from .vectors.space_counts import SpaceCounts


class ServerReadings:
    """The readings of one server extension; registered with :func:`.metrics.watch`."""

    def __init__(
        self, data_dir: Path, catalog: Catalog, jobs: JobManager, vectors: LazyVectorStore
    ) -> None:
        self.data_dir = str(data_dir)
        self.catalog = catalog
        self.jobs = jobs
        self.space_counts = SpaceCounts(vectors)

    def __call__(self) -> Iterator[Reading]:
        yield from self.jobs.metric_readings()
        yield Reading("visionlens_catalog_bytes", (self.data_dir,), catalog_bytes(self.catalog))
        vectors = self.space_counts.read()
        if vectors is not None:
            for space, n in vectors.counts.items():
                yield Reading("visionlens_vectors", (space,), n)
            yield Reading("visionlens_vector_counts_age_seconds", (), vectors.age_seconds)


def catalog_bytes(catalog: Catalog) -> int:
    """Bytes of the catalog's DuckDB file and its write-ahead log (absent: 0)."""
    total = 0
    for path in (catalog.path, catalog.path.with_name(catalog.path.name + ".wal")):
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            pass
    return total
