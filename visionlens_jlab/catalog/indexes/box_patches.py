"""Per-sample counts of the box index with a few samples' rows replaced, without a rebuild.

The box index (:mod:`.box_index`) holds, per source, each sample's boxes of every label
(:class:`~..base.bit_levels.CodeCounts`) and its box count (:class:`~..base.bit_levels.Levels`)
as bit planes over every sample: about 80 MB and 1 s to build at 1M images. A label edit
changes the rows of one sample. Here the built structure stays as it is and the edited
samples are corrected on top: for each, its counts in the base (read back from the planes:
a bit test per plane) and its counts now. A facet over a mask is the base's answer less the
masked samples' base counts plus their counts now: a gather of a few positions more per
request. Past :data:`MAX_PATCHED` samples (a bulk edit, an undo or a restore of one) the
corrections are folded into new planes instead: each code's per-sample counts decoded from
the planes (a pass over ``n`` samples per code, no read), the patched samples' counts set,
encoded again; an import's change is a rebuild anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.bit_levels import BitCounts, CodeCounts, Levels, PackedMask, unpack
from ..base.mask_counts import SortedValues

MAX_PATCHED = 2048
"""Samples a patched source may correct (4 bytes per sample and code each way); past it
the corrections are folded into new planes (:func:`fold_codes`, :func:`fold_levels`)."""


def _bits_at(words: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The bits of ``positions`` in packed ``words`` (0 or 1, int64)."""
    return ((words[positions >> 6] >> (positions & 63).astype(np.uint64)) & 1).astype(np.int64)


