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
* :class:`Levels`: one value's per-sample counts as levels (the rows of a mask, or how
  many masked samples have each exact count: the box count histogram);
* :class:`BitCounts`: the same counts in binary, plane ``k`` the samples whose count has
  bit ``k`` (the rows of a mask are ``sum(popcount(bits(mask) & plane) << k)``): where
  only totals are wanted, ``log2`` of the levels' bit sets for samples with many rows;
* :class:`CodeCounts`: the planes of every code of a column (labels, splits), the samples
  past the planes of all codes in one array so that many sparse codes cost one gather.

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


def _plane_count(counts: np.ndarray, n: int) -> int:
    """The planes kept: while more than 1/32 of the ``n`` samples count ``2**k`` or more."""
    bits = 0
    while _SPARSE_SHARE * int(np.count_nonzero(counts >= (1 << bits))) > n:
        bits += 1
    return bits


@dataclass(frozen=True)
class BitCounts:
    """How many rows each sample has with one value, in binary: plane ``k`` is the bit set of
    the samples whose count has bit ``k``, for the low bits while more than 1/32 of the
    samples count ``2**k`` or more; the samples counting ``2**len(planes)`` or more are kept
    as positions and their count's high part. Where only the total of a mask is wanted this
    holds ``log2`` of the unary levels' bit sets (7 for a sample with 100 rows, not 60)."""

    planes: list[np.ndarray]  # plane k: words of the samples whose count has bit k
    rest_pos: np.ndarray  # int32: the samples counting 2**len(planes) or more, ascending
    rest_high: np.ndarray  # int64: their count >> len(planes) (1 or more)
    rest_more: np.ndarray  # the indexes into the rest of the samples with a high part > 1

    @staticmethod
    def of(counts: np.ndarray) -> BitCounts:
        """The planes of per-sample ``counts`` (one per sample)."""
        bits = _plane_count(counts, len(counts))
        planes = [pack((counts >> k) & 1 == 1) for k in range(bits)]
        rest = np.flatnonzero(counts >= (1 << bits))
        high = (counts[rest] >> bits).astype(np.int64)
        return BitCounts(planes, rest.astype(np.int32), high, np.flatnonzero(high > 1))

    @staticmethod
    def of_sparse(positions: np.ndarray, counts: np.ndarray, n: int) -> BitCounts:
        """The planes of ``counts[i]`` rows at sample ``positions[i]`` (distinct, ascending,
        counts > 0) over ``n`` samples."""
        bits = _plane_count(counts, n)
        planes = []
        for k in range(bits):
            flags = np.zeros(n, dtype=bool)
            flags[positions[(counts >> k) & 1 == 1]] = True
            planes.append(pack(flags))
        rest = counts >= (1 << bits)
        high = (counts[rest] >> bits).astype(np.int64)
        return BitCounts(planes, positions[rest].astype(np.int32), high, np.flatnonzero(high > 1))

    def total(self, bits: PackedMask) -> int:
        """The rows of the samples of ``bits``."""
        n = sum(_and_count(bits.words, plane) << k for k, plane in enumerate(self.planes))
        if not len(self.rest_pos):
            return n
        # a count of the gathered flags, then what the few samples with more add (a
        # selection and sum over every rest sample cost 4x the count)
        taken = np.take(bits.mask, self.rest_pos)
        high = int(np.count_nonzero(taken))
        if len(self.rest_more):
            more = self.rest_more[taken[self.rest_more]]
            high += int(self.rest_high[more].sum()) - len(more)
        return n + (high << len(self.planes))

    @property
    def nbytes(self) -> int:
        """Memory held."""
        rest = self.rest_pos.nbytes + self.rest_high.nbytes + self.rest_more.nbytes
        return sum(p.nbytes for p in self.planes) + rest


@dataclass(frozen=True)
class CodeCounts:
    """Per code, how many rows each sample has with it: every code's planes
    (:class:`BitCounts`), and the samples past them of all codes in one array (code ``c``'s
    at ``rest_pos[starts[c]:starts[c + 1]]``, with the high part of their count)."""

    planes: list[list[np.ndarray]]  # per code, its planes' words (plane k: bit k)
    rest_pos: np.ndarray  # int32, grouped by code
    rest_value: np.ndarray  # int64: each rest sample's count less its low bits
    starts: np.ndarray  # int64, one more than codes

    @staticmethod
    def of(codes: np.ndarray, positions: np.ndarray, n_codes: int, n: int) -> CodeCounts:
        """The rows with code ``codes[i]`` at sample ``positions[i]`` over ``n`` samples."""
        order = np.argsort(codes, kind="stable")  # a radix sort for small integer codes
        bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_codes))])
        grouped = positions[order]
        planes: list[list[np.ndarray]] = []
        rest_pos, rest_value = [], []
        for c in range(n_codes):
            rows = grouped[bounds[c] : bounds[c + 1]]
            if _SPARSE_SHARE * len(rows) > n:  # maybe dense: per-sample counts
                found = BitCounts.of(np.bincount(rows, minlength=n))
            else:
                found = BitCounts.of_sparse(*_runs(np.sort(rows)), n)
            planes.append(found.planes)
            rest_pos.append(found.rest_pos)
            rest_value.append(found.rest_high << len(found.planes))
        return CodeCounts.joined(planes, rest_pos, rest_value)

    @staticmethod
    def joined(
        planes: list[list[np.ndarray]], rest_pos: list[np.ndarray], rest_value: list[np.ndarray]
    ) -> CodeCounts:
        """The codes' planes and rest samples (one list entry per code, in code order) as
        one structure: the rest arrays concatenated, with each code's start."""
        starts = np.zeros(len(planes) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in rest_pos], out=starts[1:])
        return CodeCounts(
            planes,
            np.concatenate([np.zeros(0, np.int32), *rest_pos]),
            np.concatenate([np.zeros(0, np.int64), *rest_value]),
            starts,
        )

    def counts(self, bits: PackedMask) -> np.ndarray:
        """Rows per code among the samples of ``bits`` (int64)."""
        out = np.zeros(len(self.planes), dtype=np.int64)
        for c, planes in enumerate(self.planes):
            for k, plane in enumerate(planes):
                out[c] += _and_count(bits.words, plane) << k
        if len(self.rest_pos):
            taken = np.where(np.take(bits.mask, self.rest_pos), self.rest_value, 0)
            summed = np.zeros(len(taken) + 1, dtype=np.int64)
            np.cumsum(taken, out=summed[1:])
            out += summed[self.starts[1:]] - summed[self.starts[:-1]]
        return out

    def mask_of(self, codes: list[int], n: int) -> np.ndarray:
        """The mask of the ``n`` samples with a row of one of ``codes`` (a count with a low
        bit set, or one in the rest)."""
        words = [plane for c in codes for plane in self.planes[c]]
        mask = unpack(np.bitwise_or.reduce(words), n) if words else np.zeros(n, dtype=bool)
        for c in codes:
            mask[self.rest_pos[self.starts[c] : self.starts[c + 1]]] = True
        return mask

    @property
    def nbytes(self) -> int:
        """Memory held."""
        words = sum(plane.nbytes for planes in self.planes for plane in planes)
        return words + self.rest_pos.nbytes + self.rest_value.nbytes + self.starts.nbytes
