"""The COCO protocol, numerically identical to pycocotools' ``COCOeval`` (every iou type).

pycocotools evaluates one (image, class) at a time in Python. Here all groups are matched
at once: predictions are processed rank by rank (the r-th best prediction of *every*
(image, class) group in one vectorised step), for every area range and IoU threshold
together. Greedy matching only couples predictions of the same group, so this is exactly
the same algorithm, with ``max(dets per group)`` (at most ``maxDets[-1]`` = 100) steps.

The matching rule reproduced from ``COCOeval.evaluateImg``:

* predictions in descending score order (ties: source order), at most 100 per group;
* a prediction takes, among ground truths still free (crowd regions are never used up) with
  IoU >= ``min(t, 1 - 1e-10)``, the one with the largest IoU, preferring ground truths that
  are not ignored (crowd, or area outside the range); among equal IoUs the later one in the
  ground truth's order wins, as in pycocotools;
* IoU with a crowd region is intersection over the prediction's area;
* a prediction matched to an ignored ground truth is ignored, and so is an unmatched one
  whose area (``w*h``) lies outside the area range.

The iou types differ only in the pair similarity, the predictions' areas and which ground
truth is ignored (:class:`~.similarity.PairSimilarity`): box IoU by default, mask IoU
(:mod:`.masks`) or OKS (:mod:`.keypoints`, with its own area ranges and maxDets).

One deliberate difference: pycocotools records a match by storing the ground truth's
annotation *id*, and an id of 0 reads as "no match" (cocodataset/cocoapi#664). Matches here
are booleans, so a ground truth whose source id is 0 is evaluated correctly (the
``padilla-review-toy`` COCO pair gives AP 0.5979, not pycocotools' 0.4952).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from ..int_unique import unique_small_ints
from .boxes import Boxes, group_pairs, rank_in_group
from .similarity import PairSimilarity, box_similarity

IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_RANGES = {
    "all": (0.0, 1e5**2),
    "small": (0.0, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}
CHUNK = 16_384
"""Candidate pairs matched per vectorised step (bounds the temporaries to a few MB)."""
STAT_NAMES = (
    "AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge",
    "AR1", "AR10", "AR100", "ARsmall", "ARmedium", "ARlarge",
)  # fmt: skip
"""The 12 numbers of ``COCOeval.stats`` (bbox and segm), in pycocotools' order."""


@dataclass
class CocoMatch:
    """Matching of every kept prediction, per area range and IoU threshold.

    ``matched``/``dt_ignored`` are shaped ``(A, T, n_dt)`` (``A`` area ranges, ``T``
    thresholds); ``dt_gt`` keeps the matched ground-truth index (or -1) for the first area
    range ("all") at threshold ``gt_at`` only, which is all the per-box results need. ``kept`` marks the
    predictions within the first ``maxDets[-1]`` of their group. ``tied`` marks the kept
    predictions with two non-crowd candidates of equal IoU (at least the lowest threshold):
    only there can the tie rule (the later ground truth wins) decide a match, where TIDE's
    rule (the first wins, :mod:`.tide`) could decide otherwise.
    """

    thresholds: np.ndarray
    kept: np.ndarray  # (n_dt,) bool
    rank: np.ndarray  # (n_dt,) rank inside its (image, class) group
    matched: np.ndarray  # (A, T, n_dt) bool
    dt_ignored: np.ndarray  # (A, T, n_dt) bool
    gt_ignored: np.ndarray  # (A, n_gt) bool
    dt_gt: np.ndarray  # (n_dt,) int32: matched ground truth for area "all" at gt_at, or -1
    gt_at: int  # the threshold index of dt_gt
    tied: np.ndarray  # (n_dt,) bool: two non-crowd candidates of equal IoU


