"""The one loop every selection runs: weighted greedy choice over per-candidate gains.

A strategy is a :class:`Gain`: what choosing each candidate next would add (its marginal
gain), told once before the first pick and again after each pick where it changes.
Static scores (uncertainty, a quality score, typicality) never change; set functions
(diversity's distance to the nearest chosen, facility location, coverage) shrink as the
chosen set grows. Combining strategies is then one rule for all of them: each strategy's
gains are scaled to [0, 1] over the candidates still open (so a weight means the same
whatever the strategy's units), summed with the weights, and the best open candidate is
chosen; ties go to the lower position, so a seed alone fixes the result.

Why one loop and not a ranking per strategy merged afterwards: a set function's value
depends on what was already chosen (two near-identical images are each diverse alone, not
together), which a merged ranking cannot see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Gain(Protocol):
    """A strategy as the loop sees it. ``name`` is its word (``diversity``...)."""

    name: str

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The gain of each of the ``n`` candidates before any pick (float, shape ``(n,)``;
        ``-inf``: never choose it)."""
        ...

    def picked(self, position: int) -> np.ndarray | None:
        """Candidate ``position`` was chosen: the gains now (or ``None``: unchanged)."""
        ...


@dataclass(frozen=True)
class Weighted:
    """A strategy with its weight in the sum (a weight of 0 is refused by the callers)."""

    gain: Gain
    weight: float = 1.0


@dataclass(frozen=True)
class Chosen:
    """What the loop chose: ``positions`` in the order chosen, and ``contributions[i, s]``,
    strategy ``s``'s scaled, weighted gain when ``positions[i]`` was chosen (why it was
    chosen: the columns sum to its total)."""

    positions: np.ndarray
    contributions: np.ndarray
    names: tuple[str, ...]


def scaled(gains: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """``gains`` scaled to [0, 1] over the open candidates (min to 0, max to 1; all equal:
    all 0). Closed and ``-inf`` candidates get ``-inf``."""
    out = np.full(gains.shape, -np.inf)
    live = open_ & np.isfinite(gains)
    if not live.any():
        return out
    values = gains[live]
    lo, hi = float(values.min()), float(values.max())
    out[live] = (values - lo) / (hi - lo) if hi > lo else 0.0
    return out


def choose(
    n: int,
    k: int,
    strategies: Sequence[Weighted],
    *,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Chosen:
    """Choose up to ``k`` of ``n`` candidates, each the open one with the largest weighted
    sum of scaled gains. Stops early when no open candidate has a finite gain.
    ``progress(done, k)`` is called after each pick (a job's progress and cancel hook:
    raising there stops the loop).

    The loop works on the candidates every strategy can still choose (finite gains), kept
    in position order and shrunk as they are chosen or turn ``-inf``: a strategy that
    limits its candidates (diversity's pool at a million vectors) makes each pick cost its
    pool, not ``n``. Each pick scales exactly as :func:`scaled` does, so the result is the
    same as scaling over all ``n``."""
    if not strategies:
        raise ValueError("choose at least one strategy")
    rng = np.random.default_rng(seed)
    starts = [s.gain.start(n, rng).astype(np.float64, copy=False) for s in strategies]
    weights = [float(s.weight) for s in strategies]
    live = np.ones(n, dtype=bool)
    for g in starts:
        live &= np.isfinite(g)
    idx = np.flatnonzero(live)
    gains = [g[idx] for g in starts]
    positions: list[int] = []
    rows: list[np.ndarray] = []
    for done in range(min(k, n)):
        if idx.size == 0:
            break
        parts = np.empty((len(gains), idx.size))
        for i, g in enumerate(gains):
            lo, hi = float(g.min()), float(g.max())
            if hi > lo:
                np.subtract(g, lo, out=parts[i])
                parts[i] /= hi - lo
            else:
                parts[i] = 0.0
            parts[i] *= weights[i]
        total = parts.sum(axis=0)
        at = int(np.argmax(total))
        best = int(idx[at])
        positions.append(best)
        rows.append(parts[:, at].copy())
        keep = np.ones(idx.size, dtype=bool)
        keep[at] = False
        for i, s in enumerate(strategies):
            now = s.gain.picked(best)
            if now is not None:
                gains[i] = np.asarray(now, dtype=np.float64)[idx]
                keep &= np.isfinite(gains[i])
        idx = idx[keep]
        gains = [g[keep] for g in gains]
        if progress is not None:
            progress(done + 1, k)
    names = tuple(s.gain.name for s in strategies)
    contributions = np.array(rows).reshape(len(rows), len(strategies))
    return Chosen(np.array(positions, dtype=np.int64), contributions, names)
