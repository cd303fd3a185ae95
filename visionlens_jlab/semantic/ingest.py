"""Ingesting a semantic dataset (its images as samples, its masks as rows of
:mod:`.records`) and a model's predicted masks.

The samples go through the catalog's dataset writer like every format's, after every pair
was found and every mask's and image's size read; the classes' and masks' rows are its
feature rows, written in its last transaction with the ``datasets`` row: the dataset
appears with its masks or not at all.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..catalog import GROUND_TRUTH, NotFoundError
from ..catalog.reads.model_kinds import LABEL_MAPS
from ..catalog.writes.label_rows import label_type_counts
from ..catalog.writes.model_rows import record_model
from ..ingest.images import image_size
from ..records.batches import SAMPLE_SCHEMA, Batch
from ..records.report import IngestError, IngestReport
from .classes import ClassSet
from .label_maps import ColorTable, is_painted
from .layouts import PathCheck, SemanticSource, check_paths
from .mask_checks import COLOR_FIX, VOC_COLOR_FIX, checked_shapes
from .mask_files import png_files, unread_files, unread_masks_error
from .pairing import MaskPair
from .records import (
    PAINTED_PREDICTIONS,
    PREDICTIONS,
    class_rows,
    mask_rows,
    painted_colors,
    read_classes,
    read_encoding,
    source_colors,
    write_masks,
)

if TYPE_CHECKING:
    from ..catalog import Catalog


class SemanticSamples:
    """A :class:`~visionlens_jlab.records.parsed.ParsedSource` of a semantic dataset's
    images (no objects: its labels are the masks). Made before the dataset is written: it
    reads every mask's and image's header (:func:`sized_pairs`)."""

    format = "semantic"
    json_checked = True

    def __init__(self, found: SemanticSource) -> None:
        self.found = found
        self.source = found.root
        self.media_root = found.image_root
        self.report = IngestReport()
        # what the layout could not pair is left out, so it is counted: a typo in a name
        # (or masks from another tool's naming) shows here instead of as a smaller dataset
        if found.lone_masks:
            self.report.warn(
                "semantic_mask_without_image",
                "masks whose image is not there (not ingested: check their names)",
                count=len(found.lone_masks),
                examples=found.lone_masks,
            )
        if found.lone_images:
            self.report.warn(
                "semantic_image_without_mask",
                "images without a mask (not ingested: a semantic dataset is its labelled images)",
                count=len(found.lone_images),
                examples=found.lone_images,
            )
        if found.clashes:
            self.report.warn(
                "semantic_name_clash",
                "images or masks named alike but for the extension (not ingested: which "
                "one a mask labels would be a guess; rename or remove one)",
                count=len(found.clashes),
                examples=found.clashes,
            )
        self.sized = sized_pairs(found, self.report)

    def batches(self) -> Iterator[Batch]:
        """One batch of every labelled image whose mask fits it, with its size."""
        rows: dict[str, list[Any]] = {name: [] for name in SAMPLE_SCHEMA.names}
        for index, (pair, width, height) in enumerate(self.sized):
            values = (index, pair.file_name, pair.image, width, height, pair.split, None, None)
            for name, value in zip(SAMPLE_SCHEMA.names, values, strict=True):
                rows[name].append(value)
        yield Batch(samples=pa.table(rows, schema=SAMPLE_SCHEMA))

    def categories(self) -> list[tuple[Any, ...]]:
        """The classes, as the dataset's categories."""
        return [(name, None) for name in self.found.classes.names]

    def feature_rows(self) -> dict[str, pa.Table]:
        """The classes and the ground-truth masks (by the samples' numbering of
        :meth:`batches`), which the dataset writer adds in the transaction that makes the
        dataset appear: a failure writing them leaves no dataset without its masks."""
        classes = self.found.classes
        rows = [(index, pair.mask) for index, (pair, _, _) in enumerate(self.sized)]
        return {
            **class_rows(classes),
            **mask_rows(GROUND_TRUTH, rows, classes, self.found.layout, sample_key="sample_index"),
        }


