"""COCO panoptic segmentation: a dataset from its JSON (images, ``annotations`` with each
image's PNG and ``segments_info``, ``categories`` with ``isthing``) and PNG folder, a
model's results in the same format, and PQ / SQ / RQ (:mod:`.panoptic_quality`).

The PNGs stay files (:mod:`.records`): each image's row holds its PNG's location and its
``segments_info`` as JSON; the evaluation reads the pairs in a thread pool, one
:class:`~.panoptic_quality.PQStat` per image, summed. Each image's PQ, SQ and RQ (its
categories' mean, panopticapi's ``pq_compute`` on that image alone) are stored as the
computed sample fields ``panoptic_pq``, ``panoptic_sq`` and ``panoptic_rq`` (the grid sorts
and filters by them; the last evaluated model's, its name in the fields' parameters).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import GROUND_TRUTH, NotFoundError
from ..catalog.extensions.computed import write_computed
from ..catalog.reads.model_kinds import LABEL_MAPS
from ..catalog.writes.label_rows import label_type_counts
from ..catalog.writes.model_rows import record_model
from ..records.report import IngestError, IngestReport
from .classes import ClassSet
from .layouts import PathCheck, check_paths
from .panoptic_images import (
    image_keys,
    match_annotations,
    unmatched,
)
from .panoptic_json import (
    checked_json,
    load_json,
    missing_pngs,
    png_folder,
    png_paths,
    png_size,
)
from .panoptic_quality import (
    PanopticError,
    PQStat,
    check_categories,
    image_pq,
    image_scores,
    pq_summary,
    segment_ids,
)
from .panoptic_samples import PanopticSamples, annotation_rows
from .panoptic_segments import segment_mismatches
from .records import (
    PANOPTIC_IMAGE_FIELDS,
    PANOPTIC_LAYOUT,
    read_categories,
    read_panoptic,
    write_masks,
)

if TYPE_CHECKING:
    from ..catalog import Catalog

LAYOUT = PANOPTIC_LAYOUT
IMAGE_FIELDS = PANOPTIC_IMAGE_FIELDS


def ingest_panoptic(
    catalog: Catalog,
    name: str,
    json_path: str,
    masks: str | None,
    images: str | None,
    check: PathCheck = None,
) -> dict[str, Any]:
    """Write dataset ``name`` from a COCO panoptic JSON, its PNG folder (``masks``) and its
    images folder (``images``; default: the PNG folder's sibling ``images``); ``check``
    sees every path read or stored before anything is written (a server's allowed roots)."""
    from ..catalog.writes.dataset_writer import write_dataset

    check_paths(check, [json_path])
    data = load_json(json_path)
    if not isinstance(data.get("categories"), list) or not data["categories"]:
        raise IngestError(f"{json_path}: no 'categories' (with isthing) in a COCO panoptic JSON")
    checked_json(data, json_path, truth=True)
    folder = png_folder(json_path, masks)
    image_root = Path(images).resolve() if images else folder.parent / "images"
    check_paths(check, [str(folder), str(image_root)])
    check_paths(
        check, [str(image_root / str(im.get("file_name"))) for im in data.get("images", [])]
    )
    check_paths(check, png_paths(data, folder))
    missing = missing_pngs(png_paths(data, folder), folder, json_path)
    samples = PanopticSamples(data, image_root, json_path, folder, missing)  # before a write
    summary = write_dataset(catalog, name, samples).to_dict()  # with its masks: feature_rows
    summary["panoptic"] = {"masks": len(samples.matched), "categories": len(data["categories"])}
    return summary


def _write_source(
    cur: Any,
    dataset_id: int,
    source: str,
    data: dict[str, Any],
    folder: Path,
    classes: ClassSet,
    where: str,
    report: IngestReport,
) -> int:
    """Store ``source``'s PNGs of the dataset's images (by image id, else PNG stem), each
    of its ground truth's size; counts the annotations of no image in ``report``."""
    samples = cur.execute(
        "SELECT sample_id, source_image_id, file_name FROM samples WHERE dataset_id = ? "
        "ORDER BY sample_id",
        [dataset_id],
    ).fetchall()
    keys = image_keys([(image_id, name) for _, image_id, name in samples])
    matched = match_annotations(data["annotations"], keys, where)
    rows, segments = annotation_rows(data, matched, folder, [s[0] for s in samples])
    if not rows:
        raise IngestError("no panoptic annotation names an image of the dataset")
    lone = unmatched(data["annotations"], matched)
    if lone:
        report.warn(
            "prediction_unknown_image",
            "annotations naming no image of the dataset by image_id or PNG name (not stored)",
            count=len(lone),
            examples=lone,
        )
    _check_sizes(rows, read_panoptic(cur, dataset_id, GROUND_TRUTH))
    differ = segment_mismatches([(at, seg) for (_, at), seg in zip(rows, segments, strict=True)])
    if differ:
        raise IngestError(
            f"{differ[0]}{f' (and {len(differ) - 1} more PNGs)' if len(differ) > 1 else ''}: "
            "a model's PNG holds exactly the segments its segments_info lists (panopticapi "
            "refuses the pair); fix or leave out the annotation"
        )
    write_masks(cur, dataset_id, source, rows, classes, LAYOUT, segments)
    return len(rows)


def _check_sizes(rows: list[tuple[int, str]], truth: dict[int, tuple[str, str]]) -> None:
    """Refuse a predicted PNG of another size than its ground truth's (the network's
    resolution, say), found here rather than by an evaluation that stops at the first."""
    for sample, location in rows:
        if sample not in truth:
            continue
        mine, theirs = png_size(location), png_size(truth[sample][0])
        if mine is not None and theirs is not None and mine != theirs:
            raise IngestError(
                f"{location}: {mine[0]}x{mine[1]}, its ground truth {theirs[0]}x{theirs[1]} "
                f"({truth[sample][0]}): resize the prediction to its image's size (nearest "
                "neighbour, so its values stay segment ids)"
            )


def ingest_panoptic_predictions(
    catalog: Catalog,
    dataset: str,
    model: str,
    json_path: str,
    masks: str | None,
    check: PathCheck = None,
) -> dict[str, Any]:
    """Record ``model``'s panoptic results (COCO panoptic JSON + PNG folder); an annotation
    names its image by ``image_id``, else by its PNG's stem, and one that names none is
    counted (``unmatched``, a ``prediction_unknown_image`` warning), not stored, as is one
    whose PNG is not in the folder (:func:`_without_missing_pngs`; none there at all is an
    :class:`IngestError` naming the folder); a PNG of another size than its ground truth's
    is an :class:`IngestError`, the model's earlier results kept. ``check`` as for
    :func:`ingest_panoptic`."""
    if model == GROUND_TRUTH:
        raise IngestError(f"{model!r} is reserved; choose another model name")
    check_paths(check, [json_path])
    data = checked_json(load_json(json_path), json_path, truth=False)
    folder = png_folder(json_path, masks)
    paths = png_paths(data, folder)
    check_paths(check, [str(folder), *paths])
    report = IngestReport()
    kept = _without_missing_pngs(data, folder, missing_pngs(paths, folder, json_path), report)
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        known = set(read_categories(cur, dataset_id))
        if not known:
            raise NotFoundError(f"{dataset!r} is not a panoptic dataset: use panoptic-ingest")
        check_categories(data["annotations"], known, json_path)
        count = _write_source(
            cur, dataset_id, model, kept, folder, ClassSet((), (), 0), json_path, report
        )
        report.counts.update(predictions=count)
        record_model(cur, dataset_id, model, kind=LABEL_MAPS, model_format=LAYOUT,
                     source=json_path, predictions=count, report=report.to_dict())  # fmt: skip
        types = label_type_counts(cur, dataset_id, model)
    return {
        "dataset": dataset,
        "model": model,
        "masks": count,
        "label_types": types,
        "unmatched": len(kept["annotations"]) - count,
        "warnings": report.warnings,
    }


def _without_missing_pngs(
    data: dict[str, Any], folder: Path, missing: set[str], report: IngestReport
) -> dict[str, Any]:
    """``data`` without the annotations whose PNG in ``folder`` is among ``missing``,
    reported as a ``panoptic_png_missing`` warning naming each (before, one missing PNG
    refused the whole import). Their images get no prediction of the model: the evaluation
    leaves them out and counts them in ``missing``, as it does an image the results do not
    name (panopticapi refuses a missing PNG)."""
    if not missing:
        return data
    annotations = data["annotations"]
    gone = [i for i, path in enumerate(png_paths(data, folder)) if path in missing]
    report.warn(
        "panoptic_png_missing",
        f"annotations whose PNG is not in {folder} (not stored: their images have no "
        "prediction and the evaluation leaves them out, counted in missing; add the PNG "
        "there, or give its folder with --masks)",
        count=len(gone),
        examples=[f"annotations[{i}]: {annotations[i]['file_name']}" for i in gone],
    )
    dropped = set(gone)
    return {**data, "annotations": [a for i, a in enumerate(annotations) if i not in dropped]}


def evaluate_panoptic(
    catalog: Catalog,
    dataset: str,
    model: str,
    workers: int | None = None,
    *,
    store: bool = True,
) -> dict[str, Any]:
    """``{"panoptic": {"All", "Things", "Stuff": {pq, sq, rq, n}, "per_class": {name: {pq,
    sq, rq, tp, fp, fn}}, "images", "missing"}}``, panopticapi's ``pq_compute``; an image
    without a predicted PNG is counted in ``missing`` and left out (panopticapi refuses).
    ``store``: write each image's PQ, SQ and RQ as the computed fields ``IMAGE_FIELDS``."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        categories = read_categories(cur, dataset_id)
        truth = read_panoptic(cur, dataset_id, GROUND_TRUTH)
        predicted = read_panoptic(cur, dataset_id, model)
    known = set(categories)
    samples = [s for s in sorted(truth) if s in predicted]
    pairs = [(truth[s], predicted[s]) for s in samples]

    def one(pair: tuple[tuple[str, str], tuple[str, str]]) -> PQStat:
        (gt_at, gt_segments), (pred_at, pred_segments) = pair
        stat = PQStat()
        try:
            gt, pred = segment_ids(gt_at), segment_ids(pred_at)
        except OSError as exc:
            raise PanopticError(f"cannot read a panoptic PNG ({exc})") from None
        image_pq(gt, pred, json.loads(gt_segments), json.loads(pred_segments), known, stat, pred_at)
        return stat

    total = PQStat()
    per_image = np.full((len(pairs), 3), np.nan)
    with ThreadPoolExecutor(workers or min(8, (os.cpu_count() or 1) + 1)) as pool:
        for i, stat in enumerate(pool.map(one, pairs)):
            per_image[i] = image_scores(stat)
            for counter in ("iou", "tp", "fp", "fn"):
                mine = getattr(total, counter)
                for cid, value in getattr(stat, counter).items():
                    mine[cid] = mine.get(cid, 0) + value
    report = pq_summary(total, categories)
    report.update(model=model, images=len(pairs), missing=len(truth) - len(pairs))
    if store and pairs:
        ids = np.asarray(samples, dtype=np.int64)
        write_computed(
            catalog,
            dataset_id,
            {name: (ids, per_image[:, k]) for k, name in enumerate(IMAGE_FIELDS)},
            producer="panoptic",
            params=json.dumps({"model": model}),
        )
    return {"panoptic": report}
