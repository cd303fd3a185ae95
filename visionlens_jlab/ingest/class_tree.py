"""Image classification as a folder tree: ``<class>/<image>``, optionally under split folders
(``train/<class>/<image>``, ...), as FiftyOne's ImageClassificationDirectoryTree writes it
(its ``_unlabeled`` folder holds images without a label).

Every image becomes a sample with one ground-truth classification (its folder's name);
images of ``_unlabeled`` and images directly in the root or a split folder get none (counted).
A class list (``classes.txt``, ``labels.txt`` ... at the root) makes a folder that is not one
of its classes a warning (its images are kept, with the folder's name as their label).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..records.batches import Batch
from ..records.report import IngestError
from .base import SAMPLE_BATCH_ROWS, SPLIT_FOLDERS, ParsedBase, SampleRows
from .class_names import names_beside
from .images import IMAGE_EXTENSIONS, utf8_names
from .object_rows import classification_rows
from .prefetch import prefetch

UNLABELED = "_unlabeled"


def _folders(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []


def _has_images(path: str) -> bool:
    for _, _, files in os.walk(path):
        if any(f.lower().endswith(IMAGE_EXTENSIONS) for f in files):
            return True
    return False


def tree_splits(path: str, min_classes: int = 1) -> list[tuple[str | None, str]] | None:
    """``(split, folder)`` pairs whose subfolders are classes, or None when ``path`` does not
    look like a classification tree: a folder of at least ``min_classes`` folders that hold
    images (auto-detection asks for 2, so a lone ``images/`` folder is not one class)."""
    folders = _folders(path)
    if not folders:
        return None
    if all(f.lower() in SPLIT_FOLDERS for f in folders):
        pairs: list[tuple[str | None, str]] = [
            (SPLIT_FOLDERS[f.lower()], os.path.join(path, f)) for f in folders
        ]
        # a split without class folders holds unlabeled images (a test split, say); split
        # folders of which none has class folders are not classes named train and val
        classes = {c for _, folder in pairs for c in _folders(folder)}
        return pairs if len(classes) >= min_classes else None
    if sum(_has_images(os.path.join(path, f)) for f in folders) >= min_classes:
        return [(None, path)]
    return None


class ClassificationTree(ParsedBase):
    """A folder-per-class tree as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(self, path: str, split: str | None = None) -> None:
        path = os.path.abspath(path)
        super().__init__("classification", path, path)
        pairs = tree_splits(path)
        if pairs is None:
            raise IngestError(
                f"{path} is not a classification tree: expected <class>/<image> folders, "
                "optionally under train/ val/ test/"
            )
        if split and pairs[0][0] is not None:
            known = sorted({s for s, _ in pairs if s})
            pairs = [p for p in pairs if p[0] == split]
            if not pairs:
                raise IngestError(f"split {split!r} not found (available: {', '.join(known)})")
        self.pairs, self.split = pairs, split
        self.known = names_beside(path)
        for name in self.known or []:
            self.add_class(name)

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        samples, labels = SampleRows(), classification_rows()
        unlabeled = 0
        for split, folder in self.pairs:
            split = split or self.split
            unlabeled += self._loose_images(folder, split, samples)
            for name in utf8_names(_folders(folder), folder, self.report):
                label = None if name == UNLABELED else name
                if label is not None and self.known is not None and label not in self.known:
                    self.report.warn(
                        "classification_unknown_class",
                        "class folders not in the class list (kept with the folder's name)",
                        os.path.relpath(os.path.join(folder, name), self.source),
                    )
                if label is not None:
                    self.add_class(label)
                for file_name in self._images(os.path.join(folder, name)):
                    idx = self.add_image(file_name, split, samples)
                    if label is None:
                        unlabeled += 1
                    else:
                        labels.append(sample_index=idx, label=label)
                    if len(samples) >= SAMPLE_BATCH_ROWS:
                        yield Batch(samples=samples.take(), classifications=labels.take())
        self.report.counts["unlabeled_images"] = unlabeled
        yield Batch(samples=samples.take(), classifications=labels.take())

    def _images(self, folder: str) -> Iterator[str]:
        """Image paths under ``folder`` (recursively), relative to the root, sorted."""
        for top, dirs, files in os.walk(folder):
            dirs[:] = sorted(utf8_names(dirs, top, self.report))
            for name in sorted(utf8_names(files, top, self.report)):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    yield os.path.relpath(os.path.join(top, name), self.source)

    def _loose_images(self, folder: str, split: str | None, samples: SampleRows) -> int:
        """Images directly in the root or a split folder: samples without a label."""
        loose = sorted(
            utf8_names(
                (
                    e.name
                    for e in os.scandir(folder)
                    if e.is_file() and e.name.lower().endswith(IMAGE_EXTENSIONS)
                ),
                folder,
                self.report,
            )
        )
        for name in loose:
            self.add_image(os.path.relpath(os.path.join(folder, name), self.source), split, samples)
        if loose:
            self.report.warn(
                "classification_image_outside_class",
                "images outside any class folder (ingested without a label)",
                count=len(loose),
                examples=loose,
            )
        return len(loose)
