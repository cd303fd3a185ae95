"""What every format parser hands the catalog writer: the :class:`ParsedSource` protocol.

It lives on the parse side so that parsers (and the worker processes that run them) never
import DuckDB or the catalog; the writer (:mod:`visionlens_jlab.catalog.writes.dataset_writer`)
consumes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pyarrow as pa

from .batches import Batch
from .report import IngestReport


class ParsedSource(Protocol):
    """What a format parser hands the writer."""

    format: str
    source: str  # the annotation path as the user gave it
    media_root: str  # where images resolve
    report: IngestReport
    json_checked: bool
    """Whether the JSON columns its batches type ``arrow.json`` are text this package's own
    parser serialised (the writer then skips DuckDB's validation of them); False for plugin
    formats. Known before :meth:`batches` is called, also for a source parsed in a worker
    process, which sends it with the source's other fields."""

    def batches(self) -> Iterator[Batch]:
        """Yield batches; may report progress through the report's counts."""
        ...

    def categories(self) -> list[tuple[Any, ...]]:
        """``(name, supercategory[, source_category_id[, keypoint_names[, skeleton[,
        keypoint_sigmas[, frequency]]]]])`` in source order, once batches are done."""
        ...


VIDEO_COUNTS = ("videos", "frames", "tracks")
"""The report counts a video source sets (videos, frames of all videos, distinct track
identities), which an ingest's summary and ``ingest --json`` carry at their top level."""


def feature_rows_of(source: Any) -> dict[str, pa.Table]:
    """The rows ``source`` read for feature tables, by table name (its optional
    ``feature_rows()``, once its batches are done; a video's probe and frame mapping), or
    none: a parser without that method (a plugin's, a wrapper) has none."""
    rows = getattr(source, "feature_rows", None)
    return dict(rows()) if callable(rows) else {}
