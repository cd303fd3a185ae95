"""A dataset's source plus a table of image-level labels, as one source.

COCO, YOLO and VOC files have no place for image labels: ``open_dataset(...,
image_labels=table)`` adds them from a (file, label[, score]) CSV or Parquet, read by the
classification ingest (:class:`~.class_table.ClassificationPredictions`) and matched to the
dataset's samples by file name, base name or stem, like a model's image labels, and names
as other tools write them (``./x.jpg``, ``train\\x.jpg``, absolute paths, URLs) by the rule
of :mod:`visionlens_jlab.records.image_names`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..records.batches import Batch
from ..records.image_names import AMBIGUOUS, NameIndex, is_located, normalize_name
from ..records.parsed import ParsedSource
from .object_rows import classification_rows


class WithImageLabels:
    """``dataset``'s batches, then the image labels of ``labels`` as its ground truth."""

    def __init__(self, dataset: ParsedSource, labels: ParsedSource) -> None:
        self.dataset, self.labels = dataset, labels
        self.format, self.source = dataset.format, dataset.source
        self.media_root, self.report = dataset.media_root, dataset.report
        self.json_checked = dataset.json_checked  # the image labels are rows of this package

    def categories(self) -> list[tuple[Any, ...]]:
        """The dataset's categories (the image labels name classes among them or not)."""
        return self.dataset.categories()

    def batches(self) -> Iterator[Batch]:
        """The dataset's batches, then one batch of image labels with their samples'
        indexes; labels of images the dataset lacks are a report row."""
        index: dict[str, int] = {}
        names: list[tuple[str, int]] = []
        count = 0
        for batch in self.dataset.batches():
            if batch.samples is not None:
                for name in batch.samples.column("file_name").to_pylist():
                    base = os.path.basename(name)
                    for key in (os.path.splitext(base)[0], base, name):  # the fullest wins
                        index[key] = count
                    names.append((name, count))
                    count += 1
            yield batch
        rows = classification_rows()
        # the same label twice (two rows naming one image by name and by stem, say) would
        # make the image multi-label, which classification evaluation leaves out
        seen: set[tuple[int, str]] = set()
        located = _Located(names)
        for batch in self.labels.batches():
            table = batch.classifications
            if table is None:
                continue
            refs, labels = table.column("image_ref").to_pylist(), table.column("label")
            for ref, label in zip(refs, labels.to_pylist(), strict=True):
                if ref not in index and located.add(ref, index) == AMBIGUOUS:
                    self.report.warn(
                        "image_label_ambiguous_image",
                        "image labels whose image path fits several images equally (skipped)",
                        ref,
                    )
                elif ref in index and (index[ref], label) in seen:
                    self.report.warn(
                        "image_label_duplicate",
                        "image labels repeating an image's label (skipped)",
                        f"{ref}, {label}",
                    )
                elif ref in index:
                    seen.add((index[ref], label))
                    rows.append(sample_index=index[ref], label=label)
                else:
                    self.report.warn(
                        "image_label_unknown_image",
                        "image labels of images that are not in the dataset were skipped",
                        ref,
                    )
        # the table's own problems (bad rows, empty labels ...) are the dataset's too
        for item in self.labels.report.warnings:
            self.report.warn(item["code"], item["message"], count=item["count"],
                             examples=item["examples"])  # fmt: skip
        for item in self.labels.report.errors:
            self.report.error(item["code"], item["message"], count=item["count"],
                              examples=item["examples"])  # fmt: skip
        yield Batch(classifications=rows.take())


class _Located:
    """Image label names as other tools write them, resolved once each into the index."""

    def __init__(self, names: list[tuple[str, int]]) -> None:
        self._names = names
        self._index: NameIndex | None = None  # built at the first located name

    def add(self, ref: object, index: dict[str, int]) -> int | None:
        """Add ``ref`` to ``index`` when normalized or located it names one sample; return
        that sample's position, :data:`AMBIGUOUS` or None."""
        if not isinstance(ref, str):
            return None
        name = normalize_name(ref)
        if name in index:
            found: int | None = index[name]
        elif is_located(name):
            if self._index is None:
                self._index = NameIndex(self._names)
            found = self._index.resolve(name)
        else:
            found = None
        if found is not None and found != AMBIGUOUS:
            index[ref] = found
        return found
