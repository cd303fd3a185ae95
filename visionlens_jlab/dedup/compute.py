"""Duplicates of one dataset from its hashes and vectors: pairs, groups, leaks, fields.

Pure computation over arrays (no catalog, no store): :mod:`.job` gathers the inputs and
writes the outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..int_unique import unique_ints
from .confirm import confirmed, thumbnail_array
from .groups import Pairs, components, groups_of, leaks, sample_fields
from .hashes import DEFAULT_MAX_DISTANCE, equal_pairs, hamming_pairs
from .near import near_duplicate_pairs

MAX_PAIRS_LISTED = 100_000
"""Pairs listed in a result (the count is always exact); groups and leaks are all listed."""

Progress = Callable[[float, str], None]


@dataclass
class DuplicateInputs:
    """One dataset's samples (sorted by id) and what duplicates are computed from."""

    sample_ids: np.ndarray
    splits: list[str | None]
    content: Sequence[bytes | None] | None = None  # per sample, None: unreadable
    phash: Sequence[int | None] | None = None
    thumbs: Sequence[bytes | None] | None = None  # per sample, confirms pHash matches
    vectors: np.ndarray | None = None  # unit rows
    vector_ids: np.ndarray | None = None  # the sample ids of ``vectors`` (sorted)


def find_duplicates(
    data: DuplicateInputs,
    threshold: float,
    *,
    exact: bool = False,
    max_hamming: int = DEFAULT_MAX_DISTANCE,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """``(result, fields)``: the JSON result (groups, pair counts per kind, leaks) and the
    computed fields ``{name: (sample_ids, values)}`` to store."""
    n = len(data.sample_ids)
    kinds: list[Pairs] = []
    if data.content is not None:
        i, j = equal_pairs(data.content)
        kinds.append(Pairs("exact", i, j, np.ones(len(i), dtype=np.float32)))
    if data.phash is not None:
        known = np.array([h is not None for h in data.phash], dtype=bool)
        rows = np.flatnonzero(known)
        values = np.array([h for h in data.phash if h is not None], dtype=np.uint64)
        i, j, bits = hamming_pairs(values, max_hamming)
        if data.thumbs is not None:
            # a hash match is a duplicate only if the pixels agree too (flat images collide)
            keep = confirmed(thumbnail_array(data.thumbs), rows[i], rows[j])
            i, j, bits = i[keep], j[keep], bits[keep]
        kinds.append(Pairs("perceptual", rows[i], rows[j], (1.0 - bits / 64.0).astype(np.float32)))
    nearest: np.ndarray | None = None
    method = None
    if data.vectors is not None and data.vector_ids is not None and len(data.vectors) > 1:
        near = near_duplicate_pairs(data.vectors, threshold, exact=exact, progress=progress)
        method = near.method
        # vector rows -> sample rows (a sample may lack a vector)
        rows = np.searchsorted(data.sample_ids, data.vector_ids)
        kinds.append(Pairs("near", rows[near.i], rows[near.j], near.similarity))
        nearest = np.full(n, -2.0, dtype=np.float32)
        nearest[rows] = near.nearest
    all_i = np.concatenate([p.i for p in kinds]) if kinds else np.empty(0, np.int64)
    all_j = np.concatenate([p.j for p in kinds]) if kinds else np.empty(0, np.int64)
    labels = components(n, all_i, all_j)
    distinct = unique_ints(all_i * max(n, 1) + all_j)
    result: dict[str, Any] = {
        "samples": n,
        "vectors": 0 if data.vectors is None else len(data.vectors),
        "threshold": threshold,
        "max_hamming": max_hamming,
        "method": method,
        "groups": groups_of(data.sample_ids, labels),
        "pairs": len(distinct),
        "counts": {
            p.kind: {
                "pairs": len(p.i),
                "groups": len(groups_of(data.sample_ids, components(n, p.i, p.j))),
            }
            for p in kinds
        },
        "pair_list": _pair_list(data.sample_ids, kinds),
        "leaks": leaks(data.sample_ids, data.splits, kinds),
    }
    result["pair_list_truncated"] = sum(len(p.i) for p in kinds) > MAX_PAIRS_LISTED
    return result, sample_fields(data.sample_ids, labels, nearest)


def _pair_list(sample_ids: np.ndarray, kinds: list[Pairs]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in kinds:
        take = min(len(p.i), MAX_PAIRS_LISTED - len(out))
        for a, b, s in zip(p.i[:take], p.j[:take], p.similarity[:take], strict=True):
            out.append(
                {
                    "sample_id": int(sample_ids[a]),
                    "duplicate_id": int(sample_ids[b]),
                    "kind": p.kind,
                    "similarity": round(float(s), 6),
                }
            )
    return out
