"""VLM attributes: a tiny random BLIP-2 answers the fixed questions per image; its answers
are closed-set sample fields equal to the model run by hand, and a cut-off run resumes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan.facets import facets
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.cli import main as cli_main
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream
from visionlens_jlab.predict.vlm import map_answer, parse_questions, prompt_of
from visionlens_jlab.predict.vlm_labels import DEFAULT_QUESTIONS, UNKNOWN

from .predict_fixtures import photo_fixtures, save_tiny_blip2

N_IMAGES = 5


@pytest.fixture(scope="module")
def vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_blip2(tmp_path_factory.mktemp("models") / "blip2")


photos, catalog = photo_fixtures(N_IMAGES)


def answers_by_hand(model_dir: Path, files: list[Path], batch: int) -> dict[str, dict[str, str]]:
    """``{file name: {question key: answer}}`` from transformers alone: the processor with
    the same prompt, greedy ``generate``, the prompt cut off, the text mapped."""
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True).eval()
    processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
    out: dict[str, dict[str, str]] = {f.name: {} for f in files}
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        for q in DEFAULT_QUESTIONS:
            inputs = processor(
                images=images, text=[prompt_of(q)] * len(images), return_tensors="pt"
            )
            with torch.no_grad():
                ids = model.generate(**inputs, max_new_tokens=8, do_sample=False, num_beams=1)
            new = ids[:, inputs["input_ids"].shape[1] :]
            for f, text in zip(
                chunk, processor.batch_decode(new, skip_special_tokens=True), strict=True
            ):
                out[f.name][q.key] = map_answer(text, q.answers)
    return out


def stored_answers(catalog: Catalog) -> dict[str, dict[str, str]]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT regexp_replace(s.file_name, '^.*/', ''), v.field, v.text "
            "FROM computed_values v JOIN samples s USING (sample_id) "
            "WHERE starts_with(v.field, 'vlm_')"
        ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for name, field, text in rows:
        out.setdefault(name, {})[field.removeprefix("vlm_")] = text
    return out


def test_each_image_gets_one_closed_answer_per_question_equal_to_the_model_by_hand(
    catalog: Catalog, vlm: Path, photos: Path
) -> None:
    options = PredictOptions("photos", str(vlm), task="vlm", batch_size=2)
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["skipped"], result["failed"]) == (N_IMAGES, 0, 0)
    assert result["predictions"] == N_IMAGES * len(DEFAULT_QUESTIONS)
    answers = stored_answers(catalog)
    files = sorted((photos / "images").glob("*.jpg"))
    assert answers == answers_by_hand(vlm, files, 2)
    for q in DEFAULT_QUESTIONS:
        assert all(a[q.key] in (*q.answers, UNKNOWN) for a in answers.values())
    # the answers are sample fields: filterable and faceted
    some = next(iter(answers.values()))["weather"]
    matching = sample_ids(catalog, "photos", {"sample": {"computed.vlm_weather": {"in": [some]}}})
    assert len(matching) == sum(a["weather"] == some for a in answers.values())
    entries = {f["name"]: f for f in facets(catalog, "photos", None)["facets"]}
    counts = {v["value"]: v["count"] for v in entries["computed.vlm_weather"]["values"]}
    assert sum(counts.values()) == N_IMAGES and counts[some] == len(matching)


class Interrupted(Exception):
    pass


def test_a_cut_off_run_resumes_with_the_images_not_done(catalog: Catalog, vlm: Path) -> None:
    options = PredictOptions("photos", str(vlm), task="vlm", batch_size=2)
    given: list[list[int]] = []

    def cut_after_one_batch(request: dict[str, Any], items: Any) -> Iterator[tuple]:
        given.append([i.sample_id for i in items])
        for message in predict_stream(request, items):
            yield message
            if message[0] == "answers":
                raise Interrupted()

    with pytest.raises(Interrupted):
        run_prediction(None, catalog, options, cut_after_one_batch, flush_seconds=3600)
    assert len(stored_answers(catalog)) == 2
    with pytest.raises(Interrupted):  # cut again after its first batch
        run_prediction(None, catalog, options, cut_after_one_batch, flush_seconds=3600)
    assert len(given[1]) == N_IMAGES - 2 and given[1] == given[0][2:]
    assert len(stored_answers(catalog)) == 4
    again = run_prediction(None, catalog, options, predict_stream)
    assert (again["skipped"], again["processed"]) == (4, 1)
    assert len(stored_answers(catalog)) == N_IMAGES
    done = run_prediction(None, catalog, options, predict_stream)
    assert (done["processed"], done["skipped"]) == (0, N_IMAGES)
    # other questions are another run: it starts over, with its own fields
    questions = ({"key": "sky", "question": "Is there sky?", "answers": ["yes", "no"]},)
    other = PredictOptions("photos", str(vlm), task="vlm", questions=questions)
    assert run_prediction(None, catalog, other, predict_stream)["processed"] == N_IMAGES
    assert all(set(a) >= {"sky"} for a in stored_answers(catalog).values())


def test_free_text_maps_onto_the_closed_answers_or_unknown() -> None:
    answers = ("bright", "dim", "dark")
    assert map_answer("Bright.", answers) == "bright"
    assert map_answer(" dim light, mostly", answers) == "dim"
    assert map_answer("it is dark", answers) == UNKNOWN  # first word only, no search
    assert map_answer("", answers) == UNKNOWN
    assert map_answer("foggy", ("fog", "clear")) == UNKNOWN


def test_the_prompt_holds_the_question_and_its_answers_only() -> None:
    q = DEFAULT_QUESTIONS[0]
    assert prompt_of(q) == (
        "Question: Is the image bright, dim or dark? Answer with one word: bright, dim, dark. "
        "Answer:"
    )


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([], "1 to 16"),
        ([{"key": "Sky", "question": "q?", "answers": ["a", "b"]}], "lowercase identifier"),
        ([{"key": "sky", "question": " ", "answers": ["a", "b"]}], "1-300 chars"),
        ([{"key": "sky", "question": "q?", "answers": ["a"]}], "2-16 distinct"),
        ([{"key": "sky", "question": "q?", "answers": ["a", "unknown"]}], "not 'unknown'"),
        ([{"key": "s", "question": "q?", "answers": ["a", "b"]}] * 2, "distinct"),
        ([{"key": "s", "question": "q?"}], "key, question and answers"),
    ],
)
def test_bad_questions_are_refused_naming_the_fault(questions: Any, message: str) -> None:
    with pytest.raises(PredictError, match=message):
        parse_questions(questions)


def test_questions_belong_to_the_vlm_task() -> None:
    q = ({"key": "sky", "question": "q?", "answers": ["a", "b"]},)
    with pytest.raises(PredictError, match="--task vlm only"):
        PredictOptions("photos", "/m", task="caption", questions=q)


def test_the_cli_reads_a_questions_file_and_refuses_a_bad_one(
    catalog: Catalog, vlm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(catalog.data_dir)
    catalog.close()
    good = tmp_path / "q.json"
    good.write_text(json.dumps([{"key": "sky", "question": "Sky?", "answers": ["yes", "no"]}]))
    argv = ["predict", "photos", "--model", str(vlm), "--task", "vlm", "--data-dir", data]
    assert cli_main([*argv, "--questions", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["task"], out["processed"]) == ("vlm", N_IMAGES)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"key": "sky", "question": "Sky?", "answers": ["yes"]}]))
    assert cli_main([*argv, "--questions", str(bad)]) == 2
    assert "2-16 distinct" in capsys.readouterr().err


def test_answers_travel_the_kernel_runners_wire_unchanged() -> None:
    from visionlens_jlab.predict.wire import decode_message, encode_message

    message = ("answers", [3, 4], [["dim", "unknown"], ["bright", "none"]], [(5, "bad")])
    assert decode_message(encode_message(message)) == message
    with pytest.raises(PredictError, match="malformed answers"):
        decode_message(b'{"type": "answers", "ids": [1], "results": [[1]], "failed": []}')


def test_the_work_list_travels_the_kernel_runners_wire_as_work_items() -> None:
    from visionlens_jlab.predict.base import WorkItem
    from visionlens_jlab.predict.wire import decode_items, encode_items

    items = [WorkItem(7, "gs://b/a b.jpg", 640, 480), WorkItem(9, "/data/c.png", 0, 0)]
    back = decode_items(encode_items(items))
    assert back == items and all(isinstance(i, WorkItem) for i in back)
    assert (back[0].sample_id, back[0].location, back[0].width, back[0].height) == (
        7,
        "gs://b/a b.jpg",
        640,
        480,
    )