def _rest_at(rest_pos: np.ndarray, values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``values`` of ``positions`` in the ascending ``rest_pos`` (0 where absent)."""
    out = np.zeros(len(positions), dtype=np.int64)
    if len(rest_pos):
        at = np.minimum(np.searchsorted(rest_pos, positions), len(rest_pos) - 1)
        hit = rest_pos[at] == positions
        out[hit] = values[at[hit]]
    return out


def code_counts_at(counts: CodeCounts, positions: np.ndarray) -> np.ndarray:
    """Each sample's rows per code (int64, one row per position, one column per code)."""
    out = np.zeros((len(positions), len(counts.planes)), dtype=np.int64)
    for c, planes in enumerate(counts.planes):
        for k, plane in enumerate(planes):
            out[:, c] += _bits_at(plane, positions) << k
        lo, hi = int(counts.starts[c]), int(counts.starts[c + 1])
        out[:, c] += _rest_at(counts.rest_pos[lo:hi], counts.rest_value[lo:hi], positions)
    return out


def level_counts_at(levels: Levels, positions: np.ndarray) -> np.ndarray:
    """Each sample's rows (int64, one per position)."""
    out = np.zeros(len(positions), dtype=np.int64)
    for level in levels.dense:
        out += _bits_at(level, positions)
    return out + _rest_at(levels.rest_pos, levels.rest_extra, positions)


@dataclass(frozen=True)
class PatchedCodes:
    """A :class:`CodeCounts` with the rows of the samples ``positions`` replaced."""

    base: CodeCounts
    positions: np.ndarray  # int64, distinct, ascending
    was: np.ndarray  # int64 (samples, base codes): their rows per code in ``base``
    now: np.ndarray  # int64 (samples, codes): their rows per code now (codes >= base's)

    @staticmethod
    def of(
        counts: CodeCounts | PatchedCodes, positions: np.ndarray, now: np.ndarray, n: int
    ) -> PatchedCodes | CodeCounts:
        """``counts`` (over ``n`` samples) with the samples ``positions`` given the rows per
        code ``now`` (columns: codes, maybe more than ``counts`` has); folded into new
        planes past :data:`MAX_PATCHED` samples."""
        base = counts.base if isinstance(counts, PatchedCodes) else counts
        pos, was, old_now = _merged(counts, positions, code_counts_at(base, positions))
        width = max(now.shape[1], old_now.shape[1] if old_now.size else 0)
        merged = np.zeros((len(pos), width), dtype=np.int64)
        if isinstance(counts, PatchedCodes):
            kept = ~np.isin(counts.positions, positions)
            at = np.searchsorted(pos, counts.positions[kept])
            merged[at, : counts.now.shape[1]] = counts.now[kept]
        merged[np.searchsorted(pos, positions), : now.shape[1]] = now
        if len(pos) > MAX_PATCHED:
            return fold_codes(base, pos, was, merged, n)
        return PatchedCodes(base, pos, was, merged)

    def counts(self, bits: PackedMask) -> np.ndarray:
        """Rows per code among the samples of ``bits`` (int64)."""
        out = np.zeros(self.now.shape[1], dtype=np.int64)
        out[: len(self.base.planes)] = self.base.counts(bits)
        taken = bits.mask[self.positions]
        out[: self.was.shape[1]] -= self.was[taken].sum(axis=0, dtype=np.int64)
        return out + self.now[taken].sum(axis=0, dtype=np.int64)

    def mask_of(self, codes: list[int], n: int) -> np.ndarray:
        """The mask of the samples with a row of one of ``codes``."""
        mask = self.base.mask_of([c for c in codes if c < len(self.base.planes)], n)
        mask[self.positions] = self.now[:, codes].sum(axis=1) > 0 if codes else False
        return mask

    @property
    def nbytes(self) -> int:
        """Memory held."""
        return self.base.nbytes + self.positions.nbytes + self.was.nbytes + self.now.nbytes


@dataclass(frozen=True)
class PatchedLevels:
    """A :class:`Levels` with the rows of the samples ``positions`` replaced."""

    base: Levels
    positions: np.ndarray  # int64, distinct, ascending
    was: np.ndarray  # int64: their rows in ``base``
    now: np.ndarray  # int64: their rows now

    @staticmethod
    def of(
        levels: Levels | PatchedLevels, positions: np.ndarray, now: np.ndarray, n: int
    ) -> PatchedLevels | Levels:
        """``levels`` (over ``n`` samples) with the samples ``positions`` given ``now``
        rows each; folded into new levels past :data:`MAX_PATCHED` samples."""
        base = levels.base if isinstance(levels, PatchedLevels) else levels
        pos, was, old_now = _merged(levels, positions, level_counts_at(base, positions))
        merged = np.zeros(len(pos), dtype=np.int64)
        if isinstance(levels, PatchedLevels):
            kept = ~np.isin(levels.positions, positions)
            merged[np.searchsorted(pos, levels.positions[kept])] = old_now[kept]
        merged[np.searchsorted(pos, positions)] = now
        if len(pos) > MAX_PATCHED:
            return fold_levels(base, pos, merged, n)
        return PatchedLevels(base, pos, was, merged)

    def total(self, bits: PackedMask) -> int:
        """The rows of the samples of ``bits``."""
        taken = bits.mask[self.positions]
        return self.base.total(bits) - int(self.was[taken].sum()) + int(self.now[taken].sum())

    def per_count(self, bits: PackedMask) -> np.ndarray:
        """How many samples of ``bits`` have exactly ``c`` rows, ``c`` from 0 up."""
        taken = bits.mask[self.positions]
        base = self.base.per_count(bits)
        now = self.now[taken]
        out = np.zeros(max(len(base), int(now.max(initial=0)) + 1), dtype=np.int64)
        out[: len(base)] = base
        np.subtract.at(out, self.was[taken], 1)
        np.add.at(out, now, 1)
        return np.trim_zeros(out, "b")

    def any_mask(self, n: int) -> np.ndarray:
        """The mask of the samples with at least one row."""
        mask = self.base.any_mask(n)
        mask[self.positions] = self.now > 0
        return mask

    @property
    def nbytes(self) -> int:
        """Memory held."""
        return self.base.nbytes + self.positions.nbytes + self.was.nbytes + self.now.nbytes


def code_counts_dense(counts: CodeCounts, code: int, n: int) -> np.ndarray:
    """Every sample's rows with ``code`` (int64, ``n`` long), decoded from the planes."""
    out = np.zeros(n, dtype=np.int64)
    for k, plane in enumerate(counts.planes[code]):
        out += unpack(plane, n).astype(np.int64) << k
    lo, hi = int(counts.starts[code]), int(counts.starts[code + 1])
    out[counts.rest_pos[lo:hi]] += counts.rest_value[lo:hi]
    return out


def fold_codes(
    base: CodeCounts, positions: np.ndarray, was: np.ndarray, now: np.ndarray, n: int
) -> CodeCounts:
    """New planes of ``base`` with the samples ``positions`` (whose rows per code in
    ``base`` are ``was``) given the rows per code ``now``: a code none of them changed
    keeps its planes (a bulk relabel changes two codes of many); the others are encoded
    again, one code's ``n`` counts in memory at a time (8 MB at 1M images)."""
    planes: list[list[np.ndarray]] = []
    rest_pos: list[np.ndarray] = []
    rest_value: list[np.ndarray] = []
    for code in range(now.shape[1]):
        if code < was.shape[1] and np.array_equal(was[:, code], now[:, code]):
            lo, hi = int(base.starts[code]), int(base.starts[code + 1])
            planes.append(base.planes[code])
            rest_pos.append(base.rest_pos[lo:hi])
            rest_value.append(base.rest_value[lo:hi])
            continue
        dense = (
            code_counts_dense(base, code, n)
            if code < len(base.planes)
            else np.zeros(n, dtype=np.int64)
        )
        dense[positions] = now[:, code]
        found = BitCounts.of(dense)
        planes.append(found.planes)
        rest_pos.append(found.rest_pos)
        rest_value.append(found.rest_high << len(found.planes))
    return CodeCounts.joined(planes, rest_pos, rest_value)


def fold_levels(base: Levels, positions: np.ndarray, now: np.ndarray, n: int) -> Levels:
    """New levels of ``base`` with the samples ``positions`` given ``now`` rows each."""
    dense = np.zeros(n, dtype=np.int64)
    for level in base.dense:
        dense += unpack(level, n)
    dense[base.rest_pos] += base.rest_extra
    dense[positions] = now
    return Levels.of(dense)


def _merged(
    held: CodeCounts | Levels | PatchedCodes | PatchedLevels,
    positions: np.ndarray,
    base_now: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions patched after adding ``positions`` (ascending), their base counts
    (``base_now``: the base's counts of ``positions``) and the counts ``held`` had now for
    its own patched positions (empty when it had none)."""
    if not isinstance(held, PatchedCodes | PatchedLevels):
        return positions, base_now, np.zeros((0,) + base_now.shape[1:], dtype=np.int64)
    pos = np.union1d(held.positions, positions)
    was = np.zeros((len(pos),) + base_now.shape[1:], dtype=np.int64)
    was[np.searchsorted(pos, positions)] = base_now
    was[np.searchsorted(pos, held.positions)] = held.was  # the base's, kept from the first
    return pos, was, held.now


def patch_sorted(
    rows: SortedValues, positions: np.ndarray, values: np.ndarray, at: np.ndarray
) -> SortedValues:
    """``rows`` without the rows of the samples ``positions``, with the rows ``values``
    (float64, NaN: none) at sample positions ``at`` merged in value order (one pass over
    the held rows: milliseconds at millions of boxes, no read)."""
    keep = ~np.isin(rows.positions, positions)
    held_values, held_positions = rows.values[keep], rows.positions[keep]
    added = SortedValues.of(values, at.astype(np.int32))
    where = np.searchsorted(held_values, added.values, side="right")
    return SortedValues(
        np.insert(held_positions, where, added.positions),
        np.insert(held_values, where, added.values),
    )
