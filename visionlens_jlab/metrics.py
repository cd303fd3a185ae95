"""VisionLens' own Prometheus metrics, served with jupyter_server's at ``/metrics``.

jupyter_server already times every request handler (``http_request_duration_seconds``);
what only VisionLens knows is declared here, each metric once, with its help text. The
engine calls the small functions below where a thing happens (a job is queued, starts,
enters a stage or ends; an ingest batch arrives; a cache answers); the server's state
(jobs queued and running, the catalog's size, vectors per space) is read when Prometheus
scrapes, by :data:`COLLECTOR`, from the sources the server extension registers
(:func:`watch`).

Everything lands in prometheus_client's default registry, which is process-global and is
what jupyter_server's ``/metrics`` serves. The metrics are declared and the collector
registered when this module is imported, so once per process, however many servers a
test process starts; the counters count for the whole process.

Labels are bounded: job kinds, lanes, runners, statuses, stages, caches and ingest tables
are vocabularies of the code (a plugin adds its own stage name), vector spaces are one per
embedding model used, ``data_dir`` is one per server. Nothing is labelled by dataset: a hub
user may have hundreds, each a series of every metric for as long as Prometheus keeps it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import NamedTuple

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

JOB_SECONDS_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)
"""From a thumbnails job of a few images to an embedding job of a million."""

JOBS_SUBMITTED = Counter(
    "visionlens_jobs_submitted",
    "Jobs queued, by kind and lane (default: the job thread pool; gpu: one model job at a time).",
    ["kind", "lane"],
)
JOBS_FINISHED = Counter(
    "visionlens_jobs_finished",
    "Jobs ended, by kind and status (done, failed, cancelled).",
    ["kind", "status"],
)
JOB_DURATION = Histogram(
    "visionlens_job_duration_seconds",
    "Running time of the jobs that ended after running (all turns of a job that paused; "
    "time queued not counted), by kind and status.",
    ["kind", "status"],
    buckets=JOB_SECONDS_BUCKETS,
)
JOB_QUEUE_WAIT = Histogram(
    "visionlens_job_queue_wait_seconds",
    "Time a job waited in its lane's queue before it ran (again, after a pause), by lane.",
    ["lane"],
    buckets=(0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200),
)
STAGE_DURATION = Histogram(
    "visionlens_job_stage_duration_seconds",
    "Time a job spent in one stage (loading, embedding, writing, indexing...), by job kind "
    "and stage.",
    ["kind", "stage"],
    buckets=JOB_SECONDS_BUCKETS,
)
INGEST_ROWS = Counter(
    "visionlens_ingest_rows",
    "Rows the parsers handed to the catalog writer, by kind (dataset, predictions) and table "
    "(samples, annotations, classifications); rate() gives rows per second.",
    ["kind", "table"],
)
INGEST_BYTES = Counter(
    "visionlens_ingest_bytes",
    "Arrow bytes of the rows the parsers handed to the catalog writer, by kind (dataset, "
    "predictions); rate() gives bytes per second.",
    ["kind"],
)
CACHE_HITS = Counter(
    "visionlens_cache_hits",
    "Lookups a cache answered, by cache (answers, indexes, thumbnails, crops, vector_matrices).",
    ["cache"],
)
CACHE_MISSES = Counter(
    "visionlens_cache_misses",
    "Lookups a cache could not answer (computed or read again), by cache.",
    ["cache"],
)

LIVE_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "visionlens_jobs": (
        "Unfinished jobs, by kind, lane, runner (process, kernel or ray for model jobs; "
        "empty for the others) and status (queued, running).",
        ("kind", "lane", "runner", "status"),
    ),
    "visionlens_job_queue_depth": ("Jobs queued in each lane.", ("lane",)),
    "visionlens_catalog_bytes": (
        "Size of the DuckDB catalog file and its write-ahead log, per data dir.",
        ("data_dir",),
    ),
    "visionlens_vectors": (
        "Vectors stored in each embedding space (of an opened vector store; read in the "
        "background when a scrape would wait, see visionlens_vector_counts_age_seconds).",
        ("space",),
    ),
    "visionlens_vector_counts_age_seconds": (
        "How old the vector counts served are (0: current, nothing written since they were "
        "counted).",
        (),
    ),
}
"""The gauges read at scrape time: name, help and label names. A source of readings
(:func:`watch`) names one of these; readings of the same series from several sources add."""

GPU_LANE_BUSY = "visionlens_gpu_lane_busy_seconds"


class Reading(NamedTuple):
    """One value of a :data:`LIVE_GAUGES` gauge: its name, label values (in the gauge's
    label order) and value."""

    name: str
    labels: tuple[str, ...]
    value: float


ReadingSource = Callable[[], Iterable[Reading]]


class BusyClock:
    """Seconds something was busy, counting the busy spells still going on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = 0.0
        self._open: dict[int, float] = {}
        self._ids = itertools.count(1)

    @contextmanager
    def busy(self, since: float | None = None) -> Iterator[None]:
        """Time the block as busy, from ``since`` (a ``time.monotonic()`` reading) when
        given, else from now."""
        with self._lock:
            spell = next(self._ids)
            self._open[spell] = time.monotonic() if since is None else since
        try:
            yield
        finally:
            with self._lock:
                self._done += time.monotonic() - self._open.pop(spell)

    def seconds(self) -> float:
        """Busy seconds so far, the running spells up to now."""
        now = time.monotonic()
        with self._lock:
            return self._done + sum(now - start for start in self._open.values())