def sized_pairs(found: SemanticSource, report: IngestReport) -> list[tuple[MaskPair, int, int]]:
    """``found``'s pairs with their image's width and height (from its header, as
    displayed), less those whose mask is another size. Every mask is read whole
    (:func:`.mask_checks.checked_shapes`): one that is no label map (an RGB colour
    mask, but where the layout's masks are painted in its classes' colours), holds a value
    of no class or a colour of no class is an :class:`IngestError` before anything is
    written, where it would be refused by every evaluation or left out of every metric
    silently. A mask of another size: each such pair is a
    ``semantic_size_mismatch`` warning naming both sizes, and is left out (its overlay and
    its pixels' classes would be misplaced); none left is an :class:`IngestError`. An image
    whose header cannot be read is sized by its mask (``semantic_image_unreadable``). No
    pixel of a class but class 0 in any mask is a ``semantic_background_only`` warning."""
    kept, differ = [], []
    classes = found.classes
    colors = painted_colors(found.layout, classes.colors[: len(classes.names)])
    fix = VOC_COLOR_FIX if found.layout == "voc" else COLOR_FIX
    scored = threading.Event()
    shapes = checked_shapes(
        [pair.mask for pair in found.pairs], classes, colors=colors, color_fix=fix, scored=scored
    )
    if len(classes.names) > 1 and not scored.is_set():
        # binary masks saved as 0 and 255 (ISIC, Kvasir-SEG): their foreground is VOC's
        # void, so every metric would be the background's alone
        report.warn(
            "semantic_background_only",
            f"no mask has a pixel of any class but {classes.names[0]!r} (class 0): every "
            "other pixel is void (255, or the ignore index), left out of every metric; "
            "binary masks saved as 0 and 255 need their 255 saved as 1 (mask // 255), "
            "then import again",
        )
    for pair, (height, width) in zip(found.pairs, shapes, strict=True):
        mask = (width, height)
        image = image_size(pair.image, report)
        if image is None:
            report.warn(
                "semantic_image_unreadable",
                "images whose header could not be read (sized by their mask)",
                pair.file_name,
            )
            image = mask
        if image != mask:
            where = os.path.relpath(pair.mask, found.root)
            differ.append(
                f"{pair.file_name}: image {image[0]}x{image[1]}, mask {where} {mask[0]}x{mask[1]}"
            )
            continue
        kept.append((pair, image[0], image[1]))
    if not kept:
        raise IngestError(
            f"{found.root}: every mask's size differs from its image's (first: {differ[0]})"
        )
    if differ:
        report.warn(
            "semantic_size_mismatch",
            "masks whose size differs from their image's (left out: resize or re-export them)",
            count=len(differ),
            examples=differ,
        )
    return kept


def ingest_semantic(
    catalog: Catalog, name: str, found: SemanticSource, check: PathCheck = None
) -> dict[str, Any]:
    """Write dataset ``name`` from ``found``: samples, classes and ground-truth masks;
    ``check`` sees every image and mask first (a server's allowed roots)."""
    from ..catalog.writes.dataset_writer import write_dataset

    check_paths(check, (path for pair in found.pairs for path in (pair.image, pair.mask)))
    samples = SemanticSamples(found)  # every header read: a refusal comes before any write
    summary = write_dataset(catalog, name, samples).to_dict()  # with its masks: feature_rows
    summary["semantic"] = {
        "layout": found.layout,
        "masks": len(samples.sized),
        "classes": len(found.classes.names),
        "masks_without_image": len(found.lone_masks),
        "images_without_mask": len(found.lone_images),
    }
    return summary


_STRIPPED = ("_gtFine_labelIds", "_gtFine_labelTrainIds", "_gtFine_trainIds", "_leftImg8bit")


