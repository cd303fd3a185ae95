"""The rows an export writes: the view's samples, their labels of one source and the
dataset's classes, read through the catalog's export queries (never its tables).

Samples and image-level labels are read whole (a few columns per sample). Objects are read
a batch of whole samples at a time (:meth:`Objects.batches`), only the columns a format
writes, and kept as Arrow columns grouped by sample (``starts``): a 700K-box view is never
in memory at once, and a batch is a few columnar arrays, not dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH, Catalog
from ..catalog.reads.export_objects import (
    ObjectSelection,
    object_chunks,
    object_groups,
    object_shapes,
    plain_source_ids,
)
from ..catalog.reads.export_queries import (
    export_categories,
    export_classifications,
    export_samples,
)
from ..catalog.tables.labels_at import replaced_sources, version_position
from .errors import ExportError

SAMPLE_COLUMNS = (
    "sample_id",
    "file_name",
    "location",
    "width",
    "height",
    "split",
    "source_image_id",
    "tags",
    "fields",
)
BATCH_OBJECTS = 16_384
"""Objects read (and written) at a time; a sample with more is a batch of its own."""
BATCH_SAMPLES = 16_384
"""Samples in a batch at most: a batch's files (YOLO's label texts) are held until written."""


@dataclass
class Labels:
    """Rows of one label table sorted by sample, with each sample's row range."""

    table: pa.Table
    starts: dict[int, tuple[int, int]] = field(default_factory=dict)

    def column(self, name: str) -> list[Any]:
        """One column as Python values (None for nulls)."""
        return self.table.column(name).to_pylist()

    def __len__(self) -> int:
        return self.table.num_rows


class Objects:
    """The view's objects of one source (after the class and score filters), read a batch
    of whole samples at a time: a sample's objects are never split across two batches."""

    def __init__(self, catalog: Catalog, sel: ObjectSelection, sample_ids: list[int]) -> None:
        self._catalog, self._sel, self._ids = catalog, sel, sample_ids
        self._id_array = pa.array(sample_ids, pa.int64())
        counts = self._groups(["sample_id"])
        self.counts: dict[int, int] = dict(
            zip(counts["sample_id"].to_pylist(), counts["n"].to_pylist(), strict=True)
        )
        """Each sample's object count (samples with objects only)."""
        self._total = sum(self.counts.values())
        self.progress: Callable[[int, int], None] | None = None
        """Told ``(samples written, samples in the view)`` each time a writer asks for the
        next batch (so the previous one is written); what it raises (a cancelled job) stops
        the writer there."""

    def __len__(self) -> int:
        return self._total

    def subset(self, sample_ids: list[int]) -> Objects:
        """The same selection limited to ``sample_ids`` (a few of the view's left out)."""
        return Objects(self._catalog, self._sel, sample_ids)

    def _groups(self, keys: list[str]) -> pa.Table:
        return object_groups(self._catalog, self._sel, self._id_array, keys)

    def labels(self) -> list[str]:
        """The classes the objects have, sorted."""
        return list(self._groups(["label"])["label"].to_pylist())

    def sample_labels(self) -> pa.Table:
        """``(sample_id, label, n)``: each class each sample has objects of."""
        return self._groups(["sample_id", "label"])

    def shapes(self) -> tuple[set[int], bool]:
        """The keypoint counts the objects have, and whether any has a polygon."""
        return object_shapes(self._catalog, self._sel, self._id_array)

    def plain_source_ids(self) -> bool:
        """Whether the objects' source ids are plain unique integers (COCO keeps them)."""
        return plain_source_ids(self._catalog, self._sel, self._id_array)

    def batches(self, columns: Sequence[str] | None) -> Iterator[tuple[int, int, Labels]]:
        """``(begin, end, labels)``: the objects of the view's samples ``begin:end`` (in the
        view's order), ``columns`` only (None: every column the catalog keeps per object,
        its latest evaluation included). Every sample is in exactly one batch."""
        ids, counts = self._ids, [self.counts.get(sid, 0) for sid in self._ids]
        if columns is not None and "sample_id" not in columns:
            columns = ["sample_id", *columns]  # the batch's groups
        with object_chunks(self._catalog, self._sel, columns) as read:
            begin = 0
            while begin < len(ids):
                end, size = begin + 1, counts[begin]
                while (
                    end < len(ids)
                    and end - begin < BATCH_SAMPLES
                    and size + counts[end] <= BATCH_OBJECTS
                ):
                    size += counts[end]
                    end += 1
                yield begin, end, _grouped(read(pa.array(ids[begin:end], pa.int64())))
                begin = end
                if self.progress is not None:
                    self.progress(end, len(ids))


