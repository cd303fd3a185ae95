"""A classification folder tree: ``[<split>/]<class>/<image>`` (FiftyOne's
ImageClassificationDirectoryTree, which ``visionlens ingest`` detects), images without a
label under ``_unlabeled/``. An image takes its first label (ground truth: as stored; a
model's: its best score), so each image is written once."""

from __future__ import annotations

from pathlib import Path

from .errors import ExportError
from .staging import check_folder_names, unique_names
from .view import ExportView

UNLABELED = "_unlabeled"


def write_classification(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]]]:
    """The images of the tree (location, destination) and how many carry a label."""
    c = view.classifications
    if len(c) == 0:
        raise ExportError(
            f"the view of {view.dataset!r} has no image-level labels of {view.source!r}: "
            "nothing to sort into a classification tree"
        )
    labels, scores = c.column("label"), c.column("score")
    check_folder_names(sorted(set(labels)), "classification")
    s = view.samples
    used = {splits.get(sid) for sid in s["sample_id"]}
    if None in used and len(used) > 1:
        raise ExportError(
            "some samples of the view have a split and others none: a classification tree "
            "puts all or none under split folders (re-draw them with --splits)"
        )
    check_folder_names([u for u in used if u is not None], "classification (split)")
    pairs: list[tuple[str, Path]] = []
    labelled = 0
    for i, sid in enumerate(s["sample_id"]):
        begin, end = c.starts.get(sid, (0, 0))
        label = UNLABELED
        if begin < end:
            best = max(range(begin, end), key=lambda j: (scores[j] or 0.0, -j))
            label = labels[best]
            labelled += 1
        split = splits.get(sid)
        folder = root / split / label if split else root / label
        pairs.append(
            (s["location"][i], folder / s["file_name"][i].replace("\\", "/").rsplit("/", 1)[-1])
        )
    unique_names([str(p[1]) for p in pairs], "image")
    return labelled, pairs