def image_key(path: str) -> str:
    """How a mask or an image is matched: its stem without Cityscapes' suffixes."""
    stem = Path(path).stem
    for suffix in _STRIPPED:
        stem = stem.removesuffix(suffix)
    return stem


AMBIGUOUS = "semantic_prediction_ambiguous"
"""The report's code of a predicted mask whose name fits several images."""


def _key_parts(path: str) -> list[str]:
    """``path``'s folders and its :func:`image_key`."""
    parts = path.replace("\\", "/").split("/")
    return [*parts[:-1], image_key(parts[-1])]


def match_predictions(
    root: Path, files: list[Path], samples: list[tuple[int, str]], report: IngestReport
) -> list[tuple[int, str]]:
    """``(sample_id, mask)`` for each PNG under ``root`` that names one image of
    ``samples`` (``(sample_id, file_name)``): by the longest end of its path (below
    ``root``, without the extension and Cityscapes' suffixes) that ends an image's path,
    so ``preds/val/a.png`` is ``images/val/a.jpg`` and a flat ``a.png`` is the only image
    named ``a``. A mask whose name ends several images' paths (``a.png`` for
    ``images/train/a.jpg`` and ``images/val/a.jpg``) or none is counted in ``report``, not
    stored; two masks of one image are an :class:`IngestError` naming both."""
    ends: dict[str, set[int]] = {}
    for sid, file_name in samples:
        parts = _key_parts(file_name)
        for k in range(len(parts)):
            ends.setdefault("/".join(parts[k:]), set()).add(sid)
    names = dict(samples)
    found: dict[int, str] = {}
    lone, ambiguous = [], []
    for path in files:
        where = path.relative_to(root).as_posix()
        parts = _key_parts(where)
        keys = ("/".join(parts[k:]) for k in range(len(parts)))
        hits = next((ends[key] for key in keys if key in ends), None)
        if hits is None:
            lone.append(where)
        elif len(hits) > 1:
            ambiguous.append(f"{where}: {', '.join(sorted(names[h] for h in hits)[:3])}")
        else:
            (sid,) = hits
            if sid in found:
                raise IngestError(
                    f"{root}: {Path(found[sid]).relative_to(root).as_posix()} and {where} are "
                    f"both masks of {names[sid]}; keep one of them"
                )
            found[sid] = str(path)
    if lone:
        report.warn(
            "prediction_unknown_image",
            "masks named after no image of the dataset (not stored)",
            count=len(lone),
            examples=lone,
        )
    if ambiguous:
        report.warn(
            AMBIGUOUS,
            "masks whose name fits several images (not stored: put them in folders as the "
            "images are)",
            count=len(ambiguous),
            examples=ambiguous,
        )
    return sorted(found.items())


def _check_predictions(
    rows: list[tuple[int, str]],
    sizes: dict[int, tuple[int, int]],
    encoding: ClassSet,
    indices: bool,
    colors: ColorTable | None,
) -> None:
    """Refuse a model's mask that no evaluation could read: not a label map (an RGB one
    where the ground truth's masks are not painted in the classes' ``colors``), a value
    or colour of no class (:func:`.mask_checks.checked_label_map`), or another size than
    its image (the network's resolution, say), each found here rather than by an
    evaluation that stops at the first."""
    how = "" if indices else " (or, without --indices, encoded like the ground truth)"
    fix = f"a model's mask holds class indices{how}; fix or leave out the file"
    color_fix = (
        "a model's RGB mask is painted in the dataset's class colours; fix or leave out the file"
    )
    shapes = checked_shapes([location for _, location in rows], encoding, fix, colors, color_fix)
    for (sid, location), (height, width) in zip(rows, shapes, strict=True):
        size = sizes[sid]
        if (width, height) != tuple(size):
            raise IngestError(
                f"{location}: {width}x{height}, its image {size[0]}x{size[1]}: resize the "
                "prediction to its image's size (nearest neighbour, so its values stay classes)"
            )


