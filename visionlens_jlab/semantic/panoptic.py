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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog import GROUND_TRUTH, NotFoundError
from ..catalog.extensions.computed import write_computed
from ..catalog.reads.model_kinds import LABEL_MAPS
from ..catalog.writes.label_rows import label_type_counts
from ..catalog.writes.model_rows import record_model
from ..records.batches import SAMPLE_SCHEMA, Batch
from ..records.report import IngestError, IngestReport
from .classes import ClassSet, voc_colors
from .image_lookup import locate_images
from .layouts import PathCheck, check_paths
from .panoptic_quality import (
    PanopticError,
    PQStat,
    image_pq,
    image_scores,
    pq_summary,
    segment_ids,
)
from .records import (
    PANOPTIC_IMAGE_FIELDS,
    PANOPTIC_LAYOUT,
    class_rows,
    mask_rows,
    read_categories,
    read_panoptic,
    write_masks,
)

if TYPE_CHECKING:
    from ..catalog import Catalog

LAYOUT = PANOPTIC_LAYOUT
IMAGE_FIELDS = PANOPTIC_IMAGE_FIELDS


def _load(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IngestError(f"{path}: not a COCO panoptic JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise IngestError(f"{path}: no 'annotations' list (COCO panoptic JSON)")
    return data


def _checked(data: dict[str, Any], path: str, truth: bool) -> dict[str, Any]:
    """``data``, once every entry the ingest and the evaluation read is there: each
    annotation's PNG ``file_name`` (and the ground truth's ``image_id``), its
    ``segments_info`` a list of segments with integer ``id`` and ``category_id`` (and the
    ground truth's ``area``, its PQ's denominator); the ground truth's categories with
    ``id`` and ``name``, its images with ``id`` and ``file_name``, each id once. Else an
    :class:`IngestError` naming the first entry without, where a ``KeyError`` would come
    mid-ingest or mid-evaluation, after the dataset was written without its masks."""
    annotation = ("file_name", "image_id") if truth else ("file_name",)
    segment = ("id", "category_id", "area") if truth else ("id", "category_id")
    for i, ann in enumerate(data["annotations"]):
        where = f"{path}: annotations[{i}]"
        _require(ann, annotation, where)
        segments = ann.get("segments_info", [])
        if not isinstance(segments, list):
            raise IngestError(f"{where}: 'segments_info' is not a list of segments")
        for k, seg in enumerate(segments):
            _require(seg, segment, f"{where}.segments_info[{k}]", ("id", "category_id"))
    if truth:
        for key, fields in (("categories", ("id", "name")), ("images", ("id", "file_name"))):
            for i, entry in enumerate(data.get(key) or []):
                _require(
                    entry, fields, f"{path}: {key}[{i}]", ("id",) if key == "categories" else ()
                )
        _unique_ids(data.get("images") or [], path)
    return data


def _unique_ids(images: list[dict[str, Any]], path: str) -> None:
    """Refuse an image id listed twice: each entry would be a sample, and an annotation
    finds its image by id, so one of them would stay without its mask."""
    first: dict[str, int] = {}
    for i, image in enumerate(images):
        key = str(image["id"])  # by its text, as an annotation finds its image
        if key in first:
            raise IngestError(
                f"{path}: images[{first[key]}] and images[{i}] have one id, {image['id']!r} "
                "(an image is listed once: remove or renumber one)"
            )
        first[key] = i


def _require(
    entry: Any, fields: tuple[str, ...], where: str, integers: tuple[str, ...] = ()
) -> None:
    """Refuse an ``entry`` that is not an object with ``fields`` (``integers`` among them
    integers, or their digits, that fit in 32 bits: the catalog keeps class ids so)."""
    if not isinstance(entry, dict):
        raise IngestError(f"{where} is not an object")
    missing = [f"{name!r}" for name in fields if entry.get(name) is None]
    if missing:
        raise IngestError(f"{where} has no {', '.join(missing)}")
    for name in integers:
        try:
            value = int(entry[name])
        except (TypeError, ValueError):
            raise IngestError(f"{where}: {name!r} is {entry[name]!r}, not an integer") from None
        if not -(2**31) <= value < 2**31:
            raise IngestError(f"{where}: {name!r} is {value}, past the 32-bit ids a catalog keeps")


def _png_paths(data: dict[str, Any], folder: Path) -> list[str]:
    """The PNG each annotation names (a ``..`` in a name may lead out of the folder)."""
    return [str(folder / str(a.get("file_name"))) for a in data["annotations"]]


def _require_files(paths: list[str], json_path: str) -> None:
    """Refuse a JSON whose PNGs are not all there (after the paths were allowed): found
    here, not by an evaluation that stops at the first."""
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise IngestError(
            f"{json_path}: {len(missing)} of its {len(paths)} PNGs are not there "
            f"(first: {missing[0]}; give their folder with --masks)"
        )


def _png_folder(json_path: str, folder: str | None) -> Path:
    """The PNG folder: given, else the JSON's path without ``.json`` (panopticapi's rule)."""
    found = Path(folder) if folder else Path(json_path).with_suffix("")
    if not found.is_dir():
        raise IngestError(f"{found}: no folder of panoptic PNGs (give it with --masks)")
    return found.resolve()


def labelled_images(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON's images that have an annotation: the dataset's samples, in their order."""
    # by their text, as an annotation finds its sample: an image id 1 and an
    # annotation's "1" (JSON written by different tools) are one image
    labelled = {str(a["image_id"]) for a in data["annotations"]}
    return [im for im in data.get("images", []) if str(im["id"]) in labelled]


class PanopticSamples:
    """A :class:`~visionlens_jlab.records.parsed.ParsedSource` of the JSON's images, with
    their PNGs in ``folder``. Made before the dataset is written: two annotations of one
    image are refused here (:func:`_match`)."""

    format = LAYOUT
    json_checked = True

    def __init__(self, data: dict[str, Any], images: Path, source: str, folder: Path) -> None:
        self.data, self.images, self.folder = data, images, folder
        self.source, self.media_root = source, str(images)
        self.report = IngestReport()
        self.kept = labelled_images(data)
        keys = _keys([(str(im["id"]), im["file_name"]) for im in self.kept])
        self.matched = _match(data["annotations"], keys, source)
        self.locations = locate_images(images, [im["file_name"] for im in self.kept], self.report)

    def batches(self) -> Iterator[Batch]:
        """One batch of the images that have an annotation (:func:`labelled_images`)."""
        rows: dict[str, list[Any]] = {n: [] for n in SAMPLE_SCHEMA.names}
        for index, im in enumerate(self.kept):
            values = (
                index, im["file_name"], self.locations[index],
                im.get("width"), im.get("height"), None, str(im["id"]), None,
            )  # fmt: skip
            for name, value in zip(SAMPLE_SCHEMA.names, values, strict=True):
                rows[name].append(value)
        yield Batch(samples=pa.table(rows, schema=SAMPLE_SCHEMA))

    def categories(self) -> list[tuple[Any, ...]]:
        """The categories, with their COCO ids."""
        return [(c["name"], c.get("supercategory"), int(c["id"])) for c in self.data["categories"]]

    def feature_rows(self) -> dict[str, pa.Table]:
        """The categories (with their ids and ``isthing``) and the ground-truth PNGs, which
        the dataset writer adds in the transaction that makes the dataset appear: a failure
        writing them leaves no dataset without its masks."""
        cats = self.data["categories"]
        classes = ClassSet(tuple(c["name"] for c in cats), voc_colors(len(cats) + 1)[1:], 0)
        rows, segments = _mask_rows(self.data, self.matched, self.folder, range(len(self.kept)))
        ids, things = [int(c["id"]) for c in cats], [bool(c.get("isthing")) for c in cats]
        return {
            **class_rows(classes, ids, things),
            **mask_rows(GROUND_TRUTH, rows, classes, LAYOUT, segments, "sample_index"),
        }


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
    data = _load(json_path)
    if not isinstance(data.get("categories"), list) or not data["categories"]:
        raise IngestError(f"{json_path}: no 'categories' (with isthing) in a COCO panoptic JSON")
    _checked(data, json_path, truth=True)
    folder = _png_folder(json_path, masks)
    image_root = Path(images).resolve() if images else folder.parent / "images"
    check_paths(check, [str(folder), str(image_root)])
    check_paths(
        check, [str(image_root / str(im.get("file_name"))) for im in data.get("images", [])]
    )
    check_paths(check, _png_paths(data, folder))
    _require_files(_png_paths(data, folder), json_path)
    samples = PanopticSamples(data, image_root, json_path, folder)  # refusals before a write
    summary = write_dataset(catalog, name, samples).to_dict()  # with its masks: feature_rows
    summary["panoptic"] = {"masks": len(samples.matched), "categories": len(data["categories"])}
    return summary


ImageKeys = tuple[dict[str, int], dict[str, int], list[str]]
"""How an annotation finds its image (a row number): by image id (as text), else by its
PNG's stem; and the images' file names."""


def _keys(images: list[tuple[str | None, str]]) -> ImageKeys:
    """The keys of ``(image id, file name)`` rows; a stem that two images share finds
    neither (which of them would be a guess)."""
    by_id = {image_id: i for i, (image_id, _) in enumerate(images) if image_id is not None}
    stems: dict[str, list[int]] = {}
    for i, (_, name) in enumerate(images):
        stems.setdefault(Path(name).stem, []).append(i)
    unique = {stem: found[0] for stem, found in stems.items() if len(found) == 1}
    return by_id, unique, [name for _, name in images]


def _match(annotations: list[Any], keys: ImageKeys, where: str) -> list[tuple[int, int]]:
    """``(annotation index, image row)`` of each annotation that finds its image; two for
    one image are an :class:`IngestError` naming both (COCO panoptic has one PNG per image;
    storing both would leave the evaluation to pick one)."""
    by_id, by_stem, names = keys
    found: dict[int, int] = {}
    for k, ann in enumerate(annotations):
        image = by_id.get(str(ann.get("image_id")))
        if image is None:
            image = by_stem.get(Path(str(ann.get("file_name", ""))).stem)
        if image is None:
            continue
        if image in found:
            first = annotations[found[image]]
            raise IngestError(
                f"{where}: annotations[{found[image]}] ({first['file_name']}) and "
                f"annotations[{k}] ({ann['file_name']}) are both for image {names[image]}; "
                "keep one of them"
            )
        found[image] = k
    return [(k, image) for image, k in found.items()]


def _mask_rows(
    data: dict[str, Any], matched: list[tuple[int, int]], folder: Path, samples: Sequence[int]
) -> tuple[list[tuple[int, str]], list[str]]:
    """``(sample, PNG)`` and the ``segments_info`` JSON of each :func:`_match` pair, the
    image rows' samples in ``samples``."""
    rows, segments = [], []
    for k, row in sorted(matched):
        ann = data["annotations"][k]
        rows.append((samples[row], str(folder / ann["file_name"])))
        segments.append(json.dumps(ann.get("segments_info", [])))
    return rows, segments


def _write_source(
    cur: Any,
    dataset_id: int,
    source: str,
    data: dict[str, Any],
    folder: Path,
    classes: ClassSet,
    where: str,
) -> int:
    samples = cur.execute(
        "SELECT sample_id, source_image_id, file_name FROM samples WHERE dataset_id = ? "
        "ORDER BY sample_id",
        [dataset_id],
    ).fetchall()
    keys = _keys([(image_id, name) for _, image_id, name in samples])
    matched = _match(data["annotations"], keys, where)
    rows, segments = _mask_rows(data, matched, folder, [s[0] for s in samples])
    if not rows:
        raise IngestError("no panoptic annotation names an image of the dataset")
    write_masks(cur, dataset_id, source, rows, classes, LAYOUT, segments)
    return len(rows)


def ingest_panoptic_predictions(
    catalog: Catalog,
    dataset: str,
    model: str,
    json_path: str,
    masks: str | None,
    check: PathCheck = None,
) -> dict[str, Any]:
    """Record ``model``'s panoptic results (COCO panoptic JSON + PNG folder); an annotation
    names its image by ``image_id``, else by its PNG's stem; ``check`` as for
    :func:`ingest_panoptic`."""
    if model == GROUND_TRUTH:
        raise IngestError(f"{model!r} is reserved; choose another model name")
    check_paths(check, [json_path])
    data = _checked(_load(json_path), json_path, truth=False)
    folder = _png_folder(json_path, masks)
    check_paths(check, [str(folder), *_png_paths(data, folder)])
    _require_files(_png_paths(data, folder), json_path)
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        if not read_categories(cur, dataset_id):
            raise NotFoundError(f"{dataset!r} is not a panoptic dataset: use panoptic-ingest")
        count = _write_source(cur, dataset_id, model, data, folder, ClassSet((), (), 0), json_path)
        report = {"counts": {"predictions": count}, "warnings": [], "errors": []}
        record_model(cur, dataset_id, model, kind=LABEL_MAPS, model_format=LAYOUT,
                     source=json_path, predictions=count, report=report)  # fmt: skip
        types = label_type_counts(cur, dataset_id, model)
    return {"dataset": dataset, "model": model, "masks": count, "label_types": types}


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