@dataclass
class ExportView:
    """Everything a writer needs: samples (columns as lists), objects (read in batches),
    image labels and the class list whose positions are the stable class ids."""

    dataset: str
    source: str
    samples: dict[str, list[Any]]
    objects: Objects
    classifications: Labels
    categories: list[dict[str, Any]]
    class_names: list[str]
    frames: bool = False
    """The samples are video frames whose ``file_name`` is ``<video stem>/<frame number>``
    plus a suffix (:mod:`.video_frames`): formats keep that folder."""

    @property
    def num_samples(self) -> int:
        """How many samples the view holds."""
        return len(self.samples["sample_id"])

    @property
    def predictions(self) -> bool:
        """Whether the labels are a model's (they carry scores)."""
        return self.source != GROUND_TRUTH

    def keep(self, positions: list[int], locations: list[str]) -> ExportView:
        """The view of the samples at ``positions`` only, read from ``locations`` (one per
        kept sample), their labels with them; the classes stay (their ids too)."""
        samples = {name: [column[i] for i in positions] for name, column in self.samples.items()}
        samples["location"] = list(locations)
        table = self.classifications.table
        image_labels = table.filter(pc.is_in(table["sample_id"], pa.array(samples["sample_id"])))
        return ExportView(
            dataset=self.dataset,
            source=self.source,
            samples=samples,
            objects=self.objects.subset(samples["sample_id"]),
            classifications=_grouped(image_labels),
            categories=self.categories,
            class_names=self.class_names,
            frames=self.frames,
        )

    def sample_labels(self) -> dict[int, list[str]]:
        """The classes of each sample's labels (objects and image labels), each once."""
        labels: dict[int, list[str]] = {}
        for table in (self.objects.sample_labels(), self.classifications.table):
            ids, names = table["sample_id"].to_pylist(), table["label"].to_pylist()
            for sid, name in zip(ids, names, strict=True):
                labels.setdefault(sid, []).append(name)
        return {sid: list(dict.fromkeys(names)) for sid, names in labels.items()}


def read_view(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    source: str = GROUND_TRUTH,
    min_score: float | None = None,
    classes: list[str] | None = None,
    version: int | None = None,
) -> ExportView:
    """Read the samples matching ``spec`` and their labels of ``source`` (ground truth or
    a model's, at ``min_score`` or above), limited to ``classes`` when given, as they were
    at ``version`` when given, the samples' tags too (the filter selects samples as they
    are now). An empty view, an unknown source or class is an :class:`ExportError`, an
    unknown version the catalog's ``NotFoundError``."""
    check_source(source, min_score)
    position = version_position_of(catalog, dataset, version, source)
    categories = export_categories(catalog, dataset)
    with export_samples(catalog, dataset, spec, box_counts=False, position=position) as exp:
        samples_table = exp.reader.read_all().select(list(SAMPLE_COLUMNS))
    if samples_table.num_rows == 0:
        raise ExportError(f"the view of {dataset!r} selects no samples: nothing to export")
    # checks the source; the image labels at the version, like the objects
    with export_classifications(catalog, dataset, spec, source, position) as exp:
        image_labels = exp.reader.read_all()
    samples = {name: samples_table.column(name).to_pylist() for name in SAMPLE_COLUMNS}
    ids = samples_table.column("sample_id")
    every = object_groups(
        catalog,
        ObjectSelection(dataset, source, position=position),
        ids.combine_chunks(),
        ["label"],
    )
    names = [c["name"] for c in categories]
    extra = sorted(
        (set(every["label"].to_pylist()) | set(image_labels["label"].to_pylist())) - set(names)
    )
    names += extra  # a model's classes outside the dataset's list follow it, sorted
    if classes:
        check_classes(classes, names)
        wanted = pa.array(sorted(set(classes)))
        image_labels = image_labels.filter(pc.is_in(image_labels["label"], wanted))
    if min_score is not None:
        image_labels = image_labels.filter(pc.greater_equal(image_labels["score"], min_score))
    sel = ObjectSelection(
        dataset, source, tuple(sorted(set(classes))) if classes else None, min_score, position
    )
    return ExportView(
        dataset=dataset,
        source=source,
        samples=samples,
        objects=Objects(catalog, sel, samples["sample_id"]),
        classifications=_grouped(image_labels),
        categories=categories,
        class_names=names,
    )


def version_position_of(
    catalog: Catalog, dataset: str, version: int | None, source: str
) -> int | None:
    """The operation log's position of ``version`` (None: the current labels), refusing a
    version that is not a number and one whose labels of ``source`` cannot be rebuilt (a
    model imported again after it was named)."""
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ExportError(f"a version is a number of `visionlens versions`, not {version!r}")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        position = version_position(cur, dataset_id, version)
        if replaced_sources(cur, dataset_id, version, [source]):
            raise ExportError(
                f"the predictions of {source} were imported after version {version}: that "
                "version's predictions of it are gone (export its ground truth, or a later "
                "version)"
            )
    return position


def check_source(source: str, min_score: float | None) -> None:
    """Refuse a source an export cannot write (``predictions``: several models at once) and
    a score threshold on ground truth."""
    if source == "predictions":
        raise ExportError("--source takes 'ground_truth' or one model's name, not 'predictions'")
    if min_score is not None and source == GROUND_TRUTH:
        raise ExportError("--min-score applies to a model's labels: add --source MODEL")


def check_classes(classes: list[str], names: list[str]) -> None:
    """Refuse a class subset naming classes outside ``names`` (the dataset's and the
    source's), listing the known ones."""
    unknown = sorted(set(classes) - set(names))
    if unknown:
        raise ExportError(
            f"unknown classes {', '.join(map(repr, unknown))}: the dataset's are "
            + ", ".join(names[:20])
            + (" ..." if len(names) > 20 else "")
        )


def _grouped(table: pa.Table) -> Labels:
    """``table`` sorted by sample id (stable: each sample keeps its rows' order) with the
    row range of every sample."""
    if table.num_rows == 0:
        return Labels(table, {})
    ids = table.column("sample_id").to_numpy()
    if (np.diff(ids) < 0).any():  # ingest order is by sample already: sort only if not
        table = table.take(pc.sort_indices(table, [("sample_id", "ascending")]))
        ids = table.column("sample_id").to_numpy()
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(ids)) + 1, [len(ids)])).tolist()
    starts = {int(ids[b]): (b, e) for b, e in zip(bounds[:-1], bounds[1:], strict=True)}
    return Labels(table, starts)
