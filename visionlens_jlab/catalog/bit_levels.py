"""Per-sample counts held as bit sets, counted over a sample mask by popcount.

A filtered facet counts, over the samples of a mask, how many rows (boxes, or samples) have
each value. Gathering the mask over every row (``np.take(mask, positions)``) costs about
1 ns a row: 17 ms per request at 1M images with three sources of 2-3M boxes. Most of those
counts are dense: few labels, each on a large share of the samples. Here the rows of one
value are held as **levels**: level ``t`` is the bit set of the samples with more than
``t`` rows of the value, kept while it holds more than 1/32 of the samples (a bit set is
then no larger than the positions would be); the samples past the last level are kept as
positions and their remaining counts. The rows of a mask with the value are then
``sum(popcount(bits(mask) & level))`` plus the masked remaining counts: 125 KB of words
per level at 1M samples, about 15 us each, where the gather read every row.

* :class:`PackedMask`: a request's mask and its bits, packed once and shared;
* :class:`Levels`: one value's per-sample counts (the rows of a mask, or how many masked
  samples have each exact count: the box count histogram);
* :class:`CodeLevels`: the levels of every code of a column (labels, splits), the samples
  past the levels of all codes in one array so that many sparse codes cost one gather.

Pure numpy; the catalog's box index and the evaluation index use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_SPARSE_SHARE = 32
"""A level is a bit set while more than 1/32 of the samples are in it (its bits are then
no larger than int32 positions)."""

_POPCOUNT8 = np.array([bin(b).count("1") for b in range(256)], dtype=np.uint8)


def popcount(words: np.ndarray) -> int:
    """Set bits of an unsigned integer array (numpy 2's ``bitwise_count`` where present)."""
    count = getattr(np, "bitwise_count", None)
    if count is not None:
        return int(count(words).sum(dtype=np.int64))
    return int(_POPCOUNT8[words.view(np.uint8)].sum(dtype=np.int64))


def pack(flags: np.ndarray) -> np.ndarray:
    """A boolean array as uint64 words (bit ``i % 64`` of word ``i // 64`` is ``flags[i]``),
    zero padded."""
    packed = np.packbits(flags, bitorder="little")
    pad = -len(packed) % 8
    if pad:
        packed = np.concatenate([packed, np.zeros(pad, dtype=np.uint8)])
    return packed.view(np.uint64)


def unpack(words: np.ndarray, n: int) -> np.ndarray:
    """The boolean array of ``n`` flags packed by :func:`pack`."""
    return np.unpackbits(words.view(np.uint8), count=n, bitorder="little").view(bool)


def _and_count(a: np.ndarray, b: np.ndarray) -> int:
    return popcount(np.bitwise_and(a, b))


@dataclass(frozen=True)
class PackedMask:
    """A sample mask and its packed bits (one packing per request, shared)."""

    mask: np.ndarray  # bool, one per sample
    words: np.ndarray  # the mask as by pack()
    count: int  # samples in the mask

    @staticmethod
    def of(mask: np.ndarray) -> PackedMask:
        """Pack ``mask`` (bool)."""
        return PackedMask(mask, pack(mask), int(np.count_nonzero(mask)))


def _runs(sorted_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how often each occurs."""
    if not len(sorted_positions):
        return sorted_positions, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.diff(sorted_positions)) + 1
    starts = np.concatenate([[0], starts])
    return sorted_positions[starts], np.diff(np.append(starts, len(sorted_positions)))


@dataclass(frozen=True)
class Levels:
    """How many rows each sample has with one value, as bit levels (see the module)."""

    dense: list[np.ndarray]  # level t: words of the samples with more than t rows
    rest_pos: np.ndarray  # int32: the samples with more than len(dense) rows, ascending
    rest_extra: np.ndarray  # int32: their rows past len(dense)
    rest_more: np.ndarray  # the indexes into the rest of the samples with 2 or more there

    @staticmethod
    def of(counts: np.ndarray) -> Levels:
        """The levels of per-sample ``counts`` (one per sample)."""
        n = len(counts)
        dense: list[np.ndarray] = []
        while True:
            over = counts > len(dense)
            if _SPARSE_SHARE * int(np.count_nonzero(over)) <= n:
                break
            dense.append(pack(over))
        rest = np.flatnonzero(over)
        extra = (counts[rest] - len(dense)).astype(np.int32)
        return Levels(dense, rest.astype(np.int32), extra, np.flatnonzero(extra > 1))

    @staticmethod
    def of_rows(positions: np.ndarray, n: int) -> Levels:
        """The levels of rows at sample ``positions`` (any order) over ``n`` samples."""
        return Levels.of_sparse(*_runs(np.sort(positions)), n)

    @staticmethod
    def of_sparse(positions: np.ndarray, counts: np.ndarray, n: int) -> Levels:
        """The levels of ``counts[i]`` rows at sample ``positions[i]`` (distinct, ascending,
        counts > 0) over ``n`` samples."""
        dense: list[np.ndarray] = []
        while _SPARSE_SHARE * int(np.count_nonzero(counts > len(dense))) > n:
            flags = np.zeros(n, dtype=bool)
            flags[positions[counts > len(dense)]] = True
            dense.append(pack(flags))
        rest = counts > len(dense)
        extra = (counts[rest] - len(dense)).astype(np.int32)
        return Levels(dense, positions[rest].astype(np.int32), extra, np.flatnonzero(extra > 1))

    def total(self, bits: PackedMask) -> int:
        """The rows of the samples of ``bits``."""
        n = sum(_and_count(bits.words, level) for level in self.dense)
        if not len(self.rest_pos):
            return n
        # a count of the gathered flags, then what the few samples with more add (a
        # selection and sum over every rest sample cost 4x the count)
        taken = np.take(bits.mask, self.rest_pos)
        n += int(np.count_nonzero(taken))
        if len(self.rest_more):
            more = self.rest_more[taken[self.rest_more]]
            n += int(self.rest_extra[more].sum(dtype=np.int64)) - len(more)
        return n

    def per_count(self, bits: PackedMask) -> np.ndarray:
        """How many samples of ``bits`` have exactly ``c`` rows, for ``c`` from 0 to the
        largest count among them (int64)."""
        # at_least[c]: masked samples with c rows or more, for c up to len(dense)
        at_least = [bits.count] + [_and_count(bits.words, level) for level in self.dense]
        extra = self.rest_extra[np.take(bits.mask, self.rest_pos)]
        past = np.bincount(extra, minlength=1)  # past[e]: masked samples with len(dense) + e rows
        past[0] = 0
        at_least.append(int(len(extra)))
        out = np.diff(-np.array(at_least, dtype=np.int64))
        return np.trim_zeros(np.concatenate([out, past[1:]]), "b")

    def any_mask(self, n: int) -> np.ndarray:
        """The mask of the samples with at least one row."""
        mask = unpack(self.dense[0], n) if self.dense else np.zeros(n, dtype=bool)
        mask[self.rest_pos] = True
        return mask

    @property
    def nbytes(self) -> int:
        """Memory held."""
        rest = self.rest_pos.nbytes + self.rest_extra.nbytes + self.rest_more.nbytes
        return sum(d.nbytes for d in self.dense) + rest


@dataclass(frozen=True)
class CodeLevels:
    """Per code, how many rows each sample has with it: the dense levels of every code, and
    the samples past them of all codes in one array (code ``c``'s at
    ``rest_pos[starts[c]:starts[c + 1]]``)."""

    dense: list[list[np.ndarray]]  # per code, its levels' words
    rest_pos: np.ndarray  # int32, grouped by code
    rest_extra: np.ndarray  # int32
    starts: np.ndarray  # int64, one more than codes

    @staticmethod
    def of(codes: np.ndarray, positions: np.ndarray, n_codes: int, n: int) -> CodeLevels:
        """The rows with code ``codes[i]`` at sample ``positions[i]`` over ``n`` samples."""
        order = np.lexsort((positions, codes))
        sizes = np.bincount(codes, minlength=n_codes)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        sorted_pos = positions[order]
        dense: list[list[np.ndarray]] = []
        rest_pos, rest_extra = [], []
        for c in range(n_codes):
            levels = Levels.of_sparse(*_runs(sorted_pos[bounds[c] : bounds[c + 1]]), n)
            dense.append(levels.dense)
            rest_pos.append(levels.rest_pos)
            rest_extra.append(levels.rest_extra)
        starts = np.zeros(n_codes + 1, dtype=np.int64)
        np.cumsum([len(p) for p in rest_pos], out=starts[1:])
        return CodeLevels(
            dense,
            np.concatenate([np.zeros(0, np.int32), *rest_pos]),
            np.concatenate([np.zeros(0, np.int32), *rest_extra]),
            starts,
        )

    def counts(self, bits: PackedMask) -> np.ndarray:
        """Rows per code among the samples of ``bits`` (int64)."""
        out = np.zeros(len(self.dense), dtype=np.int64)
        for c, levels in enumerate(self.dense):
            for level in levels:
                out[c] += _and_count(bits.words, level)
        if len(self.rest_pos):
            taken = np.where(np.take(bits.mask, self.rest_pos), self.rest_extra, 0)
            summed = np.zeros(len(taken) + 1, dtype=np.int64)
            np.cumsum(taken, out=summed[1:])
            out += summed[self.starts[1:]] - summed[self.starts[:-1]]
        return out

    def mask_of(self, codes: list[int], n: int) -> np.ndarray:
        """The mask of the ``n`` samples with a row of one of ``codes``."""
        words = [self.dense[c][0] for c in codes if self.dense[c]]
        mask = unpack(np.bitwise_or.reduce(words), n) if words else np.zeros(n, dtype=bool)
        for c in codes:
            mask[self.rest_pos[self.starts[c] : self.starts[c + 1]]] = True
        return mask

    @property
    def nbytes(self) -> int:
        """Memory held."""
        words = sum(level.nbytes for levels in self.dense for level in levels)
        return words + self.rest_pos.nbytes + self.rest_extra.nbytes + self.starts.nbytes
