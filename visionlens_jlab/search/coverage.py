"""Whether a space covers its dataset: the ``warning`` of a search answer.

An incomplete space (its embedding run was cancelled, failed half-way or is still going,
or samples were added since) is searched anyway: its vectors are valid, and refusing
would hide every result while an embedding job runs. The answer says how much is missing
and how to fix it, so a short result list is never mistaken for the whole truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..embed.spaces import recorded_spaces
from ..vectors import SpaceInfo

if TYPE_CHECKING:
    from ..catalog import Catalog


def coverage_warning(
    catalog: Catalog, cur: Any, dataset: str, dataset_id: int, space: SpaceInfo, n_points: int
) -> str | None:
    """None when the space's last embedding run finished and every sample of the dataset
    has a vector (or an unreadable image); else why the results may miss samples."""
    rows = [r for r in recorded_spaces(catalog, dataset_id) if r["space"] == space.name]
    fix = f"run `visionlens embed {dataset} --model {space.model}` to embed the rest"
    if not rows:
        return (
            f"the {space.model} vectors of {dataset!r} are from an embedding run that has "
            f"not finished: results cover only the {n_points:,} samples embedded so far"
        )
    num_samples = int(
        cur.execute("SELECT count(*) FROM samples WHERE dataset_id = ?", [dataset_id]).fetchone()[0]
    )
    failed = int(rows[0]["info"].get("failed", 0))
    if rows[0]["complete"] and n_points + failed >= num_samples:
        return None
    return (
        f"only {n_points:,} of the {num_samples:,} samples of {dataset!r} have a "
        f"{space.model} vector: results cover those; {fix}"
    )
