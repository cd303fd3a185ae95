"""VLM attributes: a vision-language model answers fixed questions about each image.

The prompt of a question is built from the question alone (:func:`prompt_of`): nothing of
the dataset (names, fields, captions, labels) goes into it, since dataset content is
untrusted and must never reach a model as instructions. The model decodes greedily and its
free text is mapped onto the question's closed answers (:func:`map_answer`): the whole text,
else its first word, else ``unknown``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import PredictError
from .vlm_labels import ANSWER_RE, DEFAULT_QUESTIONS, KEY_RE, UNKNOWN, Question

MAX_QUESTIONS = 16
MAX_ANSWERS = 16
MAX_QUESTION_CHARS = 300
MAX_NEW_TOKENS = 8
"""Answers are one word: a few tokens suffice, and a short budget keeps a chatty model fast."""


def prompt_of(question: Question) -> str:
    """The text the model gets for ``question`` (with the image): the question and its
    answers, and nothing else."""
    return f"Question: {question.text} Answer with one word: {', '.join(question.answers)}. Answer:"


def map_answer(text: str, answers: Sequence[str]) -> str:
    """The closed answer ``text`` gives: the whole text or its first word (case and
    punctuation aside) when it is one of ``answers``, else ``unknown``."""
    words = re.findall(r"[a-z0-9_-]+", text.lower())
    whole = " ".join(words)
    if whole in answers:
        return whole
    if words and words[0] in answers:
        return words[0]
    return UNKNOWN


def parse_questions(data: Any) -> tuple[Question, ...]:
    """Questions from their JSON form, ``[{"key", "question", "answers": [...]}]``, checked;
    :class:`PredictError` naming what is wrong."""
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_QUESTIONS:
        raise PredictError(f"questions must be a list of 1 to {MAX_QUESTIONS} objects")
    out: list[Question] = []
    for i, q in enumerate(data):
        if not isinstance(q, dict) or set(q) != {"key", "question", "answers"}:
            raise PredictError(f"question {i} must be an object with key, question and answers")
        key, text, answers = q["key"], q["question"], q["answers"]
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise PredictError(f"question {i}: key must be a lowercase identifier, not {key!r}")
        if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_QUESTION_CHARS:
            raise PredictError(f"question {key}: the question must be 1-{MAX_QUESTION_CHARS} chars")
        if (
            not isinstance(answers, list)
            or not 2 <= len(answers) <= MAX_ANSWERS
            or not all(isinstance(a, str) and ANSWER_RE.match(a) for a in answers)
            or len(set(answers)) != len(answers)
            or UNKNOWN in answers
        ):
            raise PredictError(
                f"question {key}: answers must be 2-{MAX_ANSWERS} distinct lowercase words "
                f"(not {UNKNOWN!r})"
            )
        out.append(Question(key, text.strip(), tuple(answers)))
    if len({q.key for q in out}) != len(out):
        raise PredictError("question keys must be distinct")
    return tuple(out)


def read_questions_file(path: str) -> list[dict[str, Any]]:
    """The questions of a JSON file (checked), in their JSON form."""
    try:
        data = json.loads(Path(path).expanduser().read_text())
    except (OSError, ValueError) as exc:
        raise PredictError(f"cannot read the questions file {path}: {exc}") from exc
    return [q.to_dict() for q in parse_questions(data)]


def questions_of(request: dict[str, Any]) -> tuple[Question, ...]:
    """The questions of a job's request (the defaults when it names none)."""
    given = request.get("questions")
    return parse_questions(given) if given else DEFAULT_QUESTIONS


def _chat(processor: Any, text: str) -> str:
    """``text`` as a processor with a chat template (Idefics3, Qwen2-VL, ...) wants it: one
    user turn holding the image; unchanged for a processor without one."""
    if not getattr(processor, "chat_template", None):
        return text
    turn = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
    return str(processor.apply_chat_template(turn, add_generation_prompt=True))


def _prompted(processor: Any, images: list[Any], text: str) -> Any:
    """The processor's tensors for each image with ``text``. The images go one list per
    prompt: SmolVLM's and Idefics3's processors count a flat list as every image of each
    prompt; the others read both forms alike."""
    return processor(
        images=[[image] for image in images],
        text=[text] * len(images),
        return_tensors="pt",
        padding=True,
    )


def vlm_inputs(processor: Any, images: list[Any], question: Question) -> Any:
    """The processor's tensors for ``images`` and ``question``."""
    return _prompted(processor, images, _chat(processor, prompt_of(question)))


CAPTION_REQUEST = "Describe the image in one sentence."
TASK_TOKENS = {"florence2": "<CAPTION>", "paligemma": "caption en"}
"""Captioners told their task by a prompt of their own: Florence-2 captions nothing without
its task token; PaliGemma's processor given no text gives the model no image tokens."""


def caption_inputs(processor: Any, model_type: str, images: list[Any]) -> Any:
    """The processor's tensors to caption ``images``: a captioner that takes the image alone
    (BLIP, BLIP-2, GIT) gets it alone; Florence-2 and PaliGemma their caption prompts
    (:data:`TASK_TOKENS`); a chat model
    (Qwen2-VL, Idefics3/SmolVLM, LLaVA, ...), whose processor wants an image token in the
    text, :data:`CAPTION_REQUEST` as one user turn."""
    if model_type in TASK_TOKENS:
        text = TASK_TOKENS[model_type]
    elif getattr(processor, "chat_template", None):
        text = _chat(processor, CAPTION_REQUEST)
    else:
        return processor(images=images, return_tensors="pt")
    return _prompted(processor, images, text)


def decode_answers(processor: Any, input_ids: Any, generated: Any) -> list[str]:
    """The new text of each generated sequence: a decoder-only model returns the prompt
    before it, which is cut off."""
    n = input_ids.shape[1]
    if generated.shape[1] >= n and bool((generated[:, :n] == input_ids).all()):
        generated = generated[:, n:]
    return [t.strip() for t in processor.batch_decode(generated, skip_special_tokens=True)]


def generation_inputs(model: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` less ``token_type_ids`` where ``model.generate`` would refuse them: a BERT
    tokenizer writes them (GIT's), and generation takes only what the model's
    ``prepare_inputs_for_generation`` (or, where that passes ``**kwargs`` on, ``forward``)
    names, as transformers checks it."""
    import inspect

    if "token_type_ids" not in inputs:
        return inputs
    accepted = set(inspect.signature(model.prepare_inputs_for_generation).parameters)
    if accepted & {"kwargs", "model_kwargs"}:
        accepted |= set(inspect.signature(model.forward).parameters)
    if "token_type_ids" in accepted:
        return inputs
    return {k: v for k, v in inputs.items() if k != "token_type_ids"}
