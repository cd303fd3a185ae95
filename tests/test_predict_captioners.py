"""Captioners of other shapes than BLIP through the caption job, each equal to the same tiny
random checkpoint run by hand: GIT (a CLIP image processor and a BERT tokenizer in one
processor, the image alone), Florence-2 (told its task by the ``<CAPTION>`` token: it
captions nothing without one), PaliGemma (``caption en``: its processor given no text gives
the model no image tokens) and chat models, Qwen2-VL and SmolVLM (their processors want an
image token in the text: the caption request as one user turn, the prompt cut off its
output; SmolVLM's splits the photo into tiles)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.predict.base import PredictError, PredictOptions, WorkItem
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import MAX_NEW_TOKENS, predict_stream
from visionlens_jlab.predict.vlm import CAPTION_REQUEST

from .predict_fixtures import photo_fixtures
from .vlm_fixtures import (
    save_tiny_florence2,
    save_tiny_git,
    save_tiny_paligemma,
    save_tiny_qwen2_vl,
    save_tiny_smolvlm,
)

N_IMAGES = 3
CAPTIONERS: dict[str, Callable[[Path], Path]] = {
    "git": save_tiny_git,
    "florence2": save_tiny_florence2,
    "qwen2_vl": save_tiny_qwen2_vl,
    "paligemma": save_tiny_paligemma,
    "smolvlm": save_tiny_smolvlm,
}

photos, catalog = photo_fixtures(N_IMAGES)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A family's checkpoint, built once per module on first use."""
    root, built = tmp_path_factory.mktemp("captioners"), {}

    def model(family: str) -> Path:
        if family not in built:
            built[family] = CAPTIONERS[family](root / family)
        return built[family]

    return model


def prompt_by_hand(family: str, processor: Any) -> str | None:
    """The text each family is captioned with, written out here."""
    if family == "florence2":
        return "<CAPTION>"
    if family == "paligemma":
        return "caption en"
    if family == "qwen2_vl":
        return (
            "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
            f"{CAPTION_REQUEST}<|im_end|>\n<|im_start|>assistant\n"
        )
    if family == "smolvlm":  # its processor expands <image> into the tiles' placeholders
        return f"<|im_start|>User:<image>{CAPTION_REQUEST}<end_of_utterance>\nAssistant:"
    return None


def captions_by_hand(family: str, model_dir: Path, files: list[Path]) -> list[str]:
    """Each image alone through transformers: the processor (with the family's prompt),
    greedy ``generate``, the prompt cut off a decoder-only model's output."""
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True).eval()
    processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
    text = prompt_by_hand(family, processor)
    out = []
    for f in files:
        image = Image.open(f).convert("RGB")
        inputs = processor(
            images=[image], text=None if text is None else [text], return_tensors="pt"
        )
        with torch.no_grad():
            ids = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
        if family in ("qwen2_vl", "paligemma", "smolvlm"):  # decoder-only: the prompt first
            ids = ids[:, inputs["input_ids"].shape[1] :]
        out.append(processor.batch_decode(ids, skip_special_tokens=True)[0].strip())
    return out


@pytest.mark.parametrize("family", sorted(CAPTIONERS))
def test_a_captioner_family_captions_equal_to_the_model_by_hand(
    family: str, catalog: Catalog, photos: Path, models: Callable[[str], Path]
) -> None:
    model_dir = models(family)
    options = PredictOptions("photos", str(model_dir), task="caption", batch_size=2)
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["failed"]) == (N_IMAGES, 0)
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT regexp_replace(s.file_name, '^.*/', ''), v.text FROM computed_values v "
            "JOIN samples s USING (sample_id) WHERE v.field = 'caption' ORDER BY 1"
        ).fetchall()
    files = sorted((photos / "images").glob("*.jpg"))
    expected = captions_by_hand(family, model_dir, files)
    assert rows == [(f.name, c) for f, c in zip(files, expected, strict=True)]
    assert all(expected)  # each said something: an empty caption would match anything
    if family == "qwen2_vl":  # the prompt was cut off, not stored with the caption
        assert not any("Describe" in c or "assistant" in c for c in expected)


def test_florence2_is_told_its_caption_task(photos: Path, models: Callable[[str], Path]) -> None:
    from PIL import Image

    from visionlens_jlab.predict.loading import load_image_text
    from visionlens_jlab.predict.prepare import prepare_images

    loaded = load_image_text(str(models("florence2")), "captioner", "cpu")
    image = Image.open(sorted((photos / "images").glob("*.jpg"))[0]).convert("RGB")
    prepared = prepare_images(loaded, [WorkItem(1, "", 0, 0)], [(image, "")], [])
    text = loaded.processor.batch_decode(prepared.inputs["input_ids"], skip_special_tokens=True)
    assert text == ["What does the image describe?"]  # what Florence-2 makes of <CAPTION>


def test_a_processor_that_needs_a_missing_package_is_refused_naming_it(
    catalog: Catalog, models: Callable[[str], Path], tmp_path: Path, monkeypatch: Any
) -> None:
    import json
    import shutil

    from transformers.models.smolvlm import processing_smolvlm

    # what transformers' module holds when num2words is not installed
    monkeypatch.setattr(processing_smolvlm, "num2words", None)
    folder = Path(shutil.copytree(models("qwen2_vl"), tmp_path / "smolvlm-processor"))
    config = json.loads((folder / "processor_config.json").read_text())
    config["processor_class"] = "SmolVLMProcessor"  # what a SmolVLM checkpoint names
    (folder / "processor_config.json").write_text(json.dumps(config))
    options = PredictOptions("photos", str(folder), task="caption")
    with pytest.raises(PredictError, match="needs a Python package .* num2words"):
        run_prediction(None, catalog, options, predict_stream)


def test_git_answers_the_questions_though_its_tokenizer_writes_token_type_ids(
    catalog: Catalog, photos: Path, models: Callable[[str], Path]
) -> None:
    """GIT's BERT tokenizer writes ``token_type_ids``, which GIT's ``generate`` refuses."""
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from visionlens_jlab.predict.vlm import MAX_NEW_TOKENS as ANSWER_TOKENS
    from visionlens_jlab.predict.vlm import map_answer, prompt_of
    from visionlens_jlab.predict.vlm_labels import DEFAULT_QUESTIONS

    from .test_predict_vlm import stored_answers

    git = models("git")
    options = PredictOptions("photos", str(git), task="vlm", batch_size=2)
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["failed"]) == (N_IMAGES, 0)
    model = AutoModelForImageTextToText.from_pretrained(git, local_files_only=True).eval()
    processor = AutoProcessor.from_pretrained(git, local_files_only=True)
    expected: dict[str, dict[str, str]] = {}
    for f in sorted((photos / "images").glob("*.jpg")):
        image = Image.open(f).convert("RGB")
        for q in DEFAULT_QUESTIONS:
            inputs = processor(images=[image], text=[prompt_of(q)], return_tensors="pt")
            assert "token_type_ids" in inputs
            del inputs["token_type_ids"]
            with torch.no_grad():
                ids = model.generate(**inputs, max_new_tokens=ANSWER_TOKENS, do_sample=False)
            new = ids[:, inputs["input_ids"].shape[1] :]
            text = processor.batch_decode(new, skip_special_tokens=True)[0]
            expected.setdefault(f.name, {})[q.key] = map_answer(text, q.answers)
    assert stored_answers(catalog) == expected
