"""One export: read the view, draw or keep the splits, write the format's files and the
images into a staging folder, and rename it to ``out`` once everything is written."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..catalog import GROUND_TRUTH, Catalog
from .classification import write_classification
from .coco import write_coco
from .errors import ExportError
from .parquet_files import write_parquet
from .splits import draw_splits, parse_ratios
from .staging import IMAGE_MODES, check_out, place_images, staged, write_texts
from .view import ExportView, read_view
from .voc import write_voc
from .yolo import write_yolo

FORMATS = ("coco", "yolo", "voc", "classification", "parquet")


@dataclass
class ExportResult:
    """What ``visionlens export --json`` prints."""

    out: str
    format: str
    samples: int
    annotations: int
    files: int

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return asdict(self)


def export_view(
    catalog: Catalog,
    dataset: str,
    fmt: str,
    out: str | Path,
    *,
    spec: dict[str, Any] | None = None,
    source: str = GROUND_TRUTH,
    min_score: float | None = None,
    classes: list[str] | None = None,
    splits: str | dict[str, float] | None = None,
    seed: int = 0,
    images: str = "copy",
    overwrite: bool = False,
) -> ExportResult:
    """Export the samples of ``dataset`` matching the filter ``spec`` to ``out`` as ``fmt``
    (one of :data:`FORMATS`), with the labels of ``source`` (ground truth or a model, its
    objects at ``min_score`` or above), only ``classes`` when given, the catalog's splits or
    ones re-drawn from ``splits`` ratios (``"train=0.8,val=0.2"``) and ``seed``, and the
    images copied, symlinked or not written (``images``). A non-empty ``out`` is refused
    unless ``overwrite``; any failure leaves ``out`` as it was (:class:`ExportError` for bad
    input)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if images not in IMAGE_MODES:
        raise ExportError(f"images must be one of {', '.join(IMAGE_MODES)}, not {images!r}")
    ratios = parse_ratios(splits) if isinstance(splits, str) else splits
    out = Path(out).expanduser().resolve()
    check_out(out, overwrite)  # before the reads: a refused folder costs nothing
    view = read_view(catalog, dataset, spec, source, min_score, classes)
    split_of = _splits(view, ratios, seed)
    with staged(out, overwrite) as root:
        texts: Sequence[tuple[str | Path, str]] = []
        if fmt == "coco":
            count, pairs = write_coco(view, root, split_of)
        elif fmt == "yolo":
            count, pairs, texts = write_yolo(view, root, split_of)
        elif fmt == "voc":
            count, pairs, texts = write_voc(view, root, split_of)
        elif fmt == "classification":
            count, pairs = write_classification(view, root, split_of)
        else:
            count, pairs = write_parquet(view, root, split_of)
        write_texts(texts)
        place_images(pairs, images)
        files = sum(len(names) for _, _, names in os.walk(root))
    return ExportResult(str(out), fmt, view.num_samples, count, files)


def _splits(view: ExportView, ratios: dict[str, float] | None, seed: int) -> dict[int, str | None]:
    """Each sample's split: re-drawn (stratified by its labels' classes) or the catalog's."""
    ids = view.samples["sample_id"]
    if ratios is None:
        return dict(zip(ids, view.samples["split"], strict=True))
    return dict(draw_splits(ids, view.sample_labels(), ratios, seed))
