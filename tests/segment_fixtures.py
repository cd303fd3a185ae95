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
import pytest

TINY_INPUT = 64


CLASSES = {"sam": ("Sam", "SamProcessor"), "sam_hq": ("SamHQ", "SamHQProcessor")}
"""Per family, the prefix of transformers' config and model classes, and its processor."""


def tiny_sam_config(family: str = "sam") -> Any:
    """A ``SamConfig`` (``SamHQConfig`` for ``sam_hq``) small enough to build and run in
    milliseconds."""
    import transformers

    prefix = CLASSES[family][0]
    vision = getattr(transformers, f"{prefix}VisionConfig")(
        hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=2,
        image_size=TINY_INPUT, patch_size=8, window_size=4, global_attn_indexes=[1],
        num_pos_feats=8, mlp_dim=64,
    )  # fmt: skip
    prompt = getattr(transformers, f"{prefix}PromptEncoderConfig")(
        hidden_size=16, image_size=TINY_INPUT, patch_size=8, mask_input_channels=4
    )
    hq = {"vit_dim": 32} if family == "sam_hq" else {}  # the encoder's width, for the HQ token
    decoder = getattr(transformers, f"{prefix}MaskDecoderConfig")(
        hidden_size=16, mlp_dim=32, num_hidden_layers=2, num_attention_heads=2,
        iou_head_hidden_dim=16, **hq,
    )  # fmt: skip
    return getattr(transformers, f"{prefix}Config")(
        vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder
    )


def save_tiny_sam(folder: Path, seed: int = 0, family: str = "sam") -> Path:
    """A tiny random ``SamModel`` (``SamHQModel`` for ``sam_hq``) and its processor, saved
    in ``folder``."""
    import torch
    import transformers
    from transformers import SamImageProcessor

    torch.manual_seed(seed)
    prefix, processor_class = CLASSES[family]
    model = getattr(transformers, f"{prefix}Model")(tiny_sam_config(family)).eval()
    processor = getattr(transformers, processor_class)(
        SamImageProcessor(
            size={"longest_edge": TINY_INPUT},
            pad_size={"height": TINY_INPUT, "width": TINY_INPUT},
        )
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def prompt_kwargs(
    points: list[tuple[float, float, int]], box: list[float] | None
) -> dict[str, Any]:
    """The processors' prompt arguments of ``(x, y, label)`` clicks and an ``[x, y, w, h]``
    box, nested as they take one image's one prompt."""
    kwargs: dict[str, Any] = {}
    if points:
        kwargs["input_points"] = [[[[x, y] for x, y, _ in points]]]
        kwargs["input_labels"] = [[[label for _, _, label in points]]]
    if box is not None:
        x, y, w, h = box
        kwargs["input_boxes"] = [[[x, y, x + w, y + h]]]
    return kwargs


def sam_by_hand(
    folder: Path,
    image: Any,
    points: list[tuple[float, float, int]],
    box: list[float] | None,
    family: str = "sam",
) -> tuple[np.ndarray, float]:
    """The best mask (by predicted IoU) of SAM called the plain transformers way: the
    processor with the image and the prompt, ``SamModel(...)`` (``SamHQModel``) on the
    pixels, the processor's ``post_process_masks``. ``box`` is ``[x, y, w, h]``."""
    import torch
    import transformers

    prefix, processor_class = CLASSES[family]
    model = getattr(transformers, f"{prefix}Model").from_pretrained(folder).eval()
    processor = getattr(transformers, processor_class).from_pretrained(folder)
    inputs = processor(images=image, return_tensors="pt", **prompt_kwargs(points, box))
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


def save_tiny_sam2(folder: Path, seed: int = 0) -> Path:
    """A tiny random ``Sam2Model`` (a 5-block Hiera on 128-pixel inputs) and its
    ``Sam2Processor``, saved in ``folder``."""
    import torch
    import transformers as tf

    torch.manual_seed(seed)
    hiera = tf.Sam2HieraDetConfig(
        hidden_size=8, num_attention_heads=1, image_size=[128, 128], blocks_per_stage=[1, 1, 2, 1],
        embed_dim_per_stage=[8, 16, 32, 64], num_attention_heads_per_stage=[1, 1, 1, 1],
        window_size_per_stage=[4, 4, 4, 4], global_attention_blocks=[3],
        window_positional_embedding_background_size=[2, 2],
    )  # fmt: skip
    vision = tf.Sam2VisionConfig(
        backbone_config=hiera, backbone_channel_list=[64, 32, 16, 8],
        backbone_feature_sizes=[[32, 32], [16, 16], [8, 8]], fpn_hidden_size=32,
    )  # fmt: skip
    prompt = tf.Sam2PromptEncoderConfig(
        hidden_size=32, image_size=128, patch_size=16, mask_input_channels=4
    )
    decoder = tf.Sam2MaskDecoderConfig(
        hidden_size=32, mlp_dim=64, num_hidden_layers=2, num_attention_heads=2,
        iou_head_hidden_dim=16,
    )  # fmt: skip
    config = tf.Sam2Config(
        vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder
    )
    tf.Sam2Model(config).eval().save_pretrained(folder)
    processor = tf.Sam2Processor(tf.Sam2ImageProcessor(size={"height": 128, "width": 128}))
    processor.save_pretrained(folder)
    return folder


def sam2_by_hand(
    folder: Path, image: Any, points: list[tuple[float, float, int]], box: list[float] | None
) -> tuple[np.ndarray, float]:
    """:func:`sam_by_hand` for SAM 2: ``Sam2Processor``, ``Sam2Model(...)``, its
    ``post_process_masks`` (from the original size alone)."""
    import torch
    from transformers import Sam2Model, Sam2Processor

    model = Sam2Model.from_pretrained(folder).eval()
    processor = Sam2Processor.from_pretrained(folder)
    inputs = processor(images=image, return_tensors="pt", **prompt_kwargs(points, box))
    with torch.no_grad():
        out = model(
            **{k: v for k, v in inputs.items() if k != "original_sizes"}, multimask_output=True
        )
    masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"])[0][0]
    best = int(torch.argmax(out.iou_scores[0, 0]))
    return masks[best].numpy().astype(bool), float(out.iou_scores[0, 0, best])


@pytest.fixture(scope="module")
def tiny_sam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SAM checkpoint (:func:`save_tiny_sam`), saved once per test module."""
    return save_tiny_sam(tmp_path_factory.mktemp("sam") / "tiny-sam")
