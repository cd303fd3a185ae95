"""``dtype auto`` kept only where it matches float32: a detector's first batch run both ways.

``auto`` on a CUDA GPU is bfloat16 (float16 where the GPU has no bf16,
:func:`visionlens_jlab.jobs.accelerator.resolve_dtype`). A torchvision detector keeps
float32 weights and runs under ``torch.autocast`` in that dtype, so the same loaded model
can run its first batch in both: the reduced dtype is kept for the job only if every float32
box has a box of the same label in the reduced run with IoU ≥ :data:`MIN_IOU` and a score
within :data:`SCORE_TOLERANCE`, and no extra box (:func:`boxes_match`); else the job runs in
float32. The batch's result is the run kept (no third pass). Embedding models check their
reduced dtype the same way with a cosine ≥ 0.99 (:mod:`visionlens_jlab.embed.openclip`).

A transformers model loads its weights in the dtype (no float32 copy to compare with), and
an explicit ``bfloat16``/``float16`` is used as asked: neither is checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

MIN_IOU = 0.99
SCORE_TOLERANCE = 1e-3

Row = Sequence[Any]
"""A box row as the stream sends it: ``(sample_id, label, x, y, w, h, score)``."""


def iou(a: Row, b: Row) -> float:
    """Intersection over union of two rows' ``x, y, w, h`` boxes."""
    ax, ay, aw, ah = (float(v) for v in a[2:6])
    bx, by, bw, bh = (float(v) for v in b[2:6])
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 1.0


def boxes_match(
    reference: Sequence[Row],
    reduced: Sequence[Row],
    min_iou: float = MIN_IOU,
    score_tolerance: float = SCORE_TOLERANCE,
) -> bool:
    """Whether ``reduced`` has, one to one, a box for every ``reference`` box of the same
    image and label with IoU ≥ ``min_iou`` and a score within ``score_tolerance``, and no
    box more."""
    if len(reference) != len(reduced):
        return False
    free: dict[tuple[Any, Any], list[Row]] = defaultdict(list)
    for row in reduced:
        free[(row[0], row[1])].append(row)
    for row in sorted(reference, key=lambda r: -float(r[6])):
        candidates = free[(row[0], row[1])]
        best = max(candidates, key=lambda other: iou(row, other), default=None)
        if best is None or iou(row, best) < min_iou:
            return False
        if abs(float(best[6]) - float(row[6])) > score_tolerance:
            return False
        candidates.remove(best)
    return True


def checks_reduced(request: dict[str, Any], loaded: Any) -> bool:
    """Whether this job's first batch must check its reduced dtype: ``dtype auto`` chose
    one for a torchvision detector (autocast over float32 weights)."""
    return (
        (request.get("dtype") or "auto") == "auto"
        and loaded.kind == "torchvision"
        and loaded.dtype != "float32"
    )


def settle_reduced(
    loaded: Any, run: Callable[[], tuple[Any, ...]]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Run the first batch (``run()``, a ``boxes`` message) in ``loaded.dtype`` and in
    float32; keep the reduced dtype on ``loaded`` only if :func:`boxes_match`. Returns the
    message of the dtype kept and ``{"tried", "kept"}`` (the reduced dtype, and whether)."""
    tried = loaded.dtype
    low = run()
    loaded.dtype = "float32"
    full = run()
    kept = boxes_match(full[2], low[2])
    loaded.dtype = tried if kept else "float32"
    return (low if kept else full), {"tried": tried, "kept": kept}
