"""Detector families beyond DETR through the same job: RT-DETR (a hybrid CNN encoder and a
deformable decoder, sigmoid scores over queries) and YOLOS (a plain ViT with detection
tokens). Tiny random checkpoints built from configs and loaded by path; the job's boxes
must equal the model run by hand through transformers (its processor, ``model(...)``, its
post-processing), which is what tells a family's processor or post-processing apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import DETR_LABELS, detections_by_hand, photo_fixtures, tiny_resnet, untyped

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

    backbone = tiny_resnet(["stage2", "stage3", "stage4"], RTDetrResNetConfig)
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

CAPTION_TOKENS = 12
"""The tiny Grounding DINO's ``max_text_len``: the start and end tokens and a few classes,
so that the dataset's class names take several captions."""


def save_tiny_grounding_dino(folder: Path, words: list[str]) -> Path:
    """A tiny Grounding DINO (ResNet backbone, a 1-layer BERT whose word-level tokenizer
    knows ``words`` and ``.``, letters otherwise) and its processor."""
    import torch
    from transformers import (
        BertConfig,
        BertTokenizer,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", *words]
    vocab += [p + c for c in "abcdefghijklmnopqrstuvwxyz" for p in ("", "##")]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    backbone = tiny_resnet(["stage2", "stage3", "stage4"])
    text = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    config = GroundingDinoConfig(
        **untyped({"use_timm_backbone": False, "use_pretrained_backbone": False}),
        backbone_config=backbone,
        text_config=text,
        d_model=32,
        encoder_layers=1,
        decoder_layers=2,  # the box heads are shared across layers: one would tie to none
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_queries=12,
        num_feature_levels=3,
        encoder_n_points=2,
        decoder_n_points=2,
        max_text_len=CAPTION_TOKENS,
    )
    torch.manual_seed(0)
    GroundingDinoForObjectDetection(config).eval().save_pretrained(folder)
    GroundingDinoProcessor(
        image_processor=GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 96}),
        tokenizer=BertTokenizer(str(folder / "vocab.txt")),
    ).save_pretrained(folder)
    return folder


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


def grounded_by_hand(
    model_dir: Path, files: list[Path], classes: list[str], batch: int, min_score: float
) -> tuple[list[tuple[Any, ...]], list[list[int]]]:
    """Grounding DINO run by hand, ``batch`` images at a time: the classes a few at a time as captions
    ``"a. b."`` of at most ``max_text_len`` tokens, the model, each query's boxes at the
    image's size (no square: the processor keeps the aspect ratio) with the class whose
    tokens (found by tokenizing each class alone) hold its best probability; the rows, and
    the captions as groups of class indices."""
    import torch
    from PIL import Image
    from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

    model = AutoModelForZeroShotObjectDetection.from_pretrained(model_dir, local_files_only=True)
    processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
    sizes = [len(processor.tokenizer(c, add_special_tokens=False)["input_ids"]) for c in classes]
    groups: list[list[int]] = [[]]
    for i, n in enumerate(sizes):
        if 2 + sum(sizes[j] + 1 for j in groups[-1]) + n + 1 > CAPTION_TOKENS:
            groups.append([])
        groups[-1].append(i)
    rows = []
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        for group in groups:
            caption = " ".join(f"{classes[i]}." for i in group)
            inputs = processor(images=images, text=[caption] * len(chunk), return_tensors="pt")
            with torch.no_grad():
                out = model(**inputs.data)
            for f, image, probs, boxes in zip(
                chunk, images, out.logits.sigmoid(), out.pred_boxes, strict=True
            ):
                for q in range(probs.shape[0]):
                    at, best, label = 1, -1.0, ""
                    for i in group:
                        p = float(probs[q, at : at + sizes[i]].max())
                        best, label = (p, classes[i]) if p > best else (best, label)
                        at += sizes[i] + 1
                    cx, cy, w, h = (float(v) for v in boxes[q])
                    x1 = min(max((cx - w / 2) * image.width, 0), image.width)
                    x2 = min(max((cx + w / 2) * image.width, 0), image.width)
                    y1 = min(max((cy - h / 2) * image.height, 0), image.height)
                    y2 = min(max((cy + h / 2) * image.height, 0), image.height)
                    if best > min_score and x2 > x1 and y2 > y1:
                        rows.append((f.name, label, x1, y1, x2 - x1, y2 - y1, best))
    return sorted(rows), groups


@pytest.fixture
def one_thread() -> Iterator[None]:
    """torch on one thread for the test: the query selection of a random Grounding DINO
    (top-k over near-equal scores) turns on float noise, which differs with the thread count
    and memory layout between the job (channels-last) and the model run by hand; an earlier
    test may have raised the count (the open_clip embedder sets it to every core)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("one_thread")
def test_grounding_dino_is_prompted_with_the_datasets_classes_in_captions_that_fit(
    catalog: Catalog, photos: Path, tmp_path: Path
) -> None:
    from visionlens_jlab.predict.model_runs import dataset_class_names

    with catalog.cursor() as cur:
        classes = dataset_class_names(catalog, catalog.dataset_id(cur, "photos"))
    model_dir = save_tiny_grounding_dino(tmp_path / "gdino", classes)
    options = PredictOptions("photos", str(model_dir), batch_size=3, min_score=0.2)
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["failed"], result["unknown_classes"]) == (N_IMAGES, 0, [])
    with catalog.cursor() as cur:
        rows = sorted(
            cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), a.label, a.x, a.y, a.w, a.h, "
                "a.score FROM annotations a JOIN samples s USING (sample_id) WHERE a.source = ?",
                ["gdino"],
            ).fetchall()
        )
    files = sorted((photos / "images").glob("*.jpg"))
    expected, groups = grounded_by_hand(model_dir, files, classes, 3, 0.2)
    assert len(rows) == len(expected) > 0 and result["predictions"] == len(rows)
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    np.testing.assert_allclose([r[2:] for r in rows], [e[2:] for e in expected], atol=1e-3)
    first = {classes[i] for i in groups[0]}
    assert len(groups) > 2 and {r[1] for r in rows} - first  # labels of later captions too
    with pytest.raises(PredictError, match="more than the 9 that fit"):
        long = PredictOptions("photos", str(model_dir), classes=("a b c d e f g h i j",))
        run_prediction(None, catalog, long, predict_stream)