def ingest_semantic_predictions(
    catalog: Catalog,
    dataset: str,
    model: str,
    folder: str,
    *,
    indices: bool = False,
    check: PathCheck = None,
) -> dict[str, Any]:
    """Record ``model``'s masks: the PNGs under ``folder`` named by their image's path or,
    where one image has that name, its stem (:func:`match_predictions`), encoded like the
    ground truth (its value map) unless ``indices`` (values are class indices already); an
    RGB mask is read through the classes' colours where the ground truth's are.
    A mask whose image is not in the dataset, or that fits several, is counted, not
    stored; none matched fails, and so does a JPEG (or TIFF, BMP, GIF, WebP) named after
    an image or a mask no evaluation could read (:func:`_check_predictions`), the model's
    earlier masks kept.
    ``check`` sees the folder and every mask first (a server's allowed roots)."""
    check_paths(check, [folder])
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise IngestError(f"{folder}: not a folder")
    if model == GROUND_TRUTH:
        raise IngestError(f"{model!r} is reserved; choose another model name")
    files = png_files(root, recursive=True)
    check_paths(check, (str(p) for p in files))
    report = IngestReport()
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        names = read_classes(cur, dataset_id)
        if not names:
            raise NotFoundError(
                f"{dataset!r} has no semantic masks: ingest it with semantic-ingest"
            )
        ignore_index, value_map = read_encoding(cur, dataset_id, GROUND_TRUTH)
        encoding = ClassSet(tuple(names), (), ignore_index, None if indices else value_map)
        samples = cur.execute(
            "SELECT sample_id, file_name FROM samples WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
        lossy = unread_files(root)
        # a JPEG (or TIFF...) named after an image was meant as its mask; others
        # (renderings) are not
        if lossy and match_predictions(root, lossy, samples, IngestReport()):
            raise IngestError(unread_masks_error(root, lossy))
        rows = match_predictions(root, files, samples, report)
        if not files:
            found = sorted({p.suffix.lower() or p.name for p in root.rglob("*") if p.is_file()})
            raise IngestError(
                f"{folder}: no PNG mask under it (found: {', '.join(found[:5]) or 'no file'}); "
                "save each mask as a PNG of class indices named after its image"
            )
        if not rows:
            fits = [w for w in report.warnings if w["code"] == AMBIGUOUS]
            raise IngestError(
                f"{folder}: no mask is named after an image of {dataset!r}"
                + (f" ({fits[0]['count']} fit several images, e.g. {fits[0]['examples'][0]}: "
                   "put them in folders as the images are)" if fits else "")
            )  # fmt: skip
        sizes = dict(
            cur.execute(
                "SELECT sample_id, [width, height] FROM samples WHERE dataset_id = ?", [dataset_id]
            ).fetchall()
        )
        colors = source_colors(cur, dataset_id, GROUND_TRUTH)
        _check_predictions(rows, sizes, encoding, indices, colors)
        # painted like the ground truth: the source's layout says so, for every reader
        painted = colors is not None and any(is_painted(loc, colors) for _, loc in rows)
        layout = PAINTED_PREDICTIONS if painted else PREDICTIONS
        write_masks(cur, dataset_id, model, rows, encoding, layout)
        report.counts.update(predictions=len(rows))
        # listed with the dataset's other models, dated as they are (the masks' own
        # imported_at dates them for the results that fingerprint the masks)
        record_model(
            cur,
            dataset_id,
            model,
            kind=LABEL_MAPS,
            model_format=SemanticSamples.format,
            source=str(root),
            predictions=len(rows),
            report=report.to_dict(),
        )
        types = label_type_counts(cur, dataset_id, model)
    return {
        "dataset": dataset,
        "model": model,
        "masks": len(rows),
        "label_types": types,
        "unmatched": len(files) - len(rows),
        "warnings": report.warnings,
    }
