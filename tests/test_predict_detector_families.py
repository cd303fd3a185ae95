"""Detector families beyond DETR through the same job: RT-DETR (a hybrid CNN encoder and a
deformable decoder, sigmoid scores over queries) and YOLOS (a plain ViT with detection
tokens). Tiny random checkpoints built from configs and loaded by path; the job's boxes
must equal the model run by hand through transformers (its processor, ``model(...)``, its
post-processing), which is what tells a family's processor or post-processing apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.predict.base import PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import DETR_LABELS, detections_by_hand, photo_fixtures, untyped

N_IMAGES = 7  # the first 7 photos hold both pottedplant and diningtable
MIN_SCORE = 0.05
RENAME = {"potted plant": "pottedplant", "Dining_Table": "diningtable", "zebra": "zebra"}
"""The fixtures' class names onto the dataset's (``zebra`` it lacks keeps the model's)."""


def save_tiny_rtdetr(folder: Path) -> Path:
    """A tiny RT-DETR (ResNet backbone, no timm, three feature levels) and its processor."""
    import torch
    from transformers import (
        RTDetrConfig,
        RTDetrForObjectDetection,
        RTDetrImageProcessor,
        RTDetrResNetConfig,
    )

    backbone = RTDetrResNetConfig(
        **untyped({"out_features": ["stage2", "stage3", "stage4"]}),
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
    )
    config = RTDetrConfig(
        **untyped({"use_timm_backbone": False, "use_pretrained_backbone": False}),
        backbone_config=backbone,
        d_model=32,
        encoder_hidden_dim=32,
        encoder_in_channels=[16, 16, 32],
        encoder_layers=1,
        encoder_ffn_dim=32,
        encoder_attention_heads=2,
        decoder_layers=1,
        decoder_ffn_dim=32,
        decoder_attention_heads=2,
        decoder_in_channels=[32, 32, 32],
        decoder_n_points=2,
        num_queries=12,
        num_denoising=0,
        anchor_image_size=None,
        id2label=DETR_LABELS,
        label2id={v: k for k, v in DETR_LABELS.items()},
    )
    torch.manual_seed(0)
    model = RTDetrForObjectDetection(config).eval()
    with torch.no_grad():  # distinct scores: random init gives every query the same one
        for head in model.model.decoder.class_embed:
            head.weight.normal_(0.0, 1.0)
    model.save_pretrained(folder)
    RTDetrImageProcessor(size={"height": 64, "width": 64}).save_pretrained(folder)
    return folder


def save_tiny_yolos(folder: Path) -> Path:
    """A tiny YOLOS (a 1-layer ViT with 10 detection tokens) and its processor."""
    import torch
    from transformers import YolosConfig, YolosForObjectDetection, YolosImageProcessor

    config = YolosConfig(
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        image_size=[64, 96],
        patch_size=16,
        num_detection_tokens=10,
        id2label=DETR_LABELS,
        label2id={v: k for k, v in DETR_LABELS.items()},
    )
    torch.manual_seed(0)
    model = YolosForObjectDetection(config).eval()
    with torch.no_grad():  # spread boxes and scores out, as the DETR fixture does
        model.bbox_predictor.layers[-1].bias.normal_(0.0, 1.0)
        model.class_labels_classifier.layers[-1].weight.normal_(0.0, 1.0)
    model.save_pretrained(folder)
    YolosImageProcessor(size={"shortest_edge": 64, "longest_edge": 96}).save_pretrained(folder)
    return folder


FAMILIES: dict[str, Callable[[Path], Path]] = {"rtdetr": save_tiny_rtdetr, "yolos": save_tiny_yolos}


photos, catalog = photo_fixtures(N_IMAGES)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_detector_family_lands_equal_to_the_model_by_hand(
    family: str, catalog: Catalog, photos: Path, tmp_path: Path
) -> None:
    model_dir = FAMILIES[family](tmp_path / family)
    options = PredictOptions("photos", str(model_dir), batch_size=3, min_score=MIN_SCORE)
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["failed"], result["name"]) == (N_IMAGES, 0, family)
    with catalog.cursor() as cur:
        rows = sorted(
            cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), a.label, a.x, a.y, a.w, a.h, "
                "a.score FROM annotations a JOIN samples s USING (sample_id) WHERE a.source = ?",
                [family],
            ).fetchall()
        )
    files = sorted((photos / "images").glob("*.jpg"))
    expected = [
        (f, RENAME[n], *v) for f, n, *v in detections_by_hand(model_dir, files, 3, MIN_SCORE)
    ]
    assert result["predictions"] == len(rows) == len(expected) > 0
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    np.testing.assert_allclose([r[2:] for r in rows], [e[2:] for e in expected], atol=1e-3)
    assert len({round(r[6], 4) for r in rows}) > 1  # not one tied score: ranks were tested
