"""What a finished ingest reports: :class:`IngestSummary` (the counts, the parser's warnings
and errors) and, when a source yields nothing usable, the message that says why
(:func:`nothing_read`). The writers (:mod:`.dataset_writer`) build both from a
:class:`~visionlens_jlab.records.parsed.ParsedSource`'s report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...records.parsed import ParsedSource


@dataclass
class IngestSummary:
    """What the CLI prints with ``--json`` and the REST API returns for a finished job."""

    dataset: str
    samples: int = 0
    annotations: int = 0
    categories: int = 0
    predictions: int = 0
    model: str | None = None
    label_types: dict[str, int] | None = None  # label_type_counts of what was written
    video_counts: dict[str, int] | None = None  # videos, frames, tracks of a video source
    warnings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "dataset": self.dataset,
            "samples": self.samples,
            "annotations": self.annotations,
            "categories": self.categories,
            "predictions": self.predictions,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        if self.model is not None:
            out["model"] = self.model
        if self.label_types is not None:
            out["label_types"] = self.label_types
        out.update(self.video_counts or {})
        return out


def nothing_read(parsed: ParsedSource) -> str:
    """Why ``parsed`` gave nothing to write: its errors and warnings, two examples each."""
    problems = "; ".join(
        f"{e['code']}: {e['message']} (e.g. {', '.join(e['examples'][:2])})"
        for e in parsed.report.errors + parsed.report.warnings
    )
    message = f"nothing usable could be read from {parsed.source} as {parsed.format}"
    return f"{message}: {problems}" if problems else message
