"""The precision of the box-to-mask job's image encoder (its ``dtype`` option).

SAM's image encoder, a ViT, is nearly all of a box-to-mask job's time on a CPU (the prompt
encoder and mask decoder are milliseconds a box). On a CPU that multiplies bfloat16 natively
(:func:`~visionlens_jlab.jobs.accelerator.cpu_has_bf16`), a bf16 copy of the image encoder's
weights (:mod:`.encoder_copy`) embeds an image ~1.5-1.9x faster than float32 (ViT-B,
measured on this project's 2-core EPYC; ``benchmarks/results/segment.md``). So ``auto``
there runs the encoder in bf16, kept only where its masks are float32's: the first batch is
embedded both ways, each of its boxes decoded from both embeddings, and bf16 stays for the
job when the masks' mean IoU is at least :data:`MIN_REDUCED_MASK_IOU` (else the whole job
runs in float32). The result says which (``dtype``) and how close (``reduced_mask_iou``).

Only the encoder changes: its output is handed to the decoder in the model's own dtype, so
prompts, masks and scores are computed as before. ``float32``, ``bfloat16`` and ``float16``
are used as asked, unchecked. A model loaded in a reduced dtype already (``auto`` on CUDA:
:func:`~visionlens_jlab.jobs.accelerator.resolve_dtype`) runs as loaded. Clicks in the sample
view always use the model as loaded: their masks are the ones ``SamModel`` gives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..jobs.accelerator import check_dtype, cpu_has_bf16, dtype_name
from .engine import Embedded, Segmenter

MIN_REDUCED_MASK_IOU = 0.98
"""Mean IoU of the first batch's bf16 masks with their float32 masks for ``auto`` to keep
bf16."""

Boxes = list[tuple[float, float, float, float]]


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks (1 when both are empty)."""
    union = int(np.logical_or(a, b).sum())
    return float(np.logical_and(a, b).sum()) / union if union else 1.0


class EncoderPrecision:
    """The job's encoder dtype: chosen once, checked on the first batch for ``auto``."""

    def __init__(self, segmenter: Segmenter, requested: str) -> None:
        import torch

        check_dtype(requested)
        self.segmenter = segmenter
        self.reduced_mask_iou: float | None = None
        own = segmenter.model.dtype
        self.checking = False
        self.dtype: Any = None  # None: the model's own dtype
        if requested not in ("auto", dtype_name(own)):
            self.dtype = getattr(torch, requested)
        elif requested == "auto" and own == torch.float32 and segmenter.loaded.device == "cpu":
            if cpu_has_bf16():
                self.dtype, self.checking = torch.bfloat16, True

    @property
    def name(self) -> str:
        """The dtype the encoder runs in now (``float32``, ``bfloat16``, ...)."""
        return dtype_name(self.dtype if self.dtype is not None else self.segmenter.model.dtype)

    def embed(self, inputs: Any, boxes: list[Boxes]) -> list[Embedded]:
        """The batch's embeddings (``boxes``: each image's boxes, for the first batch's
        check of ``auto``)."""
        if not self.checking:
            return self.segmenter.embed_prepared(inputs, self.dtype)
        self.checking = False
        full = self.segmenter.embed_prepared(inputs)
        reduced = self.segmenter.embed_prepared(inputs, self.dtype)
        ious = [
            mask_iou(a, b)
            for one, low, image_boxes in zip(full, reduced, boxes, strict=True)
            for (a, _), (b, _) in zip(
                self.segmenter.decode_boxes(one, image_boxes),
                self.segmenter.decode_boxes(low, image_boxes),
                strict=True,
            )
        ]
        if not ious:  # no box to compare on: the next batch checks
            self.checking = True
            return full
        self.reduced_mask_iou = round(float(np.mean(ious)), 4)
        if self.reduced_mask_iou < MIN_REDUCED_MASK_IOU:
            self.dtype = None
            return full
        return reduced

    def report(self) -> dict[str, Any]:
        """``dtype`` and ``reduced_mask_iou`` for the job's result."""
        return {"dtype": self.name, "reduced_mask_iou": self.reduced_mask_iou}
