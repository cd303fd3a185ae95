"""The evaluation report: headline stats, per-class table, PR curves, confusion matrix."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

PER_CLASS_COLUMNS = ["class", "AP", "precision", "recall", "tp", "fp", "fn", "num_gt"]


def _clean(value: Any) -> Any:
    """JSON-safe scalars: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class EvaluationReport:
    """The result of :func:`~visionlens_jlab.evaluate.evaluate_model`.

    ``stats``: COCO: the ``COCOeval.stats`` numbers by name, -1 where undefined, as
    pycocotools (bbox and segm: the 12 ``AP``, ``AP50`` ... ``ARlarge``; keypoints: the 10
    ``AP``, ``AP50``, ``AP75``, ``APmedium``, ``APlarge``, ``AR``, ``AR50``, ``AR75``,
    ``ARmedium``, ``ARlarge``); VOC: ``mAP`` (all-point) and ``mAP_11point``.
    ``per_class``: one row per class with ``class, AP, precision, recall, tp, fp, fn, num_gt``
    (COCO adds ``AP50, AP75`` and ``AR100``, keypoints ``AR20``; VOC adds ``AP_11point``); AP is NaN for classes without
    ground truth; precision/recall/tp/fp/fn are counted at ``iou``.
    ``confusion``: square DataFrame, index = true class, columns = predicted class, both
    ending with ``background``.
    Both tables are pandas DataFrames built on first use from the columns, rows and matrix
    the report holds (``per_class_data``, ``confusion_labels``, ``confusion_matrix``): the
    CLI's evaluation and :meth:`to_dict` never import pandas (~50 MB of RSS, ~0.4 s).
    ``pr_curves``: class -> ``{"recall": [...], "precision": [...]}`` (101 recall points, the
    interpolated precision at ``iou``).
    ``tide``: COCO bbox and segm: TIDE's error analysis (:mod:`.tide`), ``{"main": {"Cls",
    "Loc", "Both", "Dupe", "Bkg", "Miss"}, "special": {"FalsePos", "FalseNeg"}, "ap",
    "counts"}``, dAP in AP points as tidecv prints them; None otherwise (and in evaluations
    stored before it existed).
    """

    key: str
    dataset: str
    model: str
    protocol: str
    iou: float
    params: dict[str, Any]
    stats: dict[str, float]
    per_class_data: dict[str, Any] | list[dict[str, Any]]  # columns, or rows (to_dict's)
    confusion_labels: list[str]
    confusion_matrix: np.ndarray
    pr_curves: dict[str, dict[str, list[float]]]
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    created_at: str | None = None
    iou_type: str = "bbox"  # COCO: "bbox", "segm" or "keypoints"
    tide: dict[str, Any] | None = None

    @cached_property
    def per_class(self) -> pd.DataFrame:
        """The per-class table (one row per class, ``PER_CLASS_COLUMNS`` and the protocol's)."""
        import pandas as pd  # lazily: only a table's user pays for it

        if not len(self.per_class_data):
            return pd.DataFrame(columns=PER_CLASS_COLUMNS)
        return pd.DataFrame(self.per_class_data)

    @cached_property
    def confusion(self) -> pd.DataFrame:
        """The confusion matrix: index = true class, columns = predicted class."""
        import pandas as pd  # lazily: only a table's user pays for it

        labels = self.confusion_labels
        return pd.DataFrame(self.confusion_matrix, index=labels, columns=labels)

    def per_class_rows(self) -> list[dict[str, Any]]:
        """The per-class table as JSON-safe rows (NaN as None)."""
        data = self.per_class_data
        if isinstance(data, list):
            return [{k: _clean(v) for k, v in row.items()} for row in data]
        n = len(next(iter(data.values()))) if data else 0
        return [{k: _clean(column[i]) for k, column in data.items()} for i in range(n)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (what the REST API returns and the catalog stores)."""
        per_class = self.per_class_rows()
        return {
            "key": self.key,
            "dataset": self.dataset,
            "model": self.model,
            "protocol": self.protocol,
            "iou_type": self.iou_type,
            "iou": self.iou,
            "params": self.params,
            "stats": {k: _clean(v) for k, v in self.stats.items()},
            "per_class": per_class,
            "confusion": {
                "labels": [str(c) for c in self.confusion_labels],
                "matrix": np.asarray(self.confusion_matrix).astype(int).tolist(),
            },
            "pr_curves": self.pr_curves,
            "counts": self.counts,
            "warnings": self.warnings,
            "created_at": self.created_at,
            "tide": self.tide,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        """Rebuild a report from :meth:`to_dict` output (e.g. a stored evaluation)."""
        labels = data["confusion"]["labels"]
        return cls(
            key=data["key"],
            dataset=data["dataset"],
            model=data["model"],
            protocol=data["protocol"],
            iou=data["iou"],
            params=data.get("params", {}),
            stats={k: (np.nan if v is None else v) for k, v in data["stats"].items()},
            per_class_data=list(data["per_class"]),
            confusion_labels=list(labels),
            confusion_matrix=np.asarray(data["confusion"]["matrix"], dtype=np.int64).reshape(
                len(labels), len(labels)
            ),
            pr_curves=data.get("pr_curves", {}),
            counts=data.get("counts", {}),
            warnings=data.get("warnings", []),
            created_at=data.get("created_at"),
            iou_type=data.get("iou_type", "bbox"),  # stored before segm and keypoints: bbox
            tide=data.get("tide"),  # stored before TIDE: none
        )

    def summary_text(self) -> str:
        """Plain-text summary, as the CLI prints it."""
        kind = f" {self.iou_type}" if self.iou_type != "bbox" else ""
        lines = [
            f"{self.protocol.upper()}{kind} evaluation of {self.model!r} on {self.dataset!r} "
            f"(key {self.key})"
        ]
        for name, value in self.stats.items():
            shown = (
                "n/a"
                if value is None or (isinstance(value, float) and (math.isnan(value) or value < 0))
                else f"{value:.4f}"
            )
            lines.append(f"  {name:<12} {shown}")
        c = self.counts
        lines.append(
            f"  at IoU {self.iou:g}: TP {c.get('tp', 0)}  FP {c.get('fp', 0)}  "
            f"FN {c.get('fn', 0)}  ignored {c.get('ignored', 0)}"
        )
        if self.tide:
            main, special = self.tide["main"], self.tide["special"]
            lines.append(
                "  TIDE dAP (IoU 0.5): "
                + "  ".join(f"{k} {v:.2f}" for k, v in main.items())
                + "  |  "
                + "  ".join(f"{k} {v:.2f}" for k, v in special.items())
            )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)
