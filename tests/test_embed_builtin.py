"""The weight-free built-in embedder on real photos: deterministic, near-duplicates close,
unrelated images clearly apart, no text tower."""

from __future__ import annotations

import numpy as np
import pytest

from visionlens_jlab.embed import BUILTIN, TextNotSupportedError, load_embedder
from visionlens_jlab.embed.builtin import DIM
from visionlens_jlab.embed.decode import decode

from .embed_fixtures import photos, reencode


@pytest.fixture(scope="module")
def originals() -> list[bytes]:
    return [p.read_bytes() for p in photos(40)]


def embed(data: list[bytes]) -> np.ndarray:
    embedder = load_embedder(BUILTIN)
    return embedder.embed_images([decode(d, embedder.input_spec) for d in data])


def test_shape_norm_and_determinism(originals: list[bytes]) -> None:
    a = embed(originals)
    b = embed(list(reversed(originals)))[::-1]
    assert a.shape == (40, DIM) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)  # same input, same vector, whatever the batch


@pytest.mark.parametrize(("quality", "scale"), [(70, 1.0), (50, 0.9), (90, 0.75), (85, 1.1)])
def test_near_duplicates_score_at_least_095(
    originals: list[bytes], quality: int, scale: float
) -> None:
    a = embed(originals)
    b = embed([reencode(d, quality, scale) for d in originals])
    similarity = (a * b).sum(axis=1)
    assert similarity.min() >= 0.95, similarity.min()


def test_unrelated_photos_score_clearly_lower(originals: list[bytes]) -> None:
    a = embed(originals)
    copies = embed([reencode(d, 70, 0.9) for d in originals])
    unrelated = (a @ a.T)[~np.eye(len(a), dtype=bool)]
    assert np.median(unrelated) < 0.75
    assert np.percentile(unrelated, 90) < 0.9
    # Each copy's nearest original is its own (every photo of this set is distinct enough).
    assert ((copies @ a.T).argmax(axis=1) == np.arange(len(a))).all()


def test_pil_and_array_inputs_agree(originals: list[bytes]) -> None:
    from io import BytesIO

    from PIL import Image

    embedder = load_embedder(BUILTIN)
    pil = Image.open(BytesIO(originals[0])).convert("RGB")
    via_pil = embedder.embed_images([pil])
    via_array = embedder.embed_images([np.asarray(pil)])
    np.testing.assert_allclose(via_pil, via_array, atol=1e-6)


def test_text_search_is_refused_with_a_clear_message() -> None:
    embedder = load_embedder(BUILTIN)
    assert not embedder.info().text
    with pytest.raises(TextNotSupportedError, match="no text tower.*CLIP") as refused:
        embedder.embed_text(["a dog"])
    # it names no model that may not be here (ViT-B-32), but where they are listed
    assert "ViT-B-32" not in str(refused.value)
    assert "`visionlens models`" in str(refused.value)