def match_coco(
    gt: Boxes,
    dt: Boxes,
    n_cats: int,
    thresholds: np.ndarray = IOU_THRESHOLDS,
    *,
    area_ranges: dict[str, tuple[float, float]] = AREA_RANGES,
    max_det: int = MAX_DETS[-1],
    plus_one: bool = False,
    similarity: PairSimilarity | None = None,
    gt_at: int = 0,
    keep: np.ndarray | None = None,
) -> CocoMatch:
    """Match predictions to ground truth for every area range and threshold at once.

    ``similarity``: how pairs are scored (default: box IoU, ``plus_one`` picking the pixel
    convention); ``gt_at``: the threshold (index) whose matched ground truth is kept;
    ``keep``: which predictions are evaluated at all (None: every one; the LVIS protocol's
    cap and federated rule leave some out, and they are then not ``kept``).
    """
    sim = similarity or box_similarity(gt, dt, plus_one=plus_one)
    n_dt = len(dt)
    areas = np.array(list(area_ranges.values()), dtype=float)
    n_a, n_t = len(areas), len(thresholds)
    gt_ign = (
        (gt.crowd | sim.gt_ignore)[None, :]
        | (gt.area[None, :] < areas[:, :1])
        | (gt.area[None, :] > areas[:, 1:])
    )

    dt_group = dt.image * n_cats + dt.cat
    gt_group = gt.image * n_cats + gt.cat
    rank = rank_in_group(dt_group, dt.score, np.arange(n_dt))
    kept = rank < max_det if keep is None else (rank < max_det) & keep

    matched = np.zeros((n_a, n_t, n_dt), dtype=bool)
    dt_ign = np.zeros((n_a, n_t, n_dt), dtype=bool)
    dt_gt = np.full(n_dt, -1, dtype=np.int32)
    tied = np.zeros(n_dt, dtype=bool)
    match = CocoMatch(thresholds, kept, rank, matched, dt_ign, gt_ign, dt_gt, gt_at, tied)
    thr = np.minimum(thresholds, 1 - 1e-10)
    # Process kept predictions rank-major, so the r-th predictions of all groups are contiguous.
    kept_idx = np.flatnonzero(kept)
    proc = kept_idx[np.lexsort((dt_group[kept_idx], rank[kept_idx]))]
    p_dt, p_gt = group_pairs(dt_group[proc], gt_group)  # p_dt indexes into proc
    if len(p_dt):
        iou = sim.pairs(proc[p_dt], p_gt, True)
        # A pair below every threshold can never match: drop it (most pairs, in practice).
        useful = iou >= thr.min()
        p_dt, p_gt, iou = p_dt[useful], p_gt[useful], iou[useful]
        # Inside each prediction, order candidates by (IoU, ground-truth order) ascending: the
        # position inside that order is then a tie-breaking key (largest wins).
        order = np.lexsort((p_gt, iou, p_dt))
        p_dt, p_gt, iou = p_dt[order], p_gt[order], iou[order]
        plain = ~gt.crowd[p_gt]  # equal IoUs are adjacent once crowd pairs are left out
        pd, pi = p_dt[plain], iou[plain]
        tied[proc[pd[1:][(pd[1:] == pd[:-1]) & (pi[1:] == pi[:-1])]]] = True
        _greedy(proc, rank, p_dt, p_gt, iou, gt.crowd, thr, match)
    dt_area = sim.dt_area
    for a in range(n_a):  # one area range at a time: no (A, T, n_dt) temporaries
        out_of_range = (dt_area < areas[a, 0]) | (dt_area > areas[a, 1])
        dt_ign[a] |= ~matched[a] & out_of_range[None, :]
    return match


