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
from ..records.image_names import AMBIGUOUS, NameIndex, matched_by_suffix, normalize_name
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
        indexes; labels of images the dataset lacks, or whose name fits several, are a
        report row."""
        names: list[tuple[str, int]] = []
        for batch in self.dataset.batches():
            if batch.samples is not None:
                for name in batch.samples.column("file_name").to_pylist():
                    names.append((name, len(names)))
            yield batch
        rows = classification_rows()
        # the same label twice (two rows naming one image by name and by stem, say) would
        # make the image multi-label, which classification evaluation leaves out
        seen: set[tuple[int, str]] = set()
        keys = _Keys(names)
        for batch in self.labels.batches():
            table = batch.classifications
            if table is None:
                continue
            refs, labels = table.column("image_ref").to_pylist(), table.column("label")
            for ref, label in zip(refs, labels.to_pylist(), strict=True):
                found = keys.find(ref)
                if found == AMBIGUOUS:
                    self.report.warn(
                        "image_label_ambiguous_image",
                        "image labels whose image name fits several images equally (skipped)",
                        ref,
                    )
                elif found is None:
                    self.report.warn(
                        "image_label_unknown_image",
                        "image labels of images that are not in the dataset were skipped",
                        ref,
                    )
                elif (found, label) in seen:
                    self.report.warn(
                        "image_label_duplicate",
                        "image labels repeating an image's label (skipped)",
                        f"{ref}, {label}",
                    )
                else:
                    seen.add((found, label))
                    rows.append(sample_index=found, label=label)
        # the table's own problems (bad rows, empty labels ...) are the dataset's too
        for item in self.labels.report.warnings:
            self.report.warn(item["code"], item["message"], count=item["count"],
                             examples=item["examples"])  # fmt: skip
        for item in self.labels.report.errors:
            self.report.error(item["code"], item["message"], count=item["count"],
                              examples=item["examples"])  # fmt: skip
        yield Batch(classifications=rows.take())


class _Keys:
    """The names an image label may give its image: the file name, its base name or its
    stem, the fullest first; two images giving a name at the same rank (the base name of
    ``train/a.jpg`` and ``val/a.jpg``) make it :data:`AMBIGUOUS`. A name none of these
    is, is read as other tools write it, once each."""

    def __init__(self, names: list[tuple[str, int]]) -> None:
        self._names = names
        ranked: dict[str, tuple[int, int]] = {}  # key: (rank, sample), AMBIGUOUS on a tie
        for name, sample in names:
            base = os.path.basename(name)
            for rank, key in enumerate((name, base, os.path.splitext(base)[0])):
                held = ranked.get(key)
                if held is None or rank < held[0]:
                    ranked[key] = (rank, sample)
                elif rank == held[0] and held[1] != sample:
                    ranked[key] = (rank, AMBIGUOUS)
        self._index = {key: sample for key, (_, sample) in ranked.items()}
        self._located: NameIndex | None = None  # built at the first name read by suffix

    def find(self, ref: object) -> int | None:
        """The position of the sample ``ref`` names, :data:`AMBIGUOUS` or None."""
        if not isinstance(ref, str):
            return None
        if ref in self._index:
            return self._index[ref]
        name = normalize_name(ref)
        found = self._index.get(name)
        if found is None and matched_by_suffix(name):
            if self._located is None:
                self._located = NameIndex(self._names)
            found = self._located.resolve(name)
        if found is not None:
            self._index[ref] = found
        return found
