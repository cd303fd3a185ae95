"""One export: read the view, draw or keep the splits, write the format's files and the
images into a staging folder, and rename it to ``out`` once everything is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import GROUND_TRUTH, Catalog
from .check import check_options
from .classification import write_classification
from .coco import write_coco
from .cvat_video import write_cvat_video
from .destination import resolve_out
from .dota import write_dota
from .media_files import Skipped, confine_images, dataset_media_roots
from .mot import write_mot
from .parquet_files import write_parquet
from .splits import draw_splits
from .staging import check_out, count_files, place_images, staged, write_texts
from .video_frames import (
    LABELLED,
    VideoFrames,
    frames_to_read,
    has_videos,
    labelled_only,
    named_frames,
    read_frames,
    refuse_stills,
)
from .view import ExportView, read_view
from .voc import write_voc
from .yolo import write_yolo

ExportProgress = Callable[[str, int, int, float], None]
"""``progress(stage, done, total, fraction)``: the export entered ``stage`` (``reading``,
``writing``, ``images``) and has done ``done`` of its ``total`` items (``total`` 0: a stage
without an item count), ``fraction`` of the whole export. It may raise to stop the export
(a cancelled job): nothing is left behind then either."""


@dataclass
class ExportResult:
    """What ``visionlens export --json`` prints."""

    out: str
    format: str
    samples: int
    annotations: int
    files: int
    refused: int = 0
    """Samples left out: their image lies outside the dataset's media root."""
    bad_names: int = 0
    """Samples left out: their file name cannot exist on a file system."""
    skipped: list[dict[str, Any]] = field(default_factory=list)
    """``{"sample_id", "error"}`` of the samples left out (the first 100)."""

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
    version: int | None = None,
    frames: str | None = None,
    progress: ExportProgress | None = None,
    allowed_roots: Sequence[str] = (),
    protected: Sequence[str] = (),
) -> ExportResult:
    """Export the samples of ``dataset`` matching the filter ``spec`` to ``out`` as ``fmt``
    (one of :data:`FORMATS`), with the labels of ``source`` (ground truth or a model, its
    objects at ``min_score`` or above), only ``classes`` when given, the catalog's splits or
    ones re-drawn from ``splits`` ratios (``"train=0.8,val=0.2"``) and ``seed``, and the
    images copied, symlinked or not written (``images``); the labels as they were at
    ``version`` (a number of ``visionlens versions``) when given. A non-empty ``out`` is refused
    unless ``overwrite``; any failure leaves ``out`` as it was (:class:`ExportError` for bad
    input). ``progress`` hears each stage and the images placed (see :data:`ExportProgress`).

    ``out`` is resolved here, once, and must lie inside ``allowed_roots`` when given (a
    server's: checked again now, as a request's folder may have been swapped for a symlink
    since it was checked) and must not be or hold a ``protected`` folder or a dataset's
    images (:func:`~.destination.resolve_out`).
    Copied or linked images are only those the image route serves: a sample whose image
    lies outside the dataset's media root is left out and named in the result.
    """
    report = progress or _quiet
    ratios, choice = check_options(fmt, images, splits, frames)
    own_root, media_roots = dataset_media_roots(catalog, dataset)
    out = resolve_out(out, roots=allowed_roots, protected=protected, media_roots=media_roots)
    check_out(out, overwrite)  # before the reads: a refused folder costs nothing
    report("reading", 0, 0, 0.0)
    view = read_view(catalog, dataset, spec, source, min_score, classes, version)
    video_frames = None
    if has_videos(catalog, dataset, fmt, choice):
        video_frames = read_frames(catalog, dataset, view)
        # before a file is staged: a writer would otherwise stop at the first still image
        refuse_stills(catalog, fmt, view.samples["sample_id"], list(video_frames.of_sample))
        if choice is None or choice.mode == LABELLED:
            view = labelled_only(view)
        elif video_frames.of_sample:  # every frame (or every K-th) of the view's videos
            ids = frames_to_read(catalog, dataset, video_frames, choice)
            view = read_view(catalog, dataset, {"ids": ids}, source, min_score, classes, version)
            video_frames = read_frames(catalog, dataset, view)
        view = named_frames(view, video_frames)
    skipped = Skipped()
    if images != "none":  # only files read are confined: a labels-only export reads none
        view, skipped = confine_images(view, own_root)
    split_of = _splits(view, ratios, seed)
    # without images the label files are the rest of the export's time
    written = 1.0 if images == "none" else WRITE_SHARE
    report("writing", 0, 0, READ_SHARE)
    view.objects.progress = _writing_progress(report, written)
    with staged(out, overwrite, catalog.data_dir) as root:
        texts: Sequence[tuple[str | Path, str]] = []
        pairs: Sequence[tuple[str, str | Path]]
        if fmt == "coco":
            count, pairs = write_coco(view, root, split_of)
        elif fmt == "yolo":
            count, pairs, texts = write_yolo(view, root, split_of)
        elif fmt == "voc":
            count, pairs, texts = write_voc(view, root, split_of)
        elif fmt == "dota":
            count, pairs = write_dota(view, root, split_of)
        elif fmt == "classification":
            count, pairs = write_classification(view, root, split_of)
        elif fmt == "mot":
            count, pairs, texts = write_mot(view, root, _videos(video_frames))
        elif fmt == "cvat-video":
            count, pairs = write_cvat_video(view, root, _videos(video_frames))
        else:
            count, pairs = write_parquet(view, root, split_of)
        write_texts(texts)
        report("images", 0, len(pairs) if images != "none" else 0, written)
        place_images(pairs, images, _images_progress(report, images))
        files = count_files(root)
    return ExportResult(
        str(out), fmt, view.num_samples, count, files,
        skipped.refused, skipped.bad_names, skipped.samples,
    )  # fmt: skip


READ_SHARE, WRITE_SHARE = 0.1, 0.2
"""Where the stages start in the fraction reported (images take the rest: with thousands of
files they are most of an export's time)."""


def _videos(frames: VideoFrames | None) -> VideoFrames:
    """The view's videos, which a video format's export has read (:func:`has_videos`)."""
    assert frames is not None
    return frames


def _quiet(stage: str, done: int, total: int, fraction: float) -> None:
    """No progress reporting."""


def _writing_progress(report: ExportProgress, until: float) -> Callable[[int, int], None]:
    """The writing stage's share of ``report`` (from :data:`READ_SHARE` to ``until``):
    ``(done, total)`` samples whose labels are written."""

    def wrote(done: int, total: int) -> None:
        report("writing", done, total, READ_SHARE + (until - READ_SHARE) * done / max(total, 1))

    return wrote


def _images_progress(report: ExportProgress, images: str) -> Callable[[int, int], None]:
    """The images stage's share of ``report``: ``(done, total)`` of the files placed."""

    def placed(done: int, total: int) -> None:
        share = 1.0 if images == "none" or not total else done / total
        report("images", done, total, WRITE_SHARE + (1.0 - WRITE_SHARE) * share)

    return placed


def _splits(view: ExportView, ratios: dict[str, float] | None, seed: int) -> dict[int, str | None]:
    """Each sample's split: re-drawn (stratified by its labels' classes) or the catalog's."""
    ids = view.samples["sample_id"]
    if ratios is None:
        return dict(zip(ids, view.samples["split"], strict=True))
    return dict(draw_splits(ids, view.sample_labels(), ratios, seed))
