"""TIDE: how many AP points each kind of detection error costs (Bolya et al., ECCV 2020).

Numerically what the ``tidecv`` package (1.0.1) computes with its defaults, vectorised over
the whole evaluation instead of one image at a time in Python:

* at most ``max_dets`` (100) predictions per *image* (not per class), by descending score;
* matching at the foreground IoU (0.5), per image and class in score order: a prediction
  takes the free ground truth of its class with the largest IoU (ties: the first in the
  image's ground-truth order; crowd regions take no part); an unmatched prediction whose
  crowd IoU (intersection over its own area) with a crowd region of its class is *above*
  0.5 is ignored (left out of AP, but still typed below, as tidecv does);
* every unmatched prediction gets one error type, tested in tidecv's order: ``Bkg`` when
  its image has no ground truth; ``Loc`` when its best IoU with its own class lies in
  [0.1, 0.5]; ``Cls`` when it overlaps another class's ground truth by >= 0.5; ``Dupe``
  when it overlaps an already matched ground truth of its class by >= 0.5; ``Bkg`` when it
  overlaps nothing by more than 0.1; ``Both`` otherwise. A ground truth left unmatched
  that no ``Cls``/``Loc`` error points to is a ``Miss``;
* the AP is tidecv's own (AP50 over the classes that have ground truth or predictions, a
  class without ground truth counting 0; 101 recall points), and each error type's dAP is
  the AP with only that type fixed by its oracle minus the AP (negative values read 0):
  a ``Cls``/``Loc`` error becomes a true positive when it is the highest-scoring error
  pointing to a ground truth still free (its class corrected for ``Cls``), else it is
  dropped; ``Dupe``, ``Bkg`` and ``Both`` errors are dropped; a ``Miss`` leaves the
  ground-truth count. ``FalsePos`` scores every true positive above every false positive;
  ``FalseNeg`` counts only the matched ground truth.

Equal scores of different images are ranked in tidecv's image order (the order the images
were ingested, ``image_order``), as it walks them; that is what makes these numbers equal
tidecv's rather than only close on real files, whose scores often tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import Boxes, group_pairs, rank_in_group
from .coco import CocoMatch, match_coco
from .image_pairs import ImagePairs
from .similarity import PairSimilarity

MAIN_ERRORS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
"""tidecv's main error types, in the order it prints them."""
SPECIAL_ERRORS = ("FalsePos", "FalseNeg")
TIDE_IOU_TYPES: tuple[str, ...] = ("bbox", "segm")
"""The COCO iou types TIDE is computed for (tidecv's box and mask modes)."""
POS_THRESHOLD = 0.5
BACKGROUND_THRESHOLD = 0.1
MAX_DETS = 100
CLS, LOC, BOTH, DUPE, BKG = range(5)
FP_CHUNK = 65_536
"""Unmatched predictions typed per step (bounds their pairs' temporaries to tens of MB)."""
RECALL_POINTS = np.array([x / 100 for x in range(101)])
"""tidecv's recall points (``x / 100``, bit for bit)."""


@dataclass
class TideObjects:
    """Each object's TIDE error: ``dt_error`` per prediction (an index of
    :data:`MAIN_ERRORS`, ``Cls`` to ``Bkg``; -1 for a true positive or a prediction past
    ``max_dets``), ``gt_missed`` per ground truth (a ``Miss``). They are what the summary's
    ``counts`` count, and every one of them is decided inside its image."""

    dt_error: np.ndarray
    gt_missed: np.ndarray


