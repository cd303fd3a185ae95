"""The false positives' pairs computed once (:class:`ImagePairs`): what a reader gets back is
what computing the pairs afresh gives, in the same order, whichever of them were computed
before; each pair's similarity is computed once; and TIDE typing with the per-box outcomes'
pairs gives exactly what it gives with its own (crowd regions, images of 150 predictions,
several chunks). The tidecv comparisons run through ``evaluate_arrays``, which shares them
(tests/test_evaluate_tide.py, tests/test_evaluate_lvis.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from visionlens_jlab.evaluate import analysis, tide
from visionlens_jlab.evaluate.analysis import outcomes_from_coco
from visionlens_jlab.evaluate.boxes import Boxes, group_pairs
from visionlens_jlab.evaluate.coco import IOU_THRESHOLDS, match_coco
from visionlens_jlab.evaluate.image_pairs import ImagePairs
from visionlens_jlab.evaluate.similarity import PairSimilarity, box_similarity
from visionlens_jlab.evaluate.tide import tide_errors

from .test_tide_reuse import assert_same, n_cats_of, random_boxes


def fresh(
    gt: Boxes, dt: Boxes, gt_index: np.ndarray, sim: PairSimilarity, dets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of ``dets`` with the ground truth ``gt_index`` of their image, computed."""
    by_image = gt_index[np.argsort(gt.image[gt_index], kind="stable")]
    p, at = group_pairs(dt.image[dets], gt.image[by_image])
    return p, by_image[at], sim.pairs(dets[p], by_image[at], False)


@pytest.mark.parametrize("seed", range(5))
def test_pairs_read_back_are_the_computed_ones_and_computed_once(seed):
    gt, dt = random_boxes(seed)
    sim = box_similarity(gt, dt)
    computed: list[int] = []

    def counted(d: np.ndarray, g: np.ndarray, crowd: bool) -> np.ndarray:
        computed.extend((d * len(gt) + g).tolist())
        return sim.pairs(d, g, crowd)

    plain = np.flatnonzero(~gt.crowd)
    pairs = ImagePairs(gt, dt, plain, replace(sim, pairs=counted))
    rng = np.random.default_rng(seed)
    first = np.flatnonzero(rng.random(len(dt)) < 0.6)  # kept, read in ascending chunks
    second = np.flatnonzero(rng.random(len(dt)) < 0.6)  # partly the first, partly not
    for dets in [*np.array_split(first, 4), *np.array_split(second, 3)]:
        for got, want in zip(pairs.of(dets), fresh(gt, dt, plain, sim, dets), strict=True):
            np.testing.assert_array_equal(got, want)
    assert pairs.pairs_of(plain) and not pairs.pairs_of(np.arange(len(gt)))
    other = plain.copy()
    other[0] = np.flatnonzero(gt.crowd)[0]  # as many ground truths, not the same ones
    assert not pairs.pairs_of(other)
    # images without any of the ground truth: no pair, and the similarity is not asked
    computed.clear()
    none = ImagePairs(gt, dt, np.zeros(0, dtype=np.int64), replace(sim, pairs=counted))
    assert [len(a) for a in none.of(np.arange(len(dt)))] == [0, 0, 0] and not computed


@pytest.mark.parametrize("chunk", [7, 65_536])
@pytest.mark.parametrize("seed", range(6))
def test_tide_with_the_outcomes_pairs_equals_tide_with_its_own(seed, chunk, monkeypatch):
    monkeypatch.setattr(analysis, "FP_CHUNK", chunk)
    monkeypatch.setattr(tide, "FP_CHUNK", chunk)
    gt, dt = random_boxes(seed)
    sim = box_similarity(gt, dt)
    match = match_coco(gt, dt, n_cats_of(gt, dt), IOU_THRESHOLDS, similarity=sim)
    out = outcomes_from_coco(gt, dt, match, 0, similarity=sim)
    assert out.fp_pairs is not None and out.fp_pairs.pairs_of(np.flatnonzero(~gt.crowd))
    shared = tide_errors(gt, dt, sim, coco=match, pairs=out.fp_pairs)
    assert_same(shared, tide_errors(gt, dt, sim, coco=match))
    # pairs of other ground truth (every object, crowd regions too) are not read
    every = ImagePairs(gt, dt, np.arange(len(gt)), sim)
    every.of(np.arange(len(dt)))
    assert_same(tide_errors(gt, dt, sim, coco=match, pairs=every), shared)


def test_pairs_kept_in_two_chunks_are_read_back() -> None:
    """Two ascending chunks kept, then read back together: both chunks' similarities are
    read (not the first chunk's alone)."""
    gt, dt = random_boxes(1)
    sim = box_similarity(gt, dt)
    plain = np.flatnonzero(~gt.crowd)
    pairs = ImagePairs(gt, dt, plain, sim)
    every = np.arange(len(dt))
    for dets in [*np.array_split(every, 2), every]:
        for got, want in zip(pairs.of(dets), fresh(gt, dt, plain, sim, dets), strict=True):
            np.testing.assert_array_equal(got, want)


def test_pairs_asked_for_out_of_order_are_read_back() -> None:
    """A later chunk asked for first, then an earlier one that none of it knows (computed,
    not kept: the kept ones stay ascending), then both: each read equals computing afresh."""
    gt, dt = random_boxes(2)
    sim = box_similarity(gt, dt)
    plain = np.flatnonzero(~gt.crowd)
    pairs = ImagePairs(gt, dt, plain, sim)
    early, late = np.array_split(np.arange(len(dt)), 2)
    for dets in (late, early, np.arange(len(dt)), early):
        for got, want in zip(pairs.of(dets), fresh(gt, dt, plain, sim, dets), strict=True):
            np.testing.assert_array_equal(got, want)
