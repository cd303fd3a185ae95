"""Click-to-mask's engine: its masks are SAM's (SAM-HQ's, SAM 2's) called by hand, an image's embedding is
computed once (the vision encoder runs on the first click only), the cache keeps to its
bytes, the model's thread serves clicks before prefetches, and bad prompts or missing
weights are refused with a sentence."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from visionlens_jlab.predict.base import PredictError
from visionlens_jlab.predict.loading import load_segmenter
from visionlens_jlab.segment.engine import Embedded, EmbeddingCache, SegmentEngine
from visionlens_jlab.segment.host import ModelHost
from visionlens_jlab.segment.prompts import SegmentError, parse_prompt

from .segment_fixtures import sam2_by_hand, sam_by_hand, save_tiny_sam, save_tiny_sam2

PROMPTS = [
    ([(10.0, 20.0, 1)], None),
    ([(10.0, 20.0, 1), (60.5, 5.25, 0), (33.0, 40.0, 1)], None),
    ([], [5.0, 5.0, 40.0, 30.0]),
    ([(30.0, 25.0, 1)], [5.0, 5.0, 40.0, 30.0]),
]


@pytest.fixture(scope="module")
def tiny_sam_hq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sam(tmp_path_factory.mktemp("sam") / "tiny-sam-hq", family="sam_hq")


@pytest.fixture(scope="module")
def tiny_sam2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sam2(tmp_path_factory.mktemp("sam") / "tiny-sam2")


def photo(width: int = 80, height: int = 48, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def decoded(answer: dict[str, Any]) -> np.ndarray:
    mask = answer["mask"]
    return mask_utils.decode({"size": mask["size"], "counts": mask["counts"].encode()}).astype(bool)


def counting_encoder(engine: SegmentEngine, model: str) -> list[int]:
    """How many times the model's vision encoder ran, counted by a forward hook."""
    calls = [0]
    vision = engine.segmenter(model).model.vision_encoder
    vision.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.mark.parametrize(("points", "box"), PROMPTS)
