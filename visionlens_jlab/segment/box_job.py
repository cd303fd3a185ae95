"""The box-to-mask job: a mask for every box of a view, written as a new prediction set.

The boxes are the ground truth's or a model's (``source``), on the samples of the dataset
or of a view (``filter``). Each image is embedded once and all its boxes are prompted in
one decoder call (:meth:`~.engine.Segmenter.decode_boxes`); each box becomes an object of
the new set with the source object's class, the source box, the mask as COCO RLE, its
pixel area, ``score`` = SAM's predicted IoU and ``source_ann_id`` = the object it came
from. Nothing the source holds is touched: the set is reviewed (evaluated, browsed,
exported) before anyone replaces anything with it.

The set is a model run (:mod:`visionlens_jlab.predict.model_runs`): written in chunks (one
transaction each, at most every :data:`~visionlens_jlab.predict.writers.FLUSH_SECONDS`,
and whatever is pending when the job is cancelled or fails), so a rerun with the same
model and source does only the images not done yet, as a prediction job resumes.

The images run on the model jobs' pipeline (:class:`~visionlens_jlab.jobs.feed.Feed`):
while the encoder embeds one batch, the next ones are read, decoded and run through the
processor on producer threads; the encoder takes a batch in one forward pass, of the size
asked or found by the warm-up (:mod:`visionlens_jlab.jobs.batch_warmup`), halved on
out-of-memory. On a CPU with native bf16 the encoder runs in bf16 where its masks agree
with float32's (:mod:`.precision`).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog
from ..catalog.reads.queries import sample_ids
from ..catalog.store.catalog import validate_name
from ..catalog.store.schema import GROUND_TRUTH
from ..jobs.accelerator import DTYPES, warmed_sizer
from ..jobs.batch_warmup import AUTO
from ..jobs.feed import Feed
from ..jobs.job import JobContext
from ..media.lookup import dataset_samples
from ..predict.base import default_run_name
from ..predict.model_runs import (
    BOX_COLUMNS,
    MASK_COLUMNS,
    append_model_predictions,
    model_run_state,
    start_model_run,
)
from ..predict.writers import FLUSH_SECONDS
from ..records.masks import mask_answer
from .engine import Embedded, Segmenter
from .precision import EncoderPrecision
from .prompts import SegmentError
from .service import read_image

TASK = "segment-boxes"
"""The run's task in its stored parameters (what makes a rerun the same run)."""
BOXES_PER_CALL = 64
"""Boxes prompted in one decoder call: its low-resolution masks (3 x 256 x 256 floats a
box) stay a few tens of MB however crowded the image."""
FAILED_EXAMPLES = 5
BATCH_SIZES = {"cpu": 1, "cuda": 8}
"""Images per encoder pass where none is asked (and where ``auto`` starts): on a CPU the
ViT encoder uses every core on one image already; a GPU takes several."""

SegmenterOf = Callable[[str], Segmenter]
"""Gives the loaded model of a model name (the server's warm one, or a fresh load)."""


@dataclass(frozen=True)
class BoxMaskOptions:
    """What the user asked for (CLI flags, REST body)."""

    dataset: str
    model: str
    source: str = GROUND_TRUTH
    """Whose boxes: ``ground_truth`` or a model's (prediction set's) name."""
    filter: dict | None = None
    """A view: only its samples' boxes (the REST API's filter)."""
    name: str | None = None
    batch_size: int | str | None = None
    """Images per encoder pass; ``auto`` or None: found on the first batches."""
    dtype: str = "auto"
    """The image encoder's precision (:mod:`.precision`)."""

    def __post_init__(self) -> None:
        if not self.model:
            raise SegmentError("no model given: pass --model with a SAM checkpoint folder")
        validate_name(self.source, "source")
        if self.name is not None:
            validate_name(self.name, "name")
        if self.run_name == self.source:
            raise SegmentError(f"the masks cannot replace their source {self.source!r}")
        if self.dtype not in DTYPES:
            raise SegmentError(f"unknown dtype {self.dtype!r}: use {', '.join(DTYPES)}")
        size = self.batch_size
        if size != AUTO and size is not None:
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 4096:
                raise SegmentError(f"batch size must be 1..4096 or auto, got {size!r}")

    @property
    def run_name(self) -> str:
        """The prediction set the masks are stored as (default ``<model>-masks``)."""
        return self.name or f"{default_run_name(self.model)}-masks"[:128]


Box = tuple[int, str, float, float, float, float]
"""``(ann_id, label, x, y, w, h)`` of a source object."""


