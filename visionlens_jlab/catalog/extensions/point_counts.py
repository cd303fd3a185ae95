"""Per-sample counts a feature adds to the map fields (``<prefix><name>``).

The maps colour their points by a sample field (:mod:`visionlens_jlab.maps.values`); a
feature adds fields that count rows of its own per sample (the evaluation's ``eval.tp``,
``evaluate/eval_map_values.py``) by declaring them in its manifest
(:class:`~.manifest.Manifest` ``point_counts``), which lands here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

PointCounts = Callable[["duckdb.DuckDBPyConnection", int, str, "str | None"], "CountedRows"]
_COUNTS: dict[str, PointCounts] = {}


@dataclass(frozen=True)
class CountedRows:
    """The rows a per-sample count counts: ``table`` (fixed identifier, with columns
    ``dataset_id`` and ``sample_id``), ``cond`` (SQL over it, values in ``args``) and what
    the answer tells besides the values (``info``)."""

    table: str
    cond: str
    args: list[Any]
    info: dict[str, Any] = dataclass_field(default_factory=dict)


def register_point_counts(prefix: str, counts: PointCounts) -> None:
    """Let a feature add map fields ``<prefix><name>``: ``counts(cur, dataset_id, name,
    model)`` returns the :class:`CountedRows` each point's value counts (raising
    :class:`~..query.filters.FilterError` for an unknown name)."""
    _COUNTS[prefix] = counts


def point_counts() -> dict[str, PointCounts]:
    """The registered per-sample counts, by field prefix."""
    return dict(_COUNTS)
