"""Predictions paired with every ground truth of their image, and the pairs' plain
similarity, computed once per prediction.

The per-box outcomes explain each false positive by its pairs with the usable ground truth
of its image (:mod:`.analysis`), and TIDE types each unmatched prediction by its pairs with
the non-crowd ground truth of its image (:mod:`.tide`): where the two sets of ground truth
are the same (every COCO evaluation that ignores nothing but crowd regions), TIDE's
predictions are mostly the same false positives, whose similarities were already computed
(a box IoU of ~190K pairs at 10K images; ~1.9M at 100K). :class:`ImagePairs` keeps the
similarities of the predictions the first reader asked for and computes only the others.
"""

from __future__ import annotations

import numpy as np

from .boxes import Boxes
from .similarity import PairSimilarity


class ImagePairs:
    """The pairs of predictions with the ground truth ``gt_index`` of their image, in
    prediction order, then the ground truth's own order within its image; their
    similarities (``similarity.pairs`` without the crowd rule) are kept for the
    predictions asked for in ascending order (:meth:`of`) and reused when asked again."""

    def __init__(
        self, gt: Boxes, dt: Boxes, gt_index: np.ndarray, similarity: PairSimilarity
    ) -> None:
        self.gt_index = gt_index
        self.by_image = gt_index[np.argsort(gt.image[gt_index], kind="stable")]
        self.keys = gt.image[self.by_image]
        self.dt_image, self.similarity = dt.image, similarity
        self.held = np.zeros(0, dtype=np.int64)  # ascending predictions whose pairs are kept
        self.held_start = np.zeros(1, dtype=np.int64)  # where each one's pairs start
        self.held_iou: list[np.ndarray] = []  # their similarities, one array per call

    def pairs_of(self, gt_index: np.ndarray) -> bool:
        """Whether these are the pairs with the ground truth ``gt_index`` (a reader of
        other ground truth needs its own)."""
        return np.array_equal(self.gt_index, gt_index)

    def of(self, dets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pairs of the predictions ``dets`` (ascending, distinct): each pair's
        position in ``dets``, its ground truth and its similarity. Predictions asked for
        before are read back; when all of ``dets`` come after the last one kept, their
        similarities are kept too (a reader's ascending chunks)."""
        image = self.dt_image[dets]
        lo = np.searchsorted(self.keys, image, side="left")
        counts = np.searchsorted(self.keys, image, side="right") - lo
        total = int(counts.sum())
        p = np.repeat(np.arange(len(dets)), counts)
        local = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        g = self.by_image[lo[p] + local]
        if not total:  # no ground truth in their images: no similarity to ask for
            return p, g, np.zeros(0)
        at = np.searchsorted(self.held, dets)
        known = at < len(self.held)
        known[known] = self.held[at[known]] == dets[known]
        if not known.any():
            iou = self.similarity.pairs(dets[p], g, False)
            if not len(self.held) or dets[0] > self.held[-1]:
                ends = self.held_start[-1] + np.cumsum(counts)
                self.held = np.concatenate([self.held, dets])
                self.held_start = np.concatenate([self.held_start, ends])
                self.held_iou.append(iou)
            return p, g, iou
        if len(self.held_iou) > 1:  # one array to read from
            self.held_iou = [np.concatenate(self.held_iou)]
        old = known[p]
        iou = np.empty(total)
        iou[old] = self.held_iou[0][self.held_start[at[p[old]]] + local[old]]
        new = ~old
        if new.any():
            iou[new] = self.similarity.pairs(dets[p[new]], g[new], False)
        return p, g, iou
