"""Bounds on what one ingest may write: classes per dataset, labels per image.

A source far past them is a mistake or an attack (a COCO file of a million categories):
every class list, legend and facet would carry it, and a million boxes on one image make
its view useless. Such an ingest is refused with a clear error, rolled back whole. The
labels-per-image bound holds for an imported prediction set too (a model's labels).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ...records.report import IngestError
from ..store.schema import GROUND_TRUTH

DEFAULT_MAX_CATEGORIES = 100_000
"""Well above the largest class lists in use (ImageNet-21k: ~21K; iNaturalist: ~10K)."""
DEFAULT_MAX_LABELS_PER_IMAGE = 10_000
"""Well above the densest detection sets (SKU-110K, VisDrone: under 1,000 boxes an image)."""


@dataclass(frozen=True)
class IngestLimits:
    """The bounds of one ingest (the server's ``max_categories`` and
    ``max_labels_per_image``); 0 lifts a bound."""

    max_categories: int = DEFAULT_MAX_CATEGORIES
    max_labels_per_image: int = DEFAULT_MAX_LABELS_PER_IMAGE

    def check_categories(self, count: int, source: str) -> None:
        """Raise :class:`IngestError` when ``source`` declares more classes than allowed."""
        if self.max_categories and count > self.max_categories:
            raise IngestError(
                f"{source} declares {count:,} classes, more than the {self.max_categories:,} "
                "an ingest may hold: fix the source's class list, or raise the bound "
                "(c.VisionLensApp.max_categories on a server)"
            )

    def check_labels_per_image(
        self,
        cur: duckdb.DuckDBPyConnection,
        dataset_id: int,
        source: str,
        labels: str = GROUND_TRUTH,
    ) -> None:
        """Raise :class:`IngestError` when an image of the dataset being written has more
        labels (objects and image labels) of ``labels`` (the ground truth, or a model's
        name: its predictions) than allowed; names the first such image."""
        if not self.max_labels_per_image:
            return
        found = cur.execute(
            """
            SELECT s.file_name, l.n FROM (
                SELECT sample_id, count(*) AS n FROM (
                    SELECT sample_id FROM annotations
                    WHERE dataset_id = $id AND source = $labels
                    UNION ALL
                    SELECT sample_id FROM classifications
                    WHERE dataset_id = $id AND source = $labels
                ) GROUP BY sample_id HAVING count(*) > $most
            ) l JOIN samples s USING (sample_id)
            ORDER BY l.n DESC, s.file_name LIMIT 1
            """,
            {"id": dataset_id, "labels": labels, "most": self.max_labels_per_image},
        ).fetchone()
        if found:
            what = "labels" if labels == GROUND_TRUTH else f"predictions of {labels!r}"
            raise IngestError(
                f"{source}: the image {found[0]!r} has {found[1]:,} {what}, more than the "
                f"{self.max_labels_per_image:,} labels an image may hold: fix the source, or "
                "raise the bound (c.VisionLensApp.max_labels_per_image on a server)"
            )