@dataclass
class TideErrors:
    """TIDE's summary: ``main``/``special`` dAP per error type in AP points (0-100, as tidecv
    prints them), ``ap`` its AP50 in points, ``counts`` the number of errors of each main
    type; ``objects`` the error of each object (not part of :meth:`to_dict`)."""

    main: dict[str, float]
    special: dict[str, float]
    ap: float
    counts: dict[str, int]
    objects: TideObjects

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"main": {...}, "special": {...}, "ap": .., "counts": {...}}``."""
        return {"main": self.main, "special": self.special, "ap": self.ap, "counts": self.counts}


@dataclass
class _Typed:
    """Per kept prediction (the ``kept`` order): its match, whether it is ignored, its
    error type (-1 for a true positive) and the oracle's true positive for Cls/Loc."""

    kept: np.ndarray  # indices of the predictions within max_dets of their image
    rank: np.ndarray  # their rank inside their image
    matched: np.ndarray  # bool
    ignored: np.ndarray  # bool
    error: np.ndarray  # CLS..BKG or -1
    fixed: np.ndarray  # bool: the oracle turns this Cls/Loc error into a true positive
    fixed_cat: np.ndarray  # the class of that true positive (the ground truth's, for Cls)
    missed: np.ndarray  # (n_gt,) bool: the ground truth is a Miss error


def tide_errors(
    gt: Boxes,
    dt: Boxes,
    similarity: PairSimilarity,
    *,
    image_order: np.ndarray | None = None,
    pos_threshold: float = POS_THRESHOLD,
    background_threshold: float = BACKGROUND_THRESHOLD,
    max_dets: int = MAX_DETS,
    image_wide_ignored: np.ndarray | None = None,
    coco: CocoMatch | None = None,
    pairs: ImagePairs | None = None,
) -> TideErrors | None:
    """TIDE's dAP per error type for ``dt`` against ``gt`` (None: nothing to evaluate).

    ``similarity``: the evaluation's pair IoU (box or mask); ``image_order``: one key per
    prediction giving its image's position in tidecv's image order (default ``dt.image``).
    Predictions and ground truth must be in source order (it breaks ties, as in tidecv).
    ``image_wide_ignored``: per prediction, whether an ignore region over its whole image
    holds its class (tidecv's reading of LVIS, :func:`~.lvis.tide_ignored`): left out of
    AP when unmatched, but still typed, as a crowd region's. ``coco``: the evaluation's
    own match of these boxes with this similarity, whose matches at ``pos_threshold`` are
    taken where they are provably TIDE's (:func:`_reusable`) instead of matching again;
    ``pairs``: the outcomes' ``fp_pairs``, read again where they pair the same ground truth.
    """
    typed = _type_predictions(
        gt, dt, similarity, pos_threshold, background_threshold, max_dets, image_wide_ignored,
        coco, pairs,
    )  # fmt: skip
    order_key = dt.image if image_order is None else image_order
    n_cats = int(max(gt.cat.max(initial=-1), dt.cat.max(initial=-1))) + 1
    plain = ~gt.crowd
    num_gt = np.bincount(gt.cat[plain], minlength=n_cats)
    k = typed.kept
    counted = ~typed.ignored  # the original data points of tidecv's AP
    cat, score = dt.cat[k], dt.score[k]
    universe = (num_gt > 0) | (np.bincount(cat[counted], minlength=n_cats) > 0)
    if not universe.any():
        return None
    img_key = order_key[k]

    base = _mean_ap(
        cat[counted], score[counted], typed.matched[counted],
        (img_key[counted], typed.rank[counted]), num_gt, universe,
    )  # fmt: skip
    # The oracles' runs (tidecv's fix_errors) list the errors, fixed or not, before the
    # original true positives: equal scores rank an error first.
    fixes = np.flatnonzero(typed.fixed)
    e_cat = np.concatenate([cat[counted], typed.fixed_cat[fixes]])
    e_score = np.concatenate([score[counted], score[fixes]])
    e_tp = np.concatenate([typed.matched[counted], np.ones(len(fixes), dtype=bool)])
    e_error = np.concatenate([typed.error[counted], typed.error[fixes]])
    e_fixed = np.concatenate([np.zeros(int(counted.sum()), dtype=bool), np.ones(len(fixes), bool)])
    original_tp = (e_tp & ~e_fixed).astype(np.int8)
    walk = np.r_[img_key[counted], img_key[fixes]]
    rank = np.r_[typed.rank[counted], typed.rank[fixes]]
    order = np.lexsort((rank, walk, original_tp, -e_score, e_cat))
    main: dict[str, float] = {}
    for code, name in enumerate(MAIN_ERRORS[:5]):
        # the type's errors leave their place; its fixed true positives take theirs
        keep = np.where(e_fixed, e_error == code, e_error != code)[order]
        ap = _mean_sorted(e_cat[order][keep], e_tp[order][keep], num_gt, universe)
        main[name] = max(ap - base, 0.0)
    missed = np.bincount(gt.cat[typed.missed], minlength=n_cats)
    original = ~e_fixed[order]
    o_cat, o_tp = e_cat[order][original], e_tp[order][original]
    main["Miss"] = max(_mean_sorted(o_cat, o_tp, num_gt - missed, universe) - base, 0.0)
    matched_gt = np.bincount(cat[typed.matched], minlength=n_cats)
    # FalsePos: true positives score 1, false positives 0 (a stable sort keeps the rest)
    fp_order = np.argsort(~o_tp, kind="stable")
    fp_cat_order = np.argsort(o_cat[fp_order], kind="stable")
    perfect = fp_order[fp_cat_order]
    special = {
        "FalsePos": _mean_sorted(o_cat[perfect], o_tp[perfect], num_gt, universe) - base,
        "FalseNeg": _mean_sorted(o_cat, o_tp, matched_gt, universe) - base,
    }
    errors = typed.error[typed.error >= 0]
    counts = {name: int((errors == code).sum()) for code, name in enumerate(MAIN_ERRORS[:5])}
    counts["Miss"] = int(typed.missed.sum())
    return TideErrors(main, special, base, counts, _objects(typed, len(dt)))


