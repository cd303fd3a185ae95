"""Tiny randomly initialised transformers models saved as checkpoints, and real photos.

The models are real ``DetrForObjectDetection`` / ``BlipForConditionalGeneration`` built
from small configs and written with ``save_pretrained`` (with their processors), so the
tests load them by path through the code users run. What they predict is noise: the tests
check plumbing (counts, boxes inside images, equality with the same model run by hand).
The dataset is the first photos of the shared cartucho-map VOC images with their ground
truth, ingested through the real parser.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import features
from visionlens_jlab.catalog import Catalog

from .paths import DATASETS

CARTUCHO = DATASETS / "cartucho-map"
DETR_LABELS = {0: "potted plant", 1: "Dining_Table", 2: "zebra"}
"""Mapped onto the dataset's ``pottedplant`` and ``diningtable``; ``zebra`` is unknown."""
CAPTION_WORDS = [
    *("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"),
    *("a", "cat", "dog", "on", "the", "sofa", "red", "car", "person", "with", "photo", "of"),
]


def untyped(options: dict[str, Any]) -> dict[str, Any]:
    """Config keyword arguments that transformers accepts but its typed signatures omit."""
    return options


def tiny_resnet(out_features: list[str], config_class: Any = None) -> Any:
    """A tiny ResNet backbone config (4 one-block stages of 8-32 channels, no timm), of
    ``config_class`` (transformers' ``ResNetConfig`` unless given: RT-DETR has its own)."""
    if config_class is None:
        from transformers import ResNetConfig as config_class

    return config_class(
        **untyped({"out_features": out_features}),
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 32],
        depths=[1, 1, 1, 1],
        layer_type="basic",
    )


def save_tiny_detr(folder: Path, seed: int = 0, *, shortest: int = 64, longest: int = 96) -> Path:
    """A tiny DETR (ResNet backbone, no timm) and its image processor, saved in ``folder``."""
    import torch
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor

    backbone = tiny_resnet(["stage4"])
    config = DetrConfig(
        **untyped({"use_timm_backbone": False, "use_pretrained_backbone": False}),
        backbone_config=backbone,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_queries=12,
        id2label=DETR_LABELS,
        label2id={v: k for k, v in DETR_LABELS.items()},
    )
    torch.manual_seed(seed)
    model = DetrForObjectDetection(config).eval()
    with torch.no_grad():  # spread the boxes out: random init puts every query in one place
        model.bbox_predictor.layers[-1].bias.normal_(0.0, 1.0)
        model.class_labels_classifier.weight.normal_(0.0, 1.0)
        model.class_labels_classifier.bias.copy_(torch.tensor([1.0, 1.0, 1.0, -1.0]))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    DetrImageProcessor(size={"shortest_edge": shortest, "longest_edge": longest}).save_pretrained(
        folder
    )
    return folder


