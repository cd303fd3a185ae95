"""open_clip through the checkpoint path, with a tiny randomly initialised model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("open_clip")

import open_clip
import torch
from PIL import Image

from visionlens_jlab.embed import EmbedError, list_models, load_embedder, parse_model
from visionlens_jlab.embed.decode import decode
from visionlens_jlab.embed.models import BUILTIN, CHECKPOINT_ENV

from .embed_fixtures import TINY_CFG, photos, save_tiny_clip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


def test_checkpoint_folder_loads_and_matches_open_clip_itself(tiny: Path) -> None:
    spec = parse_model(None, str(tiny))  # the default model, pointed at a checkpoint
    assert (spec.kind, spec.arch, spec.checkpoint) == ("open_clip", tiny.name, str(tiny))
    assert spec.version.startswith("checkpoint-")
    embedder = load_embedder(spec, device="auto", dtype="float32")
    assert (embedder.dim, embedder.input_size, embedder.device) == (32, 64, "cpu")
    assert "no CUDA GPU" in embedder.notice  # device=auto on a machine without one

    files = photos(6)
    ours = embedder.embed_images([decode(p.read_bytes(), embedder.input_spec) for p in files])

    # The reference: open_clip's own model object and preprocessing on the same weights.
    model, _, preprocess = open_clip.create_model_and_transforms(
        f"local-dir:{tiny}", pretrained=None
    )
    model.eval()
    with torch.inference_mode():
        batch = torch.stack([preprocess(Image.open(p)) for p in files])
        ref = model.encode_image(batch).numpy()
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    cosine = (ours * ref).sum(axis=1)
    # Not bit-identical: we decode JPEGs at reduced size (DCT scaling) before the resize.
    assert cosine.min() > 0.99, cosine


def test_weights_file_with_named_architecture(tmp_path: Path) -> None:
    open_clip.add_model_config  # noqa: B018 - the API users call to register configs
    weights = save_tiny_clip(tmp_path / "w", seed=1, as_folder=False)
    with pytest.raises(EmbedError, match="which weights of tiny"):
        parse_model("tiny")
    name = "vl-test-tiny"
    config = tmp_path / f"{name}.json"
    config.write_text(__import__("json").dumps(TINY_CFG))
    open_clip.add_model_config(config)
    spec = parse_model(name, str(weights))
    embedder = load_embedder(spec, dtype="float32")
    vectors = embedder.embed_images(
        [np.zeros((80, 90, 3), np.uint8), np.full((64, 64, 3), 200, np.uint8)]
    )
    assert vectors.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_text_tower_and_reduced_precision_check(tiny: Path) -> None:
    embedder = load_embedder(parse_model(None, str(tiny)), dtype="bfloat16")
    assert embedder.has_text
    text = embedder.embed_text(["a photo of a dog", "a red car"])
    assert text.shape == (2, 32)
    images = embedder.embed_images([decode(p.read_bytes(), embedder.input_spec) for p in photos(4)])
    assert embedder.dtype == "bfloat16"
    full = load_embedder(parse_model(None, str(tiny)), dtype="float32")
    reference = full.embed_images([decode(p.read_bytes(), full.input_spec) for p in photos(4)])
    assert ((images * reference).sum(axis=1) >= 0.99).all()


def test_missing_weights_error_names_model_place_and_remedy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CHECKPOINT_ENV, raising=False)
    with pytest.raises(EmbedError) as info:
        load_embedder(parse_model("ViT-B-32:laion2b_s34b_b79k"))
    message = str(info.value)
    assert "ViT-B-32" in message and "laion2b_s34b_b79k" in message
    assert "laion/CLIP-ViT-B-32-laion2B-s34B-b79K" in message  # where it looked
    assert "--checkpoint" in message and "embedding_checkpoint" in message
    with pytest.raises(EmbedError, match="does not exist"):
        parse_model("ViT-B-32", str(tmp_path / "nope.bin"))
    with pytest.raises(EmbedError, match="knows no pretrained tag"):
        load_embedder(parse_model("ViT-B-32:no-such-tag"))


def test_default_model_and_listing_are_offline_honest(
    monkeypatch: pytest.MonkeyPatch, tiny: Path
) -> None:
    monkeypatch.delenv(CHECKPOINT_ENV, raising=False)
    assert parse_model(None) == BUILTIN  # no ViT-B-32 weights on this machine
    rows = {(m["name"], m["pretrained"]): m for m in list_models()}
    assert rows[("builtin-color-gradient", None)]["default"] is True
    vit = rows[("ViT-B-32", "laion2b_s34b_b79k")]
    assert (vit["available_offline"], vit["default"], vit["dim"]) == (False, False, 512)
    monkeypatch.setenv(CHECKPOINT_ENV, str(tiny))
    with_checkpoint = list_models()
    default = [m for m in with_checkpoint if m["default"]]
    assert len(default) == 1 and default[0]["pretrained"] == str(tiny)
    assert default[0]["available_offline"] and default[0]["source"] == "checkpoint"
    assert default[0]["dim"] == 32  # read from the folder's open_clip_config.json
