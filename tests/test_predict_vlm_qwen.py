"""A VLM through a natively supported chat-template class: a tiny random Qwen2-VL answers
the fixed questions through the real job (``AutoModelForImageTextToText``, the processor's
chat template), equal to the same model run by hand one image at a time: the job's batches
hold prompts of different lengths, which only left padding keeps equal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.predict.base import PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream
from visionlens_jlab.predict.vlm import MAX_NEW_TOKENS, map_answer, prompt_of
from visionlens_jlab.predict.vlm_labels import DEFAULT_QUESTIONS, UNKNOWN

from .predict_fixtures import cartucho_subset, photo_catalog
from .test_predict_vlm import stored_answers
from .vlm_fixtures import save_tiny_qwen2_vl

N_IMAGES = 3


@pytest.fixture(scope="module")
def qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_qwen2_vl(tmp_path_factory.mktemp("models") / "qwen2-vl")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three photos, the second cut to a 300x300 square: one image token where the others
    have two, so a batch of the first two holds prompts of different lengths (padding)."""
    from PIL import Image

    folder = cartucho_subset(tmp_path_factory.mktemp("photos"), N_IMAGES)
    second = sorted((folder / "images").glob("*.jpg"))[1]
    Image.open(second).crop((0, 0, 300, 300)).save(second, quality=95)
    (folder / "ground-truth" / f"{second.stem}.txt").write_text("")
    return folder


@pytest.fixture
def catalog(tmp_path: Path, photos: Path) -> Iterator[Catalog]:
    with photo_catalog(tmp_path / "data", photos) as cat:
        yield cat


def answers_by_hand(model_dir: Path, files: list[Path], batch: int) -> dict[str, dict[str, str]]:
    """``{file name: {question key: answer}}`` from transformers alone: the chat template
    around the prompt, greedy ``generate``, the prompt cut off, the text mapped."""
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True).eval()
    processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    out: dict[str, dict[str, str]] = {f.name: {} for f in files}
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        for q in DEFAULT_QUESTIONS:
            turn = [
                {
                    "role": "user",
                    "content": [{"type": "image"}, {"type": "text", "text": prompt_of(q)}],
                }
            ]
            text = processor.apply_chat_template(turn, add_generation_prompt=True)
            inputs = processor(
                images=images, text=[text] * len(images), return_tensors="pt", padding=True
            )
            with torch.no_grad():
                ids = model.generate(
                    **inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, num_beams=1
                )
            new = ids[:, inputs["input_ids"].shape[1] :]
            for f, answer in zip(
                chunk, processor.batch_decode(new, skip_special_tokens=True), strict=True
            ):
                out[f.name][q.key] = map_answer(answer.strip(), q.answers)
    return out


def test_a_qwen2_vl_answers_every_question_through_the_job(
    catalog: Catalog, qwen: Path, photos: Path
) -> None:
    options = PredictOptions("photos", str(qwen), task="vlm", batch_size=2, device="cpu")
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["skipped"], result["failed"]) == (N_IMAGES, 0, 0)
    assert result["predictions"] == N_IMAGES * len(DEFAULT_QUESTIONS)
    answers = stored_answers(catalog)
    files = sorted((photos / "images").glob("*.jpg"))
    # one image at a time: no padding at all, the reference for the padded batches
    assert answers == answers_by_hand(qwen, files, 1)
    assert any(v != UNKNOWN for a in answers.values() for v in a.values())  # not vacuous
    for q in DEFAULT_QUESTIONS:
        assert all(a[q.key] in (*q.answers, UNKNOWN) for a in answers.values())
    again = run_prediction(None, catalog, options, predict_stream)
    assert (again["processed"], again["skipped"]) == (0, N_IMAGES)
