"""A tiny randomly initialised SAM saved as a checkpoint, and SAM run by hand as the oracle.

The model is a real ``SamModel`` from a small ``SamConfig`` (a 2-layer ViT on 64-pixel
inputs, 8-pixel patches) written with ``save_pretrained`` together with its
``SamProcessor`` (resizing the longer side to 64), so the tests load it by path through the
code users run. Its masks are noise; the tests compare them with the same model called the
plain transformers way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TINY_INPUT = 64


def tiny_sam_config() -> Any:
    """A ``SamConfig`` small enough to build and run in milliseconds."""
    from transformers import (
        SamConfig,
        SamMaskDecoderConfig,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )

    vision = SamVisionConfig(
        hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=2,
        image_size=TINY_INPUT, patch_size=8, window_size=4, global_attn_indexes=[1],
        num_pos_feats=8, mlp_dim=64,
    )  # fmt: skip
    prompt = SamPromptEncoderConfig(
        hidden_size=16, image_size=TINY_INPUT, patch_size=8, mask_input_channels=4
    )
    decoder = SamMaskDecoderConfig(
        hidden_size=16, mlp_dim=32, num_hidden_layers=2, num_attention_heads=2,
        iou_head_hidden_dim=16,
    )  # fmt: skip
    return SamConfig(
        vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder
    )


def save_tiny_sam(folder: Path, seed: int = 0) -> Path:
    """A tiny random ``SamModel`` and its ``SamProcessor``, saved in ``folder``."""
    import torch
    from transformers import SamImageProcessor, SamModel, SamProcessor

    torch.manual_seed(seed)
    model = SamModel(tiny_sam_config()).eval()
    processor = SamProcessor(
        SamImageProcessor(
            size={"longest_edge": TINY_INPUT},
            pad_size={"height": TINY_INPUT, "width": TINY_INPUT},
        )
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def sam_by_hand(
    folder: Path, image: Any, points: list[tuple[float, float, int]], box: list[float] | None
) -> tuple[np.ndarray, float]:
    """The best mask (by predicted IoU) of SAM called the plain transformers way: the
    processor with the image and the prompt, ``SamModel(...)`` on the pixels, the
    processor's ``post_process_masks``. ``box`` is ``[x, y, w, h]``."""
    import torch
    from transformers import SamModel, SamProcessor

    model = SamModel.from_pretrained(folder).eval()
    processor = SamProcessor.from_pretrained(folder)
    kwargs: dict[str, Any] = {}
    if points:
        kwargs["input_points"] = [[[[x, y] for x, y, _ in points]]]
        kwargs["input_labels"] = [[[label for _, _, label in points]]]
    if box is not None:
        x, y, w, h = box
        kwargs["input_boxes"] = [[[x, y, x + w, y + h]]]
    inputs = processor(images=image, return_tensors="pt", **kwargs)
    with torch.no_grad():
        out = model(
            pixel_values=inputs["pixel_values"],
            input_points=inputs.get("input_points"),
            input_labels=inputs.get("input_labels"),
            input_boxes=inputs.get("input_boxes"),
            multimask_output=True,
        )
    masks = processor.post_process_masks(
        out.pred_masks, inputs["original_sizes"], inputs["reshaped_input_sizes"]
    )[0][0]
    scores = out.iou_scores[0, 0]
    best = int(torch.argmax(scores))
    return masks[best].numpy().astype(bool), float(scores[best])