def test_the_mask_is_sams_called_by_hand(
    tiny_sam: Path, points: list[tuple[float, float, int]], box: list[float] | None
) -> None:
    image = photo()
    engine = SegmentEngine()
    prompt = parse_prompt([{"x": x, "y": y, "label": label} for x, y, label in points], box)
    answer = engine.segment(str(tiny_sam), "photo", lambda: image, prompt)
    expected, score = sam_by_hand(tiny_sam, image, points, box)
    mask = decoded(answer)
    assert mask.shape == (48, 80) and (answer["width"], answer["height"]) == (80, 48)
    assert np.array_equal(mask, expected) and 0 < expected.sum() < expected.size
    assert answer["score"] == pytest.approx(score, rel=1e-6, abs=1e-9)
    assert answer["area"] == float(expected.sum())
    ys, xs = np.nonzero(expected)
    assert answer["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


@pytest.mark.parametrize(("points", "box"), PROMPTS[1:])
def test_the_sam_hq_mask_is_sam_hqs_called_by_hand(
    tiny_sam_hq: Path, points: list[tuple[float, float, int]], box: list[float] | None
) -> None:
    image = photo(seed=3)
    prompt = parse_prompt([{"x": x, "y": y, "label": label} for x, y, label in points], box)
    answer = SegmentEngine().segment(str(tiny_sam_hq), "photo", lambda: image, prompt)
    expected, score = sam_by_hand(tiny_sam_hq, image, points, box, family="sam_hq")
    assert np.array_equal(decoded(answer), expected) and 0 < expected.sum() < expected.size
    assert answer["score"] == pytest.approx(score, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(("points", "box"), PROMPTS[1:])
def test_the_sam2_mask_is_sam2s_called_by_hand(
    tiny_sam2: Path, points: list[tuple[float, float, int]], box: list[float] | None
) -> None:
    folder = tiny_sam2
    image = photo(seed=4)
    prompt = parse_prompt([{"x": x, "y": y, "label": label} for x, y, label in points], box)
    answer = SegmentEngine().segment(str(folder), "photo", lambda: image, prompt)
    expected, score = sam2_by_hand(folder, image, points, box)
    assert np.array_equal(decoded(answer), expected) and 0 < expected.sum() < expected.size
    assert answer["score"] == pytest.approx(score, rel=1e-6, abs=1e-9)


def test_the_embedding_is_computed_once_per_image(tiny_sam: Path, tiny_sam_hq: Path) -> None:
    engine = SegmentEngine()
    model = str(tiny_sam)
    calls = counting_encoder(engine, model)
    reads: list[str] = []

    def reader(key: str, image: Image.Image) -> Any:
        def read() -> Image.Image:
            reads.append(key)
            return image

        return read

    first, second = photo(seed=1), photo(64, 64, seed=2)
    answers = [
        engine.segment(model, "a", reader("a", first), parse_prompt([{"x": x, "y": 9}], None))
        for x in (3, 30, 70)
    ]
    assert calls[0] == 1 and reads == ["a"]  # one encoder run, one image read: three clicks
    assert [a["embedding"] for a in answers] == ["computed", "cached", "cached"]
    assert answers[0]["seconds"]["embed"] > 0 and answers[1]["seconds"]["embed"] == 0
    assert engine.embed(model, "b", reader("b", second)) is True
    assert engine.embed(model, "b", reader("b", second)) is False  # prefetched already
    after = engine.segment(model, "b", reader("b", second), parse_prompt([{"x": 1, "y": 1}], None))
    assert calls[0] == 2 and reads == ["a", "b"] and after["embedding"] == "cached"
    # another model replaces the first and its embeddings (no other model can read them)
    engine.segmenter(str(tiny_sam_hq))
    assert engine.cache.nbytes == 0
    # the clicks on the cached embedding give what a fresh engine computes from the image
    fresh = SegmentEngine().segment(
        model, "a", lambda: first, parse_prompt([{"x": 30, "y": 9}], None)
    )
    assert np.array_equal(decoded(fresh), decoded(answers[1]))


def test_the_cache_keeps_to_its_bytes_least_recently_used_first_out() -> None:
    import torch

    def entry(n: int) -> Embedded:
        return Embedded(torch.zeros(n, dtype=torch.float32), (1, 1), (1, 1), 4 * n)

    cache = EmbeddingCache(100)
    cache.put("a", entry(10))
    cache.put("b", entry(10))
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", entry(10))
    assert {k for k in "abc" if k in cache} == {"a", "c"} and cache.nbytes == 80
    cache.put("huge", entry(26))  # 104 bytes: never kept, nothing dropped for it
    assert "huge" not in cache and cache.nbytes == 80


@pytest.mark.parametrize(
    ("points", "box", "message"),
    [
        ([], None, "the prompt is empty"),
        (None, None, "the prompt is empty"),
        ([{"x": 1, "y": 2, "label": 2}], None, "label must be 1"),
        ([{"x": 1, "y": "2"}], None, "point 0: y must be a finite number"),
        ([{"x": 1}], None, "point 0: y must be a finite number"),
        ([{"x": 1, "y": 2, "z": 3}], None, "must be an object"),
        ([], [1, 2, 3], "'box' must be"),
        ([], [1, 2, 0, 3], "positive width"),
        ([{"x": 1, "y": 2}] * 65, None, "at most 64 points"),
    ],
)
def test_a_malformed_prompt_is_refused(points: Any, box: Any, message: str) -> None:
    with pytest.raises(SegmentError, match=message):
        parse_prompt(points, box)


def test_a_prompt_outside_the_image_is_refused(tiny_sam: Path) -> None:
    engine = SegmentEngine()
    for points, box, message in (
        ([{"x": 80.5, "y": 3}], None, r"point 0 \(80.5, 3\) lies outside the 80x48 image"),
        ([{"x": 3, "y": -1}], None, "lies outside"),
        ([], [50, 10, 40, 10], "the box reaches outside the 80x48 image"),
    ):
        with pytest.raises(SegmentError, match=message):
            engine.segment(str(tiny_sam), "p", photo, parse_prompt(points, box))


def test_missing_weights_name_the_model_and_where_they_were_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(PredictError, match=r"'facebook/sam-vit-base'.*not on this machine.*"
                       + str(tmp_path / "hub")):  # fmt: skip
        load_segmenter("facebook/sam-vit-base")
    with pytest.raises(PredictError, match="no checkpoint at"):
        load_segmenter(str(tmp_path / "nowhere" / "sam"))


def test_a_checkpoint_of_another_kind_is_refused(tmp_path: Path) -> None:
    from transformers import ResNetConfig, ResNetModel

    ResNetModel(ResNetConfig(embedding_size=8, hidden_sizes=[8], depths=[1])).save_pretrained(
        tmp_path / "resnet"
    )
    with pytest.raises(PredictError, match="not a promptable segmentation model"):
        load_segmenter(str(tmp_path / "resnet"))


def test_the_host_serves_clicks_before_prefetches_and_replaces_stale_prefetches() -> None:
    host = ModelHost("test-segment")
    order: list[str] = []
    gate = threading.Event()

    def step(name: str, wait: bool = False) -> Any:
        def call() -> str:
            if wait:
                gate.wait(10)
            order.append(name)
            return name

        return call

    try:
        blocker = host.run(step("first click", wait=True))
        assert host.replace_background([step("old prefetch")]) == 0
        dropped = host.replace_background([step(f"prefetch {k}") for k in (1, 2)])
        click = host.run(step("second click"))
        gate.set()
        assert blocker.result(10) == "first click" and click.result(10) == "second click"
        failing = host.run(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failing.result(10)
        done = host.run(lambda: None)
        done.result(10)
        while host.pending_background():
            threading.Event().wait(0.01)
        host.run(lambda: None).result(10)  # after the last prefetch that ran
        assert dropped == 1
        assert order == ["first click", "second click", "prefetch 1", "prefetch 2"]
    finally:
        host.close()