def tide_objects(
    gt: Boxes,
    dt: Boxes,
    similarity: PairSimilarity,
    *,
    pos_threshold: float = POS_THRESHOLD,
    background_threshold: float = BACKGROUND_THRESHOLD,
    max_dets: int = MAX_DETS,
) -> TideObjects:
    """Each object's TIDE error alone (no dAP): what :func:`tide_errors` gives as
    ``objects``. Every error is decided inside its image, so the objects of some images
    get the same errors here as in a run over the whole dataset (an edit's rematch)."""
    typed = _type_predictions(gt, dt, similarity, pos_threshold, background_threshold, max_dets)
    return _objects(typed, len(dt))


def _objects(typed: _Typed, n_dt: int) -> TideObjects:
    dt_error = np.full(n_dt, -1, dtype=np.int64)
    dt_error[typed.kept] = typed.error
    return TideObjects(dt_error, typed.missed.copy())


def _type_predictions(
    gt: Boxes,
    dt: Boxes,
    sim: PairSimilarity,
    pos: float,
    bg: float,
    max_dets: int,
    image_wide_ignored: np.ndarray | None = None,
    coco: CocoMatch | None = None,
    pairs: ImagePairs | None = None,
) -> _Typed:
    """Match, ignore and type every prediction kept by ``max_dets`` (see the module)."""
    n_dt = len(dt)
    image_rank = rank_in_group(dt.image, dt.score, np.arange(n_dt))
    kept = np.flatnonzero(image_rank < max_dets)
    plain = np.flatnonzero(~gt.crowd)
    n_cats = int(max(gt.cat.max(initial=-1), dt.cat.max(initial=-1))) + 1
    dt_gt = np.full(len(kept), -1, dtype=np.int64)
    own = np.ones(len(kept), dtype=bool)
    if coco is not None and _reusable(gt, coco, pos):
        taken = coco.dt_gt[kept].astype(np.int64)
        group = dt.image[kept] * n_cats + dt.cat[kept]
        own = np.isin(group, group[~coco.kept[kept] | coco.tied[kept]])
        reused = np.flatnonzero(~own & (taken >= 0))
        reused = reused[~gt.crowd[taken[reused]]]  # a crowd region's match: TIDE's none
        dt_gt[reused] = taken[reused]
    if own.any():
        dt_gt[own] = _own_match(gt, dt, sim, kept[own], plain, n_cats, pos, max_dets)
    matched = dt_gt >= 0
    gt_used = np.zeros(len(gt), dtype=bool)
    gt_used[dt_gt[matched]] = True

    ignored = np.zeros(len(kept), dtype=bool)
    crowd = np.flatnonzero(gt.crowd)
    free = np.flatnonzero(~matched)
    if len(crowd) and len(free):
        d, g = group_pairs(
            dt.image[kept[free]] * n_cats + dt.cat[kept[free]],
            gt.image[crowd] * n_cats + gt.cat[crowd],
        )
        over = sim.pairs(kept[free[d]], crowd[g], True) > pos
        ignored[free[d[over]]] = True
    if image_wide_ignored is not None:  # a region of the whole image: every IoU with it is 1
        ignored[free] |= image_wide_ignored[kept[free]]

    error = np.full(len(kept), -1, dtype=np.int64)
    target = np.full(len(kept), -1, dtype=np.int64)
    pairs = pairs if pairs is not None and pairs.pairs_of(plain) else ImagePairs(gt, dt, plain, sim)
    for lo in range(0, len(free), FP_CHUNK):
        part = free[lo : lo + FP_CHUNK]
        error[part], target[part] = _errors(gt, dt, kept[part], pairs, gt_used, pos, bg)

    # tidecv's BestGTMatch: of the Cls/Loc errors pointing to a free ground truth, the one
    # with the highest score (the first, in its image's order) is the oracle's fix.
    points = np.flatnonzero(((error == CLS) | (error == LOC)) & (target >= 0))
    points = points[~gt_used[target[points]]]
    usable = np.zeros(len(gt), dtype=bool)
    usable[target[points]] = True
    best = points[np.lexsort((image_rank[kept[points]], target[points]))]
    first = best[np.r_[True, target[best][1:] != target[best][:-1]]] if len(best) else best
    fixed = np.zeros(len(kept), dtype=bool)
    fixed[first] = True
    fixed_cat = dt.cat[kept].copy()
    cls_fix = fixed & (error == CLS)
    fixed_cat[cls_fix] = gt.cat[target[cls_fix]]
    missed = ~gt.crowd & ~gt_used & ~usable
    return _Typed(kept, image_rank[kept], matched, ignored, error, fixed, fixed_cat, missed)


