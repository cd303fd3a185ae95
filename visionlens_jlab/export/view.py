"""The rows an export writes: the view's samples, their labels of one source and the
dataset's classes, read through the catalog's export queries (never its tables).

Labels are kept as Arrow columns grouped by sample (``starts``): a 700K-box view stays a few
columnar arrays, not 700K dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH, Catalog
from ..catalog.reads.export_queries import (
    export_annotations,
    export_categories,
    export_classifications,
    export_samples,
)
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


@dataclass
class ExportView:
    """Everything a writer needs: samples (columns as lists), objects, image labels and the
    class list whose positions are the stable class ids."""

    dataset: str
    source: str
    samples: dict[str, list[Any]]
    objects: Labels
    classifications: Labels
    categories: list[dict[str, Any]]
    class_names: list[str]

    @property
    def num_samples(self) -> int:
        """How many samples the view holds."""
        return len(self.samples["sample_id"])

    @property
    def predictions(self) -> bool:
        """Whether the labels are a model's (they carry scores)."""
        return self.source != GROUND_TRUTH


def read_view(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    source: str = GROUND_TRUTH,
    min_score: float | None = None,
    classes: list[str] | None = None,
) -> ExportView:
    """Read the samples matching ``spec`` and their labels of ``source`` (ground truth or
    a model's, at ``min_score`` or above), limited to ``classes`` when given. An empty view,
    an unknown source or class is an :class:`ExportError`."""
    check_source(source, min_score)
    categories = export_categories(catalog, dataset)
    with export_samples(catalog, dataset, spec) as exp:
        samples_table = exp.reader.read_all().select(list(SAMPLE_COLUMNS))
    if samples_table.num_rows == 0:
        raise ExportError(f"the view of {dataset!r} selects no samples: nothing to export")
    with export_annotations(catalog, dataset, spec, source) as exp:
        objects = exp.reader.read_all()
    with export_classifications(catalog, dataset, spec, source) as exp:
        image_labels = exp.reader.read_all()
    names = [c["name"] for c in categories]
    extra = sorted(
        (set(pc.unique(objects["label"]).to_pylist()) | set(image_labels["label"].to_pylist()))
        - set(names)
    )
    names += extra  # a model's classes outside the dataset's list follow it, sorted
    if classes:
        check_classes(classes, names)
        wanted = pa.array(sorted(set(classes)))
        objects = objects.filter(pc.is_in(objects["label"], wanted))
        image_labels = image_labels.filter(pc.is_in(image_labels["label"], wanted))
    if min_score is not None:
        objects = objects.filter(pc.greater_equal(objects["score"], min_score))
        image_labels = image_labels.filter(pc.greater_equal(image_labels["score"], min_score))
    return ExportView(
        dataset=dataset,
        source=source,
        samples={name: samples_table.column(name).to_pylist() for name in SAMPLE_COLUMNS},
        objects=_grouped(objects),
        classifications=_grouped(image_labels),
        categories=categories,
        class_names=names,
    )


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
