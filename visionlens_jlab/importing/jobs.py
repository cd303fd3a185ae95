"""Parse in a worker process, write in the server: the ingest job behind the REST API.

The parser (CPU-heavy, GIL-bound) runs in a spawned worker and streams Arrow batches back;
the server thread appends them through the catalog writer
(:mod:`~visionlens_jlab.catalog.writes.dataset_writer`), so a parser crash or a cancelled job
rolls back cleanly and never blocks the tornado event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, cast

import pyarrow as pa

from ..catalog import Catalog, ConflictError, validate_name
from ..catalog.reads.model_kinds import OBJECTS, check_import
from ..catalog.writes.dataset_writer import DEFAULT_LIMITS, write_dataset, write_predictions
from ..catalog.writes.ingest_limits import IngestLimits
from ..config import VIDEO_INDEX_DIR
from ..jobs.job import Job, JobContext, job_progress
from ..jobs.kinds import JobEffects, JobKind
from ..jobs.manager import JobManager
from ..jobs.processes import stream_from_worker
from ..metrics import ingested
from ..records.batches import Batch
from ..records.report import IngestReport
from .parse_process import parse_items

INGEST_JOB = JobKind("ingest", JobEffects(data=("samples",), datasets="created"))
"""A new dataset: its samples, and a new entry of the datasets list."""

PREDICTIONS_JOB = JobKind("predictions", JobEffects(data=("predictions",), datasets="changed"))
"""A prediction set imported from a file: a new model of the dataset."""


class WorkerParsedSource:
    """A :class:`~visionlens_jlab.records.parsed.ParsedSource` whose parsing happens in a
    worker process. Use it as a context manager: entering starts the worker and waits for
    the source's fields (the parser's ``json_checked`` among them, which the writer reads
    before the first batch); leaving ends the worker if its batches were not all read."""

    def __init__(
        self,
        ctx: JobContext | None,
        kind: str,
        options: dict[str, Any],
        roots: Sequence[str] = (),
    ) -> None:
        self._ctx = ctx
        self._kind = kind
        self._options = options
        self._roots = list(roots)
        self.format = options.get("fmt", "auto")
        self.source = str(options["source"])
        self.media_root = ""
        self.json_checked = False
        self.report = IngestReport()
        self._categories: list[tuple[Any, ...]] = []
        self._feature_rows: dict[str, pa.Table] = {}
        self._stream: Generator[tuple[str, Any]] | None = None

    def __enter__(self) -> WorkerParsedSource:
        stream = stream_from_worker(self._ctx, parse_items, self._kind, self._options, self._roots)
        self._stream = cast(Generator[tuple[str, Any]], stream)
        tag, meta = next(self._stream)  # the worker's first item, once it opened the source
        assert tag == "meta", tag
        self.format, self.source = meta["format"], meta["source"]
        self.media_root, self.json_checked = meta["media_root"], meta["json_checked"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stream is not None:
            self._stream.close()  # the worker process ends with its stream

    def batches(self) -> Iterator[Batch]:
        if self._stream is None:
            raise RuntimeError("enter the WorkerParsedSource before reading its batches")
        for tag, payload in self._stream:
            if tag == "batch":
                count_batch(self._kind, payload)
                yield payload
            elif tag == "end":
                self._categories = [tuple(c) for c in payload["categories"]]
                # into the same report: a writer holds it from before the batches (the
                # predictions writer does), and may have added its own rows already
                self.report.merge(IngestReport.from_dict(payload["report"]))
                self._feature_rows = payload["feature_rows"]

    def categories(self) -> list[tuple[Any, ...]]:
        return self._categories

    def feature_rows(self) -> dict[str, pa.Table]:
        """The worker's parser's rows for feature tables (a video's probe, its frames)."""
        return self._feature_rows


def count_batch(kind: str, batch: Batch) -> None:
    """Count a parsed batch's rows and Arrow bytes in ``/metrics`` (``kind``: ``dataset``
    or ``predictions``)."""
    tables = {
        "samples": batch.samples,
        "annotations": batch.annotations,
        "classifications": batch.classifications,
    }
    rows = {name: t.num_rows for name, t in tables.items() if t is not None}
    ingested(kind, rows, sum(t.nbytes for t in tables.values() if t is not None))


def submit_ingest(
    jobs: JobManager,
    catalog: Catalog,
    *,
    source: str,
    name: str,
    fmt: str = "auto",
    images: str | None = None,
    split: str | None = None,
    image_labels: str | None = None,
    then: Callable[[Any], None] | None = None,
    roots: Sequence[str] = (),
    limits: IngestLimits = DEFAULT_LIMITS,
) -> Job:
    """Start a dataset ingest job; the name is validated before anything is queued.
    ``image_labels``: a table of ground-truth image labels (see ``open_dataset``).
    ``roots``: the folders every file the parsers read must lie in (none: anywhere).
    ``limits``: the bounds on classes and labels per image (``write_dataset``).

    ``then(summary)`` runs after a successful ingest (thumbnail pre-generation).
    """
    check_new_dataset(catalog, name)
    # video_index: the probes' frame indexes are kept where the server reads them back
    options = {"source": source, "fmt": fmt, "images": images, "split": split,
               "image_labels": image_labels,
               "video_index": str(catalog.data_dir / VIDEO_INDEX_DIR)}  # fmt: skip

    def run(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(None, f"reading {source}")
        # job_progress: a cancel stops the writer at its next transaction; cancelled: it
        # interrupts the last one (the dataset's aggregates: seconds on a big dataset)
        with WorkerParsedSource(ctx, "dataset", options, roots) as parsed:
            return write_dataset(
                catalog, name, parsed, split=split, progress=job_progress(ctx), limits=limits,
                cancelled=lambda: ctx.cancelled,
            ).to_dict()  # fmt: skip

    return jobs.submit(INGEST_JOB, run, title=f"Ingest {name}", then=then, dataset=name)


def check_new_dataset(catalog: Catalog, name: str) -> None:
    """Refuse a dataset name that is not valid, or taken (:class:`ConflictError`), so a
    request is answered at once; the writer checks again inside its transaction for races."""
    validate_name(name)
    if any(d["name"] == name for d in catalog.list_datasets()):
        raise ConflictError(f"a dataset named {name!r} already exists: delete it first")


def submit_predictions(
    jobs: JobManager,
    catalog: Catalog,
    *,
    dataset: str,
    source: str,
    model: str,
    fmt: str = "auto",
    split: str | None = None,
    roots: Sequence[str] = (),
    limits: IngestLimits = DEFAULT_LIMITS,
) -> Job:
    """Start a predictions import job for ``model`` on ``dataset`` (matched among the
    samples of ``split`` when one is given, see ``write_predictions``); ``roots`` as for
    :func:`submit_ingest`; ``limits``: its bound on predictions per image."""
    validate_name(model, "model")
    options = {"source": source, "fmt": fmt, **prediction_maps(catalog, dataset)}
    check_import(catalog, dataset, model, OBJECTS)  # a name holding label maps: refused now

    def run(ctx: JobContext) -> dict[str, Any]:
        ctx.progress(None, f"reading {source}")
        with WorkerParsedSource(ctx, "predictions", options, roots) as parsed:
            return write_predictions(
                catalog, dataset, model, parsed, split=split, progress=ctx.progress,
                limits=limits, cancelled=lambda: ctx.cancelled,
            ).to_dict()  # fmt: skip

    title = f"Predictions {model} on {dataset}"
    return jobs.submit(PREDICTIONS_JOB, run, title=title, dataset=dataset, models=(model,))


def prediction_maps(catalog: Catalog, dataset: str) -> dict[str, Any]:
    """What a predictions file's classes refer to, as ``open_predictions`` options: the
    dataset's class names by position (``classes``: what class ids in txt/YOLO files index),
    by source category id (``categories``: what a bare COCO results list refers to, if the
    source had ids) and the keypoint count of its keypoint classes (``keypoint_classes``:
    what makes a YOLO prediction row a pose row) and its videos' names by the id its source
    gave them (``videos``: what YouTube-VIS results name, one frame per video read) and its
    frames' names (``<video>/<N>``) by the id its source gave them (``frames``: what TAO's
    per-frame results name)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT name, source_category_id, len(keypoint_names) FROM categories "
            "WHERE dataset_id = ? ORDER BY category_id",
            [dataset_id],
        ).fetchall()
        videos = cur.execute(
            "SELECT s.fields->>'source_video_id', s.fields->>'video' FROM video_frames f "
            "JOIN samples s USING (sample_id) WHERE f.dataset_id = ? AND f.frame_number = 1 "
            "AND s.fields->>'source_video_id' IS NOT NULL",
            [dataset_id],
        ).fetchall()
        frames = cur.execute(
            "SELECT fields->>'source_frame_id', source_image_id FROM samples "
            "WHERE dataset_id = ? AND fields->>'source_frame_id' IS NOT NULL",
            [dataset_id],
        ).fetchall()
    by_id = {int(r[1]): r[0] for r in rows if r[1] is not None}
    return {
        "classes": [r[0] for r in rows],
        "categories": by_id or None,
        "keypoint_classes": {r[0]: int(r[2]) for r in rows if r[2]},
        "videos": {str(v[0]): str(v[1]) for v in videos} or None,
        "frames": {str(f[0]): str(f[1]) for f in frames} or None,
    }