def _reusable(gt: Boxes, coco: CocoMatch, pos: float) -> bool:
    """Whether ``coco`` (a COCO match, :func:`~.coco.match_coco`) kept its matches at
    ``pos`` with nothing but crowd regions ignored over area range "all": its match of a
    (image, class) group is then TIDE's wherever the group's predictions TIDE keeps (a
    prefix of the group in score order: the first ``max_dets`` of their *image*) are all
    kept by it and no tie of IoUs decides (its tie rule differs). COCO takes, among the
    free non-crowd ground truths with IoU >= ``pos``, the one with the largest IoU, and a
    crowd region only when there is none (crowd regions are never used up); TIDE leaves
    crowd regions out of the match: the same matches but the crowd ones."""
    return bool(coco.thresholds[coco.gt_at] == pos) and np.array_equal(coco.gt_ignored[0], gt.crowd)


def _own_match(
    gt: Boxes,
    dt: Boxes,
    sim: PairSimilarity,
    dets: np.ndarray,
    plain: np.ndarray,
    n_cats: int,
    pos: float,
    max_dets: int,
) -> np.ndarray:
    """TIDE's match of the predictions ``dets`` (whole (image, class) groups of the kept
    ones) to the non-crowd ground truth ``plain``: each one's ground truth, or -1."""
    # COCO's matching breaks equal IoUs towards the *later* ground truth, tidecv's argmax
    # towards the first: hand it the ground truth in reverse order.
    rev = plain[::-1]
    if not len(rev):
        return np.full(len(dets), -1, dtype=np.int64)
    sub = PairSimilarity(
        "tide",
        lambda d, g, crowd: sim.pairs(dets[d], rev[g], False),
        np.zeros(len(dets)),
        np.zeros(len(rev), dtype=bool),
    )
    match = match_coco(
        gt.take(rev), dt.take(dets), n_cats, np.array([pos]),
        area_ranges={"all": (-np.inf, np.inf)}, max_det=max_dets, similarity=sub,
    )  # fmt: skip
    return np.where(match.dt_gt >= 0, rev[np.maximum(match.dt_gt, 0)], -1)


