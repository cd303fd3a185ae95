"""Real images and a tiny, randomly initialised open_clip model saved as a checkpoint.

The photos are the VOC images of the shared cartucho-map dataset; near-duplicates are made
from them here (re-encoded, resized). The tiny model is a real ``open_clip.CLIP`` with a
64 px vision tower and a one-layer text tower, saved the way an air-gapped user exports a
model (``open_clip_config.json`` + weights in a folder), so tests load it through the same
checkpoint path users take.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

from .media_fixtures import add_dataset
from .paths import DATASETS

CARTUCHO = DATASETS / "cartucho-map"
CARTUCHO_IMAGES = CARTUCHO / "images"

TINY_CFG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def photos(n: int | None = None) -> list[Path]:
    """Paths of real JPEG photos (sorted)."""
    files = sorted(CARTUCHO_IMAGES.glob("*.jpg"))
    return files[:n] if n else files


def reencode(data: bytes, quality: int = 70, scale: float = 1.0) -> bytes:
    """A near-duplicate: the image resized by ``scale`` and saved again as JPEG."""
    im = Image.open(io.BytesIO(data)).convert("RGB")
    if scale != 1.0:
        im = im.resize(
            (round(im.width * scale), round(im.height * scale)), Image.Resampling.BICUBIC
        )
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out.getvalue()


def save_tiny_clip(folder: Path, seed: int = 0, *, as_folder: bool = True) -> Path:
    """Build a tiny random open_clip model and save it; returns the checkpoint path.

    ``as_folder``: a folder with ``open_clip_config.json`` and the weights (any
    architecture); otherwise only the weights file (its architecture must be named).
    """
    import open_clip
    import torch

    torch.manual_seed(seed)
    model = open_clip.CLIP(**TINY_CFG)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / "open_clip_pytorch_model.bin"
    torch.save(model.state_dict(), weights)
    if not as_folder:
        return weights
    config = {"model_cfg": TINY_CFG, "preprocess_cfg": {"size": 64}}
    (folder / "open_clip_config.json").write_text(json.dumps(config))
    return folder


def add_photos(vl_app: Any, name: str, n: int) -> list[int]:
    """A dataset of ``n`` samples whose images are real photos (reused cyclically)."""
    files = photos()
    locations = [str(files[i % len(files)]) for i in range(n)]
    return add_dataset(vl_app.catalog, name, str(CARTUCHO_IMAGES), locations)