def check_source(catalog: Catalog, dataset_id: int, source: str) -> None:
    """Refuse a ``source`` the dataset lacks, naming what it has."""
    if source == GROUND_TRUTH:
        return
    with catalog.cursor() as cur:
        models = [
            r[0]
            for r in cur.execute(
                "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
            ).fetchall()
        ]
    if source not in models:
        raise SegmentError(
            f"the dataset has no model {source!r}: use ground_truth or one of "
            f"{', '.join(models) or '(none)'}"
        )


def source_boxes(catalog: Catalog, dataset_id: int, source: str) -> dict[int, list[Box]]:
    """The boxes of ``source`` by sample (those with a positive width and height), in
    object order; a source the dataset lacks is refused (:func:`check_source`)."""
    check_source(catalog, dataset_id, source)
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id, ann_id, label, x, y, w, h FROM annotations "
            "WHERE dataset_id = ? AND source = ? AND w > 0 AND h > 0 ORDER BY sample_id, ann_id",
            [dataset_id, source],
        ).fetchall()
    out: dict[int, list[Box]] = defaultdict(list)
    for sample_id, ann_id, label, x, y, w, h in rows:
        out[int(sample_id)].append((int(ann_id), str(label), x, y, w, h))
    return out


def embedded_masks(
    segmenter: Segmenter, embedded: Embedded, boxes: list[Box]
) -> list[tuple[Any, ...]]:
    """The rows of one embedded image's boxes, prompted in calls of :data:`BOXES_PER_CALL`;
    each ``(label, x, y, w, h, score, RLE JSON, mask area, source ann id)``."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(boxes), BOXES_PER_CALL):
        chunk = boxes[start : start + BOXES_PER_CALL]
        decoded = segmenter.decode_boxes(embedded, [b[2:] for b in chunk])
        for (ann_id, label, x, y, w, h), (mask, score) in zip(chunk, decoded, strict=True):
            answer = mask_answer(mask)
            segmentation = json.dumps(answer["mask"])
            rows.append((label, x, y, w, h, score, segmentation, answer["area"], str(ann_id)))
    return rows


_TYPES = (pa.int64(), pa.string(), *[pa.float64()] * 5, pa.string(), pa.float64(), pa.string())


def _table(rows: list[tuple[Any, ...]]) -> pa.Table:
    names = (*BOX_COLUMNS, *MASK_COLUMNS)
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[]] * len(names)
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, columns, _TYPES, strict=True)})


def run_box_masks(
    ctx: JobContext | None,
    catalog: Catalog,
    options: BoxMaskOptions,
    segmenter_of: SegmenterOf,
    *,
    flush_seconds: float = FLUSH_SECONDS,
) -> dict[str, Any]:
    """Masks for the source's boxes on the images the run has not done yet; the result
    object (the CLI's ``--json``)."""
    started = time.monotonic()
    read = dataset_samples(catalog, options.dataset, ("width", "height"))
    if options.filter:
        wanted = set(sample_ids(catalog, options.dataset, options.filter).to_pylist())
        keep = [s in wanted for s in read.samples["sample_id"].to_pylist()]
        read = replace(read, samples=read.samples.filter(pa.array(keep, pa.bool_())))
    columns = (read.samples[c].to_pylist() for c in ("sample_id", "width", "height"))
    sizes = {int(s): (int(w or 0), int(h or 0)) for s, w, h in zip(*columns, strict=True)}
    boxes = source_boxes(catalog, read.dataset_id, options.source)
    name = options.run_name
    params = {"model": options.model, "task": TASK, "source": options.source}
    state = model_run_state(catalog, options.dataset, name)
    fresh = state.params != params
    finished = set() if fresh else set(state.done.tolist())
    items = read.confine().items
    todo = [(s, loc) for s, loc in items if s not in finished]
    result: dict[str, Any] = {
        "dataset": options.dataset,
        "model": options.model,
        "name": name,
        "source": options.source,
        "processed": 0,
        "skipped": len(items) - len(todo),
        "failed": 0,
        "boxes": 0,
        "predictions": 0,
        "images_per_second": 0.0,
        "seconds": 0.0,
        "errors": [],
    }
    if not todo and not fresh:
        result["predictions"] = int(_count(catalog, read.dataset_id, name))
        result["seconds"] = round(time.monotonic() - started, 3)
        return result
    if ctx is not None:
        ctx.stage("loading", f"loading {options.model}")
    segmenter = segmenter_of(options.model)
    if fresh:
        start_model_run(catalog, read.dataset_id, name, options.model, params)
    pending_ids: list[int] = []
    pending_rows: list[tuple[Any, ...]] = []
    last = t_first = time.monotonic()

    def flush() -> None:
        nonlocal pending_ids, pending_rows, last
        if pending_ids:
            ids, rows = pending_ids, pending_rows
            pending_ids, pending_rows, last = [], [], time.monotonic()
            result["predictions"] = append_model_predictions(
                catalog, read.dataset_id, name, np.asarray(ids, np.int64), _table(rows)
            )

    precision = EncoderPrecision(segmenter, options.dtype)
    device = segmenter.loaded.device
    sizer = warmed_sizer(options.batch_size, BATCH_SIZES[device], device, options.model)
    if ctx is not None:
        ctx.items("segmenting", 0, len(todo), f"{options.model} on {device}")
    jobs = [(s, loc, boxes.get(s, []), sizes[s]) for s, loc in todo]
    feed = Feed(
        jobs,
        sizer,
        lambda b: _prepared(segmenter, b),
        lambda b, p: _masks(segmenter, precision, b, p),
    )
    n = 0
    results = iter(feed)
    try:
        for outcomes in results:
            for sample_id, rows in outcomes:
                n += 1
                if isinstance(rows, str):
                    result["failed"] += 1
                    if len(result["errors"]) < FAILED_EXAMPLES:
                        result["errors"].append({"sample_id": sample_id, "message": rows})
                    continue
                pending_ids.append(sample_id)
                pending_rows.extend((sample_id, *row) for row in rows)
                result["processed"] += 1
                result["boxes"] += len(rows)
            if time.monotonic() - last >= flush_seconds:
                flush()
            if ctx is not None:
                ctx.items("segmenting", n, len(todo), f"{n}/{len(todo)} images, batch {sizer.size}")
                ctx.check_cancelled()
    finally:
        results.close()  # stops the producers (a cancel, a failure)
        flush()  # what was computed is kept, also when cancelled or failing
        segmenter.drop_copies()
    result.update(sizer.report(), **precision.report())
    seconds = time.monotonic() - t_first
    if not result["predictions"]:
        result["predictions"] = int(_count(catalog, read.dataset_id, name))
    result["images_per_second"] = round(result["processed"] / seconds, 3) if seconds else 0.0
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


Job = tuple[int, str, list[Box], tuple[int, int]]
"""``(sample_id, location, its boxes, its stored (width, height))``."""
Prepared = tuple[list[tuple[int, list[Box]]], Any, dict[int, str]]
"""A batch made ready for the encoder: the images read with their boxes, the processor's
batch of them (None when none was read), and the message of each image that failed."""


def _prepared(segmenter: Segmenter, batch: list[Job]) -> Prepared:
    """Read the batch's images that have boxes (one without is done without reading it)
    and run the processor over them (on a producer thread)."""
    read, images, failed = [], [], {}
    for sample_id, location, image_boxes, stored in batch:
        if not image_boxes:
            continue
        try:
            images.append(_image(location, stored))
        except SegmentError as exc:
            failed[sample_id] = str(exc)
        else:
            read.append((sample_id, image_boxes))
    return read, segmenter.preprocess(images) if images else None, failed


def _masks(
    segmenter: Segmenter, precision: EncoderPrecision, batch: list[Job], prepared: Prepared
) -> list[tuple[int, Any]]:
    """Each image's rows (its message where it failed), in the batch's order: the batch's
    images in one encoder pass, then each image's boxes through the decoder."""
    read, inputs, failed = prepared
    prompts = [[(x, y, w, h) for _, _, x, y, w, h in image_boxes] for _, image_boxes in read]
    embedded = precision.embed(inputs, prompts) if inputs is not None else []
    done = {
        sample_id: embedded_masks(segmenter, one, image_boxes)
        for (sample_id, image_boxes), one in zip(read, embedded, strict=True)
    }
    return [(s, failed[s]) if s in failed else (s, done.get(s, [])) for s, *_ in batch]


def _image(location: str, stored: tuple[int, int]) -> Any:
    """The image, refused when its size is not the catalog's (the boxes would not fit)."""
    image = read_image(location)
    width, height = stored
    if width and height and image.size != (width, height):
        raise SegmentError(
            f"the image {location} is {image.width}x{image.height}, the catalog says "
            f"{width}x{height}: ingest it again"
        )
    return image


def _count(catalog: Catalog, dataset_id: int, name: str) -> int:
    with catalog.cursor() as cur:
        ((count,),) = cur.execute(
            "SELECT count(*) FROM annotations WHERE dataset_id = ? AND source = ?",
            [dataset_id, name],
        ).fetchall()
    return int(count)