def _errors(
    gt: Boxes,
    dt: Boxes,
    d_idx: np.ndarray,
    pairs: ImagePairs,
    gt_used: np.ndarray,
    pos: float,
    bg: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Error type and target ground truth (Cls/Loc, else -1) of the unmatched predictions
    ``d_idx``, from their ``pairs`` with every (non-crowd) ground truth of their image."""
    n = len(d_idx)
    error = np.full(n, BKG, dtype=np.int64)  # an image without ground truth: background
    target = np.full(n, -1, dtype=np.int64)
    p, g, iou = pairs.of(d_idx)  # by prediction, then ground truth in its image's order
    if not len(p):
        return error, target
    same = dt.cat[d_idx[p]] == gt.cat[g]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    has = p[starts]

    def best(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row maxima and tidecv's argmax (the first maximum) of each prediction's row."""
        top = np.maximum.reduceat(values, starts)
        pos_in = np.arange(len(p))
        first = np.where(values == np.repeat(top, np.diff(np.r_[starts, len(p)])), pos_in, len(p))
        return top, g[np.minimum.reduceat(first, starts)]

    same_top, same_gt = best(np.where(same, iou, 0.0))
    other_top, other_gt = best(np.where(same, 0.0, iou))
    used_top = np.maximum.reduceat(np.where(same & gt_used[g], iou, 0.0), starts)
    all_top = np.maximum.reduceat(iou, starts)
    kind = np.select(
        [
            (bg <= same_top) & (same_top <= pos),
            other_top >= pos,
            used_top >= pos,
            all_top <= bg,
        ],
        [LOC, CLS, DUPE, BKG],
        BOTH,
    )
    error[has] = kind
    target[has] = np.select([kind == LOC, kind == CLS], [same_gt, other_gt], -1)
    return error, target


def _mean_ap(
    cat: np.ndarray,
    score: np.ndarray,
    tp: np.ndarray,
    ties: tuple[np.ndarray, np.ndarray],
    num_gt: np.ndarray,
    universe: np.ndarray,
) -> float:
    """tidecv's mAP of data points (sorted here: class, descending score, then ``ties``)."""
    order = np.lexsort((ties[1], ties[0], -score, cat))
    return _mean_sorted(cat[order], tp[order], num_gt, universe)


def _mean_sorted(
    cat: np.ndarray, tp: np.ndarray, num_gt: np.ndarray, universe: np.ndarray
) -> float:
    """tidecv's ``ClassedAPDataObject.get_mAP`` of data points already in class order and
    ranking order within a class: the mean AP (points) of the classes of ``universe`` that
    keep ground truth or data points; a class without ground truth counts 0."""
    n_cats = len(num_gt)
    bounds = np.searchsorted(cat, np.arange(n_cats + 1))
    tp_cum = np.r_[0, np.cumsum(tp)]
    aps: list[float] = []
    for k in np.flatnonzero(universe).tolist():
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        if hi == lo and num_gt[k] == 0:
            continue  # tidecv's is_empty: the class leaves the mean
        if num_gt[k] == 0 or hi == lo:
            aps.append(0.0)
            continue
        n_true = tp_cum[lo + 1 : hi + 1] - tp_cum[lo]
        precision = n_true / np.arange(1, hi - lo + 1)
        recall = n_true / num_gt[k]
        precision = np.maximum.accumulate(precision[::-1])[::-1]
        idx = np.searchsorted(recall, RECALL_POINTS, side="left")
        y = np.where(idx < hi - lo, precision[np.minimum(idx, hi - lo - 1)], 0.0)
        aps.append(float(np.cumsum(y)[-1]) / len(RECALL_POINTS) * 100)
    return sum(aps) / len(aps) if aps else 0.0
