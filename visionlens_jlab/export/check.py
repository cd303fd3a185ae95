"""The checks an export makes before it reads the view: the options, the output folder, the
dataset, its source and the class subset. A server runs them before it queues an export job,
so a bad request is refused at once instead of failing in the jobs list."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..catalog.reads.export_queries import export_categories, export_label_names
from ..formats import EXPORT_FORMATS, names
from .destination import resolve_out
from .errors import ExportError
from .media_files import dataset_media_roots
from .splits import parse_ratios
from .staging import IMAGE_MODES, check_out
from .video_frames import FrameChoice, check_only_frames, has_videos, parse_frames
from .view import check_classes, check_source, version_position_of

FORMATS = names(EXPORT_FORMATS)


def check_options(
    fmt: str, images: str, splits: str | dict[str, float] | None, frames: str | None = None
) -> tuple[dict[str, float] | None, FrameChoice | None]:
    """Refuse an unknown format or images mode, malformed split ratios and a malformed
    ``frames`` choice; returns the ratios normalised to sum 1 (``None``: keep the catalog's
    splits) and the frames choice (``None``: the default)."""
    choice = parse_frames(frames)
    return _ratios(fmt, images, splits), choice


def _ratios(
    fmt: str, images: str, splits: str | dict[str, float] | None
) -> dict[str, float] | None:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if images not in IMAGE_MODES:
        raise ExportError(f"images must be one of {', '.join(IMAGE_MODES)}, not {images!r}")
    if splits is None or isinstance(splits, str):
        return parse_ratios(splits) if splits else None
    if not splits or not all(
        isinstance(name, str)
        and name.strip()
        and isinstance(r, int | float)
        and not isinstance(r, bool)
        and math.isfinite(r)
        and r >= 0
        for name, r in splits.items()
    ):
        raise ExportError("splits: expected split names with ratios >= 0, like train=0.8,val=0.2")
    total = sum(splits.values())
    if total <= 0:
        raise ExportError("splits: the ratios sum to 0")
    return {name.strip(): r / total for name, r in splits.items()}


def check_export(
    catalog: Catalog,
    dataset: str,
    fmt: str,
    out: str | Path,
    *,
    source: str,
    min_score: float | None = None,
    classes: list[str] | None = None,
    splits: str | dict[str, float] | None = None,
    images: str = "copy",
    overwrite: bool = False,
    version: int | None = None,
    frames: str | None = None,
    spec: dict[str, Any] | None = None,
    allowed_roots: Sequence[str] = (),
    protected: Sequence[str] = (),
) -> None:
    """Everything :func:`~.run.export_view` would refuse before writing, checked with a few
    small catalog reads (the datasets' media roots, the classes, the source's label names,
    the version; for a video format, that every sample of the view ``spec`` is a frame): :class:`ExportError` (:class:`~.destination.OutNotAllowedError` for an
    ``out`` outside ``allowed_roots``), or the catalog's ``NotFoundError`` / ``FilterError``
    for an unknown dataset, version or source."""
    choice = check_options(fmt, images, splits, frames)[1]
    check_source(source, min_score)
    media_roots = dataset_media_roots(catalog, dataset)[1]
    real = resolve_out(out, roots=allowed_roots, protected=protected, media_roots=media_roots)
    check_out(real, overwrite)
    version_position_of(catalog, dataset, version, source)
    if has_videos(catalog, dataset, fmt, choice):
        check_only_frames(catalog, dataset, fmt, spec, version)
    names = [c["name"] for c in export_categories(catalog, dataset)]
    labels = export_label_names(catalog, dataset, source)
    if classes:
        check_classes(classes, [*names, *sorted(set(labels) - set(names))])