def save_tiny_blip(folder: Path, seed: int = 0) -> Path:
    """A tiny BLIP captioner with a 20-word tokenizer, saved in ``folder``."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
        BlipTextConfig,
        BlipVisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(CAPTION_WORDS) + "\n")
    text = BlipTextConfig(
        vocab_size=len(CAPTION_WORDS),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=1,
        num_attention_heads=2,
        encoder_hidden_size=32,
        max_position_embeddings=64,
        bos_token_id=5,
        sep_token_id=3,
        pad_token_id=0,
        eos_token_id=3,
    )
    vision = BlipVisionConfig(
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    config = BlipConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=32
    )
    torch.manual_seed(seed)
    BlipForConditionalGeneration(config).eval().save_pretrained(folder)
    processor = BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
        tokenizer=BertTokenizer(str(vocab), bos_token="[DEC]"),
    )
    processor.save_pretrained(folder)
    return folder


def save_tiny_owlv2(folder: Path, words: list[str], seed: int = 0, *, version: int = 2) -> Path:
    """A tiny OWLv2 open-vocabulary detector (OWL-ViT with ``version=1``: its processor
    stretches images to the square input where OWLv2's pads them) with a word-level CLIP
    tokenizer that knows ``words`` (letters as a fallback), saved in ``folder``."""
    import json

    import torch
    import transformers

    prefix = "Owlv2" if version == 2 else "OwlViT"
    config_class, model_class, image_processor_class, processor_class = (
        getattr(transformers, prefix + part)
        for part in ("Config", "ForObjectDetection", "ImageProcessor", "Processor")
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"!": 0}  # the pad token; OWL treats a query starting with id 0 as padding
    for token in [w + "</w>" for w in words] + [
        c + e for c in "abcdefghijklmnopqrstuvwxyz" for e in ("", "</w>")
    ]:
        vocab.setdefault(token, len(vocab))
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = len(vocab), len(vocab) + 1
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    text = {
        **{"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 37},
        **{"num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 16},
        **{"bos_token_id": len(vocab) - 2, "eos_token_id": len(vocab) - 1, "pad_token_id": 0},
    }
    vision = {
        **{"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1},
        **{"num_attention_heads": 2, "image_size": 64, "patch_size": 16},
    }
    torch.manual_seed(seed)
    config = config_class(text_config=text, vision_config=vision, projection_dim=32)
    model_class(config).eval().save_pretrained(folder)
    tokenizer = transformers.CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), pad_token="!"
    )
    square = {"height": 64, "width": 64}
    crop = {} if version == 2 else {"crop_size": square}
    processor = processor_class(
        image_processor=image_processor_class(size=square, **crop), tokenizer=tokenizer
    )
    processor.save_pretrained(folder)
    return folder


def cartucho_subset(folder: Path, n: int) -> Path:
    """The first ``n`` cartucho-map photos with their ground truth (txt), copied to ``folder``."""
    images, truth = folder / "images", folder / "ground-truth"
    images.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    for photo in sorted((CARTUCHO / "images").glob("*.jpg"))[:n]:
        shutil.copy(photo, images / photo.name)
        shutil.copy(CARTUCHO / "ground-truth" / f"{photo.stem}.txt", truth / f"{photo.stem}.txt")
    return folder


def ingest_subset(catalog: Any, name: str, folder: Path) -> Any:
    """Ingest a :func:`cartucho_subset` folder through the real parser and writer."""
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset

    parsed = open_dataset(str(folder / "ground-truth"), "txt", images=str(folder / "images"))
    return write_dataset(catalog, name, parsed)


@contextmanager
def photo_catalog(data: Path, photos: Path) -> Iterator[Catalog]:
    """A catalog in ``data`` holding the :func:`cartucho_subset` ``photos`` as ``photos``."""
    features.load()
    catalog = Catalog(data)
    try:
        ingest_subset(catalog, "photos", photos)
        yield catalog
    finally:
        catalog.close()


def save_tiny_torchvision(path: Path, builder: str, num_classes: int, seed: int = 0) -> Path:
    """A torchvision detector built without weights (random, ``num_classes`` classes with
    the background), its ``state_dict`` saved at ``path`` with ``torch.save``. The 320-pixel
    mobile builders keep it fast on a CPU."""
    import torch
    from torchvision.models import get_model

    torch.manual_seed(seed)
    model = get_model(builder, weights=None, weights_backbone=None, num_classes=num_classes)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.eval().state_dict(), path)
    return path


VLM_WORDS = (
    "bright dim dark clear rain snow fog indoor outdoor none partial heavy empty few many "
    "question answer is the image with one word"
).split()


def save_tiny_blip2(folder: Path, seed: int = 0) -> Path:
    """A tiny BLIP-2 (OPT language model) whose byte-level tokenizer knows the default
    questions' answers as whole words (letters otherwise), saved in ``folder``. The
    prompt is a prefix of its output, as with any decoder-only VLM."""
    import json

    import torch
    from transformers import (
        Blip2Config,
        Blip2ForConditionalGeneration,
        Blip2Processor,
        Blip2QFormerConfig,
        Blip2VisionConfig,
        BlipImageProcessor,
        GPT2Tokenizer,
        OPTConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "<image>": 3}
    for word in VLM_WORDS:
        vocab.setdefault("\u0120" + word, len(vocab))  # "Ġword": the word after a space
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:?.,-/()_\u0120":
        vocab.setdefault(c, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    small: dict[str, Any] = {"num_hidden_layers": 1, "num_attention_heads": 2}
    vision = Blip2VisionConfig(
        hidden_size=32, intermediate_size=37, image_size=32, patch_size=8, **small
    )
    qformer = Blip2QFormerConfig(
        hidden_size=32, intermediate_size=37, encoder_hidden_size=32, vocab_size=len(vocab), **small
    )
    text = OPTConfig(
        **untyped({"word_embed_proj_dim": 32, "max_position_embeddings": 256}),
        vocab_size=len(vocab),
        hidden_size=32,
        ffn_dim=37,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=1,
        **small,
    )
    config = Blip2Config(
        vision_config=vision.to_dict(),
        qformer_config=qformer.to_dict(),
        text_config=text.to_dict(),
        num_query_tokens=4,
        **untyped({"image_token_index": 3}),
    )
    torch.manual_seed(seed)
    Blip2ForConditionalGeneration(config).eval().save_pretrained(folder)
    tokenizer = GPT2Tokenizer(
        str(folder / "vocab.json"),
        str(folder / "merges.txt"),
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="</s>",
        eos_token="</s>",
    )
    processor = Blip2Processor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
        num_query_tokens=4,
    )
    processor.save_pretrained(folder)
    return folder


def photo_fixtures(n: int) -> tuple[Any, Any]:
    """A test module's ``photos`` fixture (the first ``n`` cartucho-map photos, once per
    module) and ``catalog`` fixture (a fresh catalog holding them as ``photos``, per test):
    ``photos, catalog = photo_fixtures(N_IMAGES)``."""

    @pytest.fixture(scope="module")
    def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return cartucho_subset(tmp_path_factory.mktemp("photos"), n)

    @pytest.fixture
    def catalog(tmp_path: Path, photos: Path) -> Iterator[Catalog]:
        with photo_catalog(tmp_path / "data", photos) as cat:
            yield cat

    return photos, catalog


def detections_by_hand(
    model_dir: Path, files: list[Path], batch: int, min_score: float, *, reduced: bool = False
) -> list[tuple[Any, ...]]:
    """A transformers detector run by hand: its processor, ``model(...)``, its
    post-processing at the images' sizes, boxes clipped to the image and scaled to its full
    size; sorted rows ``(file name, model class, x, y, w, h, score)``. ``reduced``: JPEGs
    decoded as ``--decode reduced`` jobs decode them, at the smallest DCT scale that covers
    the processor's resize (else at full size)."""
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForObjectDetection

    model = AutoModelForObjectDetection.from_pretrained(model_dir, local_files_only=True).eval()
    processor = AutoImageProcessor.from_pretrained(model_dir, local_files_only=True)
    rows = []
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        opened = [Image.open(f) for f in chunk]
        full = [im.size for im in opened]
        if reduced:
            for im in opened:
                draft_for(im, processor.size)
        images = [im.convert("RGB") for im in opened]
        with torch.no_grad():
            out = model(**processor(images=images, return_tensors="pt"))
        sizes = [(im.height, im.width) for im in images]
        results = processor.post_process_object_detection(out, min_score, target_sizes=sizes)
        for f, (h, w), (fw, fh), r in zip(chunk, sizes, full, results, strict=True):
            for box, score, label in zip(r["boxes"], r["scores"], r["labels"], strict=True):
                x1, y1, x2, y2 = (float(v) for v in box)
                x1, x2 = min(max(x1, 0), w) * fw / w, min(max(x2, 0), w) * fw / w
                y1, y2 = min(max(y1, 0), h) * fh / h, min(max(y2, 0), h) * fh / h
                if x2 > x1 and y2 > y1:
                    name = model.config.id2label[int(label)]
                    rows.append((f.name, name, x1, y1, x2 - x1, y2 - y1, float(score)))
    return sorted(rows)


def draft_for(im: Any, size: dict[str, int]) -> None:
    """Have JPEG ``im`` decode at the smallest of libjpeg's 1/2, 1/4, 1/8 scales that still
    covers what a DETR processor of ``size`` (shortest and longest edge) resizes it to."""
    w, h = im.size
    scale = min(size["shortest_edge"] / min(w, h), size["longest_edge"] / max(w, h))
    k = next((k for k in (8, 4, 2) if 1 / k >= scale), 1)
    if k > 1:
        im.draft("RGB", (w // k, h // k))