def _greedy(
    proc: np.ndarray,
    rank: np.ndarray,
    p_dt: np.ndarray,
    p_gt: np.ndarray,
    iou: np.ndarray,
    crowd: np.ndarray,
    thr: np.ndarray,
    out: CocoMatch,
) -> None:
    """Greedy matching, one prediction rank at a time across all groups, recorded in
    ``out`` (``matched``, ``dt_ignored``, ``dt_gt``) chunk by chunk: the matches of a whole
    dataset, kept as index arrays until the end, would take gigabytes at 100K images.

    State and keys are laid out (candidate, area*threshold) so that gathering the columns
    of the candidates' ground truths reads contiguous rows.
    """
    gt_ign = out.gt_ignored
    n_a, n_gt = gt_ign.shape
    n_t = len(thr)
    n_cols, n_dt = n_a * n_t, out.matched.shape[2]
    used = np.zeros((n_gt, n_cols), dtype=bool)  # non-crowd ground truths already matched
    used_flat = used.reshape(-1)  # views, written by flat index
    matched_flat, ignored_flat = out.matched.reshape(-1), out.dt_ignored.reshape(-1)
    thr_cols = np.tile(thr, n_a)[None, :]  # column = a * T + t
    gt_ign_rows = np.ascontiguousarray(gt_ign.T)  # (n_gt, A): a candidate's row, contiguous
    cand_start = np.searchsorted(p_dt, np.arange(len(proc)), side="left")
    cand_end = np.searchsorted(p_dt, np.arange(len(proc)), side="right")
    proc_rank = rank[proc]
    has_cand = cand_end > cand_start
    big = int((cand_end - cand_start).max()) + 1
    big32, zero = np.int32(big), np.int32(0)
    for r in unique_small_ints(proc_rank[has_cand]):  # ranks < max_det: no sort
        rank_dets = np.flatnonzero((proc_rank == r) & has_cand)  # contiguous (rank-major)
        # Predictions of one rank are independent (one per group): process them in chunks
        # of about CHUNK candidates so the (candidates x area*threshold) temporaries stay
        # in cache instead of streaming hundreds of MB through memory.
        ends = cand_end[rank_dets] - cand_start[rank_dets[0]]
        cuts = np.searchsorted(ends, np.arange(CHUNK, int(ends[-1]), CHUNK), side="left")
        for dets in np.split(rank_dets, np.unique(cuts + 1)):
            if len(dets) == 0:
                continue
            lo, hi = cand_start[dets[0]], cand_end[dets[-1]]
            g = p_gt[lo:hi]
            seg = cand_start[dets] - lo
            local = np.arange(hi - lo) - np.repeat(seg, cand_end[dets] - cand_start[dets])
            eligible = (iou[lo:hi, None] >= thr_cols) & ~(used[g] & ~crowd[g, None])
            # (candidates, A*T), column a * T + t: (n_gt, A*T) for all would take 30 MB
            ign = np.repeat(gt_ign_rows[g], n_t, axis=1)
            key = local.astype(np.int32)[:, None] + np.where(ign, zero, big32)
            key[~eligible] = -1
            best = np.maximum.reduceat(key, seg, axis=0)  # (n_dets, A*T)
            hit_d, hit_c = np.nonzero(best >= 0)
            hit_key = best[hit_d, hit_c]
            gidx = p_gt[lo + seg[hit_d] + hit_key % big]
            plain = ~crowd[gidx]
            used_flat[gidx[plain] * n_cols + hit_c[plain]] = True
            # column a * T + t of prediction d is element (a * T + t) * n_dt + d of the
            # (A, T, n_dt) arrays; a key below ``big`` took an ignored ground truth
            flat = hit_c * n_dt + proc[dets[hit_d]]
            matched_flat[flat] = True
            ignored_flat[flat] = hit_key < big
            kept_gt = hit_c == out.gt_at  # area "all" (a = 0) at threshold gt_at
            out.dt_gt[flat[kept_gt] - out.gt_at * n_dt] = gidx[kept_gt]


