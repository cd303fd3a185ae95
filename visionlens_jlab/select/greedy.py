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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

import numpy as np

Update = np.ndarray | tuple[np.ndarray, np.ndarray] | None
"""What :meth:`Gain.picked` returns: all gains, the changed ones, or ``None``."""


class Gain(Protocol):
    """A strategy as the loop sees it. ``name`` is its word (``diversity``...)."""

    name: str

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The gain of each of the ``n`` candidates before any pick (float, shape ``(n,)``;
        ``-inf``: never choose it)."""
        ...

    def picked(self, position: int) -> Update:
        """Candidate ``position`` was chosen: the gains now (or ``None``: unchanged; or only
        those that changed, as ``(positions, gains)``: what keeps a pick's cost to what it
        changed). ``-inf`` closes a candidate for good. The loop copies what it reads, so
        the array may be the strategy's own buffer."""
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

    Only candidates every strategy can choose (finite gains) take part: the loop keeps
    their gains in arrays of their own, a closed one as NaN (left out of the scaling), so a strategy that limits its candidates (diversity's
    pool at a million vectors) and reports only what changed makes a pick cost that, not
    ``n``. BLAS runs on one thread: a pick's products are small, and on a shared machine
    threads waiting on each other cost more than they bring (a 512-d eigendecomposition
    took seconds instead of 0.1 s)."""
    if not strategies:
        raise ValueError("choose at least one strategy")
    rng = np.random.default_rng(seed)
    with _one_blas_thread():
        starts = [s.gain.start(n, rng) for s in strategies]
        live = np.ones(n, dtype=bool)
        for g in starts:
            live &= np.isfinite(g)
        idx = np.flatnonzero(live)
        gains = [np.array(g[idx], dtype=np.float64) for g in starts]
        del starts
        return _loop(n, k, strategies, idx, gains, progress)


def _loop(
    n: int,
    k: int,
    strategies: Sequence[Weighted],
    idx: np.ndarray,
    gains: list[np.ndarray],
    progress: Callable[[int, int], None] | None,
) -> Chosen:
    """The picks of :func:`choose` over the candidates ``idx`` (``gains`` in their order)."""
    weights = [float(s.weight) for s in strategies]
    slot = np.full(n, -1, dtype=np.int64)
    slot[idx] = np.arange(idx.size)
    dead = np.zeros(idx.size, dtype=bool)
    left = idx.size
    positions: list[int] = []
    rows: list[list[float]] = []

    def close(at: np.ndarray) -> int:
        fresh = at[~dead[at]]
        dead[fresh] = True
        for g in gains:
            g[fresh] = np.nan
        return int(fresh.size)

    for done in range(min(k, n)):
        if left == 0:
            break
        parts = []
        total = np.zeros(idx.size)
        for g, w in zip(gains, weights, strict=True):
            lo, hi = float(np.fmin.reduce(g)), float(np.fmax.reduce(g))
            part = g - lo
            if hi > lo:
                part /= hi - lo
            else:
                part[:] = 0.0
            part *= w
            total += part
            parts.append(part)
        np.copyto(total, -np.inf, where=dead)
        at = int(np.argmax(total))
        best = int(idx[at])
        positions.append(best)
        rows.append([float(p[at]) for p in parts])
        left -= close(np.array([at]))
        for i, s in enumerate(strategies):
            now = s.gain.picked(best)
            if now is None:
                continue
            if isinstance(now, tuple):
                where = slot[np.asarray(now[0], dtype=np.int64)]
                ok = where >= 0
                where, values = where[ok], np.asarray(now[1], dtype=np.float64)[ok]
            else:
                where, values = np.arange(idx.size), np.asarray(now, dtype=np.float64)[idx]
            gains[i][where] = values
            gains[i][where[dead[where]]] = np.nan
            left -= close(where[~np.isfinite(values)])
        if progress is not None:
            progress(done + 1, k)
    names = tuple(s.gain.name for s in strategies)
    contributions = np.array(rows, dtype=np.float64).reshape(len(rows), len(strategies))
    return Chosen(np.array(positions, dtype=np.int64), contributions, names)


def _one_blas_thread() -> AbstractContextManager[object]:
    """BLAS limited to one thread (threadpoolctl comes with scikit-learn; without it, as is)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
