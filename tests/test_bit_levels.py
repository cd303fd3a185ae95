"""Per-sample counts as bit levels (catalog/base/bit_levels.py) against plain numpy: random
counts with long tails (samples with many rows of one value), codes from dominant to
sparse, masks from empty to full, a single sample, and sizes that are not a multiple of a
word."""

from __future__ import annotations

import numpy as np
import pytest

from visionlens_jlab.catalog.base import bit_levels
from visionlens_jlab.catalog.base.bit_levels import (
    BitCounts,
    CodeCounts,
    Levels,
    PackedMask,
    pack,
    unpack,
)

SIZES = [1, 63, 64, 65, 1000, 4099]


def masks(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Empty, full, one sample (first, last, middle) and random shares from 0.1 to 99.9 %."""
    out = [np.zeros(n, dtype=bool), np.ones(n, dtype=bool)]
    for at in (0, n - 1, n // 2):
        one = np.zeros(n, dtype=bool)
        one[at] = True
        out.append(one)
    out += [rng.random(n) < share for share in (0.001, 0.05, 0.3, 0.5, 0.8, 0.999)]
    return out


def counts_of(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """Per-sample counts: dense (most samples have a few), sparse, or a long tail."""
    if kind == "dense":
        return rng.poisson(2.5, n)
    if kind == "sparse":
        return np.where(rng.random(n) < 0.01, rng.integers(1, 4, n), 0)
    tail = rng.poisson(0.8, n)
    heavy = rng.random(n) < 0.03
    tail[heavy] += rng.integers(3, 300, int(heavy.sum()))
    return tail


@pytest.mark.parametrize("n", SIZES)
def test_pack_round_trip(n: int) -> None:
    rng = np.random.default_rng(n)
    flags = rng.random(n) < 0.4
    words = pack(flags)
    assert words.dtype == np.uint64 and len(words) == -(-n // 64)
    np.testing.assert_array_equal(unpack(words, n), flags)
    assert bit_levels.popcount(words) == int(flags.sum())


def test_popcount_without_bitwise_count(monkeypatch: pytest.MonkeyPatch) -> None:
    words = np.random.default_rng(3).integers(0, 2**63, 500, dtype=np.uint64)
    expected = sum(bin(int(w)).count("1") for w in words)
    assert bit_levels.popcount(words) == expected
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert bit_levels.popcount(words) == expected


@pytest.mark.parametrize("kind", ["dense", "sparse", "tail"])
@pytest.mark.parametrize("n", SIZES)
def test_levels_count_the_rows_of_a_mask(n: int, kind: str) -> None:
    rng = np.random.default_rng([n, len(kind)])
    counts = counts_of(rng, n, kind)
    levels = Levels.of(counts)
    rows = np.repeat(np.arange(n), counts)
    rng.shuffle(rows)
    from_rows = Levels.of_rows(rows, n)
    binary = BitCounts.of(counts)
    present = np.flatnonzero(counts)
    binary_sparse = BitCounts.of_sparse(present, counts[present], n)
    for built in (levels, from_rows):
        np.testing.assert_array_equal(built.any_mask(n), counts > 0)
        for mask in masks(rng, n):
            bits = PackedMask.of(mask)
            assert built.total(bits) == int(counts[mask].sum())
            expected = np.trim_zeros(np.bincount(counts[mask]), "b")
            np.testing.assert_array_equal(built.per_count(bits), expected)
    for mask in masks(rng, n):
        assert binary.total(PackedMask.of(mask)) == int(counts[mask].sum())
        assert binary_sparse.total(PackedMask.of(mask)) == int(counts[mask].sum())


def test_levels_hold_dense_bits_and_a_rest_with_several_rows() -> None:
    """The cases above reach every part: dense levels (planes), the rest, and rest samples
    with more than one row past the levels (counted apart from the gathered flags)."""
    rng = np.random.default_rng([4099, 4])
    levels = Levels.of(counts_of(rng, 4099, "tail"))
    assert levels.dense and len(levels.rest_pos) and len(levels.rest_more)
    assert not Levels.of(counts_of(rng, 4099, "sparse")).dense
    binary = BitCounts.of(counts_of(rng, 4099, "tail"))
    assert len(binary.planes) >= 2 and len(binary.rest_pos) and len(binary.rest_more)
    # a sample with 100 rows: 7 planes where the levels need one per row
    many = BitCounts.of(np.full(64, 100))
    assert len(many.planes) == 7 and not len(many.rest_pos)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("n_codes", [1, 3, 40])
def test_code_levels_count_rows_per_code(n: int, n_codes: int) -> None:
    rng = np.random.default_rng([n, n_codes])
    n_rows = 3 * n
    weights = np.arange(1, n_codes + 1, dtype=float) ** -2  # one dominant code, a sparse tail
    codes = rng.choice(n_codes + 1, n_rows, p=np.append(weights, 0) / weights.sum())
    positions = rng.integers(0, n, n_rows)
    heavy = rng.random(n_rows) < 0.02  # some samples with many rows of code 0
    positions[heavy] = rng.integers(0, max(n // 50, 1), int(heavy.sum()))
    built = CodeCounts.of(codes, positions, n_codes + 1, n)  # the last code has no row
    for mask in masks(rng, n):
        expected = np.bincount(codes[mask[positions]], minlength=n_codes + 1)
        np.testing.assert_array_equal(built.counts(PackedMask.of(mask)), expected)
    for wanted in ([0], [n_codes - 1], list(range(n_codes + 1)), [n_codes], []):
        expected = np.zeros(n, dtype=bool)
        expected[positions[np.isin(codes, wanted)]] = True
        np.testing.assert_array_equal(built.mask_of(wanted, n), expected)
