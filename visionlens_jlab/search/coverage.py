"""The dataset a search runs in, and whether a space covers it: the answer's ``warning``.

An incomplete space (its embedding run was cancelled, failed half-way or is still going,
or samples were added since) is searched anyway: its vectors are valid, and refusing
would hide every result while an embedding job runs. The answer says how much is missing
and how to fix it, so a short result list is never mistaken for the whole truth.

Everything a search needs to know about the dataset is read in one catalog query (each
round trip costs ~0.5 ms on an idle machine, several under load).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..catalog import NotFoundError
from ..vectors import SpaceInfo


@dataclass(frozen=True)
class DatasetState:
    """The dataset's id, sample count and its recorded spaces: ``{space: (complete, failed)}``
    (a space with vectors but no row: its first embedding run has not finished)."""

    dataset_id: int
    num_samples: int
    spaces: dict[str, tuple[bool, int]]


def read_dataset_state(cur: Any, dataset: str) -> DatasetState:
    """The :class:`DatasetState` of ``dataset``, or :class:`NotFoundError`."""
    rows = cur.execute(
        # num_samples is written with the samples, in the ingest's one transaction
        "SELECT d.dataset_id, d.num_samples, v.space, v.complete, v.info FROM datasets d "
        "LEFT JOIN vector_spaces v ON v.dataset_id = d.dataset_id WHERE d.name = ?",
        [dataset],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no dataset named {dataset!r}")
    spaces = {
        str(r[2]): (bool(r[3]), int(json.loads(r[4]).get("failed", 0)))
        for r in rows
        if r[2] is not None
    }
    return DatasetState(int(rows[0][0]), int(rows[0][1]), spaces)


def coverage_warning(
    state: DatasetState, dataset: str, space: SpaceInfo, n_points: int
) -> str | None:
    """None when the space's last embedding run finished and every sample of the dataset
    has a vector (or an unreadable image); else why the results may miss samples."""
    recorded = state.spaces.get(space.name)
    if recorded is None:
        return (
            f"the {space.model} vectors of {dataset!r} are from an embedding run that has "
            f"not finished: results cover only the {n_points:,} samples embedded so far"
        )
    complete, failed = recorded
    if complete and n_points + failed >= state.num_samples:
        return None
    return (
        f"only {n_points:,} of the {state.num_samples:,} samples of {dataset!r} have a "
        f"{space.model} vector: results cover those; run `visionlens embed {dataset} "
        f"--model {space.model}` to embed the rest"
    )