def accumulate_coco(
    gt: Boxes,
    dt: Boxes,
    match: CocoMatch,
    n_cats: int,
    max_dets: tuple[int, ...] = MAX_DETS,
    *,
    cells: Collection[tuple[int, int]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``COCOeval.accumulate``: precision ``(T, R, K, A, M)`` and recall ``(T, K, A, M)``.

    Entries of classes without (non-ignored) ground truth stay -1, as in pycocotools.
    ``cells``: the (area range, maxDets) indices to compute (None: every one); the others
    stay -1 (an evaluation reads few of them: :func:`summary_cells`).
    """
    n_t, n_r, n_a, n_m = (
        len(match.thresholds),
        len(RECALL_THRESHOLDS),
        match.gt_ignored.shape[0],
        len(max_dets),
    )
    precision = -np.ones((n_t, n_r, n_cats, n_a, n_m))
    recall = -np.ones((n_t, n_cats, n_a, n_m))
    npig = np.zeros((n_a, n_cats), dtype=np.int64)
    for a in range(n_a):
        npig[a] = np.bincount(gt.cat[~match.gt_ignored[a]], minlength=n_cats)
    kept = np.flatnonzero(match.kept)
    # pycocotools concatenates per-image lists (images ascending, each in rank order) and
    # sorts by descending score with a stable sort: reproduce that order exactly.
    order = kept[np.lexsort((match.rank[kept], dt.image[kept], -dt.score[kept], dt.cat[kept]))]
    previous: np.ndarray | None = None
    done: set[tuple[int, int]] = set()
    for m, max_det in enumerate(max_dets):
        within = match.rank[order] < max_det
        # No group has more predictions than the previous maxDets: the same numbers.
        same = previous is not None and np.array_equal(within, previous)
        previous = within
        sel = order[within]
        cat_bounds = np.searchsorted(dt.cat[sel], np.arange(n_cats + 1))
        for a in range(n_a):
            if cells is not None and (a, m) not in cells:
                continue
            done.add((a, m))
            if same and (a, m - 1) in done:
                precision[..., a, m] = precision[..., a, m - 1]
                recall[..., a, m] = recall[..., a, m - 1]
                continue
            matched = match.matched[a][:, sel]
            counted = ~match.dt_ignored[a][:, sel]
            tps = matched & counted
            for k in np.flatnonzero(npig[a] > 0):
                lo, hi = cat_bounds[k], cat_bounds[k + 1]
                _accumulate_one(
                    tps[:, lo:hi],
                    counted[:, lo:hi],
                    int(npig[a, k]),
                    precision[:, :, k, a, m],
                    recall[:, k, a, m],
                )
    return precision, recall


def summary_cells(
    specs: tuple[StatSpec, ...], area_names: tuple[str, ...], max_dets: tuple[int, ...]
) -> set[tuple[int, int]]:
    """The (area range, maxDets) cells of :func:`accumulate_coco` an evaluation reads: those
    of the summary numbers ``specs``, and area "all" at the largest maxDets (the per-class
    table and the PR curves)."""
    cells = {(area_names.index(area), max_dets.index(max_det)) for *_, area, max_det in specs}
    return cells | {(0, len(max_dets) - 1)}


def _accumulate_one(
    tps: np.ndarray, counted: np.ndarray, npig: int, precision: np.ndarray, recall: np.ndarray
) -> None:
    """One (class, area, maxDet) cell, with pycocotools' numbers bit for bit.

    pycocotools computes ``tp / (fp + tp + eps)`` from float cumulative sums (integers,
    exact in floats: ``fp + tp`` is the running count of predictions not ignored), the
    recall ``rc = tp / npig`` and, per threshold, ``searchsorted(rc, recThrs, "left")``.
    Division is monotonic, so ``rc < r`` exactly when ``tp`` is below the smallest count
    ``j`` with ``j / npig >= r``: the look-ups become one search of integer counts for
    every threshold (each row's counts offset above the previous row's), and ``rc`` is
    needed only at the end of each row.
    """
    n_t, nd = tps.shape
    if nd == 0:
        precision[:] = 0.0
        recall[:] = 0.0
        return
    tp = np.cumsum(tps, axis=1, dtype=np.int32)
    pr = tp / (np.cumsum(counted, axis=1, dtype=np.int32) + np.spacing(1))
    recall[:] = tp[:, -1] / npig
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
    need = np.searchsorted(np.arange(npig + 1) / npig, RECALL_THRESHOLDS, side="left")
    shift = np.arange(n_t)[:, None] * (nd + 1)  # counts are <= nd: rows stay apart
    found = np.searchsorted((tp + shift).ravel(), (need[None, :] + shift).ravel())
    inds = found.reshape(n_t, -1) - np.arange(n_t)[:, None] * nd  # >= nd: past the row
    valid = inds < nd
    q = np.zeros(inds.shape)
    q[valid] = pr[np.nonzero(valid)[0], inds[valid]]
    precision[:] = q


def _mean_defined(values: np.ndarray) -> float:
    defined = values[values > -1]
    return float(np.mean(defined)) if defined.size else -1.0


StatSpec = tuple[str, bool, float | None, str, int]
"""One summary number: name, AP (else AR), IoU threshold (None: 0.50:0.95), area range,
maxDets, as pycocotools' ``_summarize`` arguments."""
BBOX_STATS: tuple[StatSpec, ...] = (
    ("AP", True, None, "all", 100), ("AP50", True, 0.5, "all", 100),
    ("AP75", True, 0.75, "all", 100), ("APsmall", True, None, "small", 100),
    ("APmedium", True, None, "medium", 100), ("APlarge", True, None, "large", 100),
    ("AR1", False, None, "all", 1), ("AR10", False, None, "all", 10),
    ("AR100", False, None, "all", 100), ("ARsmall", False, None, "small", 100),
    ("ARmedium", False, None, "medium", 100), ("ARlarge", False, None, "large", 100),
)  # fmt: skip
"""``COCOeval.summarize`` of iou types bbox and segm (``_summarizeDets``)."""


def summarize_coco(
    precision: np.ndarray,
    recall: np.ndarray,
    thresholds: np.ndarray,
    *,
    specs: tuple[StatSpec, ...] = BBOX_STATS,
    area_names: tuple[str, ...] = tuple(AREA_RANGES),
    max_dets: tuple[int, ...] = MAX_DETS,
) -> dict[str, float]:
    """``COCOeval.summarize``: the standard numbers (``specs``), -1 where undefined."""
    std = np.flatnonzero(np.isin(thresholds, IOU_THRESHOLDS))
    out = {}
    for name, ap, iou, area, max_det in specs:
        t = std if iou is None else np.flatnonzero(thresholds == iou)
        a, m = area_names.index(area), max_dets.index(max_det)
        values = precision[t][:, :, :, a, m] if ap else recall[t][:, :, a, m]
        out[name] = _mean_defined(values)
    return out


def per_class_coco(
    precision: np.ndarray, recall: np.ndarray, thresholds: np.ndarray, max_det: int = MAX_DETS[-1]
) -> dict[str, np.ndarray]:
    """Per-class AP@[.5:.95], AP50, AP75 and AR at the largest maxDets (``max_det``, area
    all; named ``AR{max_det}``), NaN for classes without GT."""
    std = np.flatnonzero(np.isin(thresholds, IOU_THRESHOLDS))

    def mean(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        masked = np.where(values > -1, values, np.nan)
        with np.errstate(invalid="ignore"):
            out = np.nanmean(masked, axis=axes) if masked.size else np.zeros(0)
        return out

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return {
            "AP": mean(precision[std][:, :, :, 0, -1], (0, 1)),
            "AP50": mean(precision[thresholds == 0.5][:, :, :, 0, -1], (0, 1)),
            "AP75": mean(precision[thresholds == 0.75][:, :, :, 0, -1], (0, 1)),
            f"AR{max_det}": mean(recall[std][:, :, 0, -1], (0,)),
        }
