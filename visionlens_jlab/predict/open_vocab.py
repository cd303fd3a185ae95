"""Open-vocabulary detectors prompted with the class names, in the two shapes transformers has.

* OWL-ViT and OWLv2 take one text query per class and say which query each box answers.
* Grounding DINO (and MM Grounding DINO) takes the classes as one caption, ``"a. b. c."``,
  of at most ``config.max_text_len`` tokens, and scores each box against every token; the
  processor's own post-processing decodes the tokens over a threshold back into text, which
  need not be one of the classes (``""``, or two classes run together). Here a box's class
  is the one whose tokens hold its best probability, and its score that probability (the
  processor's score is the best over every token, the ``.`` separators included). Classes
  that do not fit one caption are split into several, each run over the images as its own
  pass.

Boxes come in the coordinates the processor saw: OWLv2 pads each image to a square at the
bottom and right, so its boxes are fractions of the longer side; OWL-ViT stretches the image
to its square input, and Grounding DINO keeps the aspect ratio, so theirs are fractions of
the image's own width and height.
"""

from __future__ import annotations

from typing import Any

from .base import PredictError

SQUARE_PADDED = frozenset({"owlv2"})
"""Model types whose processor pads images to a square before resizing."""


def caption_length(config: Any) -> int | None:
    """The most tokens a Grounding-DINO-style caption may hold; None for a detector that
    takes one query per class (OWL-ViT, OWLv2)."""
    length = getattr(config, "max_text_len", None)
    return int(length) if length else None


def _class_text(name: str) -> str:
    """A class name as it goes into a caption: lower case (as the processor writes it), and
    no ``.``, which would end the class early."""
    return " ".join(name.replace(".", " ").lower().split())


def prompt_chunks(processor: Any, config: Any, prompts: list[str]) -> list[list[int]]:
    """The prompts' indices grouped into the passes the model runs: one group for a
    one-query-per-class detector; for a caption detector, as many classes per caption as
    fit ``max_text_len`` tokens (the start and end tokens, and each class's tokens and
    ``.``). :class:`PredictError` when one class alone does not fit."""
    limit = caption_length(config)
    if limit is None:
        return [list(range(len(prompts)))]
    chunks: list[list[int]] = []
    used = limit  # forces a new chunk for the first class
    for i, name in enumerate(prompts):
        n = len(_class_tokens(processor, name)) + 1
        if n + 2 > limit:
            raise PredictError(
                f"the class {name!r} is {n - 1} tokens, more than the {limit - 3} that fit the "
                f"detector's caption (max_text_len {limit}): give shorter names with --classes"
            )
        if used + n > limit:
            chunks.append([])
            used = 2
        chunks[-1].append(i)
        used += n
    return chunks


def _class_tokens(processor: Any, name: str) -> list[int]:
    return list(processor.tokenizer(_class_text(name), add_special_tokens=False)["input_ids"])


def open_vocab_inputs(loaded: Any, images: list[Any], prompts: list[str]) -> list[Any]:
    """The processor's tensors for ``images``: one set per pass of
    :func:`prompt_chunks`."""
    chunks = prompt_chunks(loaded.processor, loaded.model.config, prompts)
    if caption_length(loaded.model.config) is None:
        return [
            loaded.processor(
                text=[prompts] * len(images),
                images=images,
                return_tensors="pt",
                padding=True,  # prompts of different lengths in one tensor
                truncation=True,
            )
        ]
    out = []
    for chunk in chunks:
        caption = ". ".join(_class_text(prompts[i]) for i in chunk) + "."
        out.append(
            loaded.processor(text=[caption] * len(images), images=images, return_tensors="pt")
        )
    return out


def _token_spans(processor: Any, prompts: list[str], chunk: list[int], ids: Any) -> list[range]:
    """Where each class of ``chunk`` lies in the caption's tokens ``ids`` (one row)."""
    spans, start = [], 1  # after the start token
    for i in chunk:
        n = len(_class_tokens(processor, prompts[i]))
        spans.append(range(start, start + n))
        start += n + 1  # and its "."
    if start + 1 != int(ids.shape[-1]):
        raise PredictError(
            f"the detector's tokenizer split the caption into {int(ids.shape[-1])} tokens, not "
            f"the {start + 1} its classes take one by one: rename the classes with --classes"
        )
    return spans


def caption_results(
    loaded: Any,
    outputs: Any,
    input_ids: Any,
    prompts: list[str],
    chunk: list[int],
    sizes: list[tuple[int, int]],
    min_score: float,
) -> list[dict[str, Any]]:
    """A caption detector's boxes (corners, in pixels of ``sizes`` ``(h, w)``), scores and
    labels (indices into ``prompts``) per image, those scoring over ``min_score``."""
    import torch

    spans = _token_spans(loaded.processor, prompts, chunk, input_ids)
    probs = outputs.logits.float().sigmoid()  # (images, queries, max_text_len)
    per_class = torch.stack([probs[..., list(s)].amax(-1) for s in spans], -1)
    scores, best = per_class.max(-1)
    cx, cy, w, h = outputs.pred_boxes.float().unbind(-1)
    corners = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)
    results = []
    for i, (height, width) in enumerate(sizes):
        keep = scores[i] > min_score
        scale = torch.tensor([width, height, width, height], device=corners.device)
        labels = torch.tensor(chunk, device=best.device)[best[i][keep]]
        results.append(
            {"boxes": corners[i][keep] * scale, "scores": scores[i][keep], "labels": labels}
        )
    return results


def open_vocab_detect(
    loaded: Any,
    inputs: list[Any],
    prompts: list[str],
    decoded: list[tuple[int, int]],
    min_score: float,
    to_device: Any,
) -> list[dict[str, Any]]:
    """Per image, the ``boxes``/``scores``/``labels`` (indices into ``prompts``) of every
    pass, together; ``decoded``: the images' ``(h, w)``."""
    import torch

    config = loaded.model.config
    if caption_length(config) is None:
        (batch,) = inputs
        outputs = loaded.model(**to_device(loaded, batch))
        square = config.model_type in SQUARE_PADDED
        sizes = [(max(h, w), max(h, w)) if square else (h, w) for h, w in decoded]
        return list(
            loaded.processor.post_process_grounded_object_detection(
                outputs, threshold=min_score, target_sizes=sizes, text_labels=[prompts] * len(sizes)
            )
        )
    chunks = prompt_chunks(loaded.processor, config, prompts)
    parts = []
    for chunk, batch in zip(chunks, inputs, strict=True):
        outputs = loaded.model(**to_device(loaded, batch))
        ids = batch["input_ids"][0]
        parts.append(caption_results(loaded, outputs, ids, prompts, chunk, decoded, min_score))
    return [
        {key: torch.cat([part[i][key].cpu() for part in parts]) for key in parts[0][i]}
        for i in range(len(decoded))
    ]