class ServerStateCollector(Collector):
    """Reads the live gauges from the registered sources, and the GPU lane's busy time,
    at each scrape. A source that fails is logged and skipped: a scrape never fails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[int, ReadingSource] = {}
        self._ids = itertools.count(1)
        self.gpu_lane = BusyClock()

    def watch(self, source: ReadingSource) -> Callable[[], None]:
        """Read ``source`` at every scrape until the returned function is called."""
        with self._lock:
            key = next(self._ids)
            self._sources[key] = source

        def unwatch() -> None:
            with self._lock:
                self._sources.pop(key, None)

        return unwatch

    def describe(self) -> list[Metric]:
        """The families, without samples (the registry then never collects to learn them)."""
        return [*self._families().values(), self._gpu_lane_family(None)]

    def collect(self) -> list[Metric]:
        """Every live gauge summed over the sources, and the GPU lane's busy seconds."""
        with self._lock:
            sources = list(self._sources.values())
        values: dict[tuple[str, tuple[str, ...]], float] = {}
        for source in sources:
            try:
                for name, labels, value in source():
                    if len(labels) != len(LIVE_GAUGES[name][1]):
                        raise ValueError(f"{name} takes {LIVE_GAUGES[name][1]}, not {labels}")
                    values[(name, labels)] = values.get((name, labels), 0.0) + value
            except Exception:
                log.exception("VisionLens metrics: a source of readings failed")
        families = self._families()
        for (name, labels), value in sorted(values.items()):
            families[name].add_metric(list(labels), value)
        return [*families.values(), self._gpu_lane_family(self.gpu_lane.seconds())]

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        return {
            name: GaugeMetricFamily(name, text, labels=list(labels))
            for name, (text, labels) in LIVE_GAUGES.items()
        }

    @staticmethod
    def _gpu_lane_family(seconds: float | None) -> CounterMetricFamily:
        return CounterMetricFamily(
            GPU_LANE_BUSY,
            "Seconds the GPU lane ran a job (the current one up to now); its rate is the "
            "lane's occupancy.",
            value=seconds,
        )


COLLECTOR = ServerStateCollector()
REGISTRY.register(COLLECTOR)


def watch(source: ReadingSource) -> Callable[[], None]:
    """Read ``source`` at every scrape (the server's state); returns how to stop."""
    return COLLECTOR.watch(source)


def gpu_lane_busy(since: float) -> AbstractContextManager[None]:
    """Time the block as the GPU lane running a job that started at ``since`` (its
    ``time.monotonic()`` start: the lane's busy time then holds the job's whole run)."""
    return COLLECTOR.gpu_lane.busy(since)


def job_submitted(kind: str, lane: str) -> None:
    """A job of ``kind`` was queued in ``lane``."""
    JOBS_SUBMITTED.labels(kind, lane).inc()


def job_started(lane: str, waited_seconds: float) -> None:
    """A job of ``lane`` starts running after ``waited_seconds`` in the queue."""
    JOB_QUEUE_WAIT.labels(lane).observe(waited_seconds)


def job_finished(kind: str, status: str, ran_seconds: float | None) -> None:
    """A job ended with ``status`` after running ``ran_seconds`` (None: it never ran)."""
    JOBS_FINISHED.labels(kind, status).inc()
    if ran_seconds is not None:
        JOB_DURATION.labels(kind, status).observe(ran_seconds)


def stage_ended(kind: str, stage: str, seconds: float) -> None:
    """A job of ``kind`` spent ``seconds`` in ``stage``."""
    STAGE_DURATION.labels(kind, stage).observe(seconds)


def ingested(kind: str, rows: dict[str, int], nbytes: int) -> None:
    """A parser handed the writer ``rows`` (per table) of ``nbytes`` Arrow bytes."""
    for table, n in rows.items():
        if n:
            INGEST_ROWS.labels(kind, table).inc(n)
    INGEST_BYTES.labels(kind).inc(nbytes)


def cache_lookup(cache: str, hit: bool) -> None:
    """``cache`` answered a lookup (``hit``) or could not."""
    (CACHE_HITS if hit else CACHE_MISSES).labels(cache).inc()
