"""A tiny randomly initialised Qwen2-VL saved as a checkpoint, with a byte-level BPE
tokenizer built here and a chat template of Qwen2-VL's shape (one user turn holding the
image placeholder and the text), so the VLM job loads it by path through
``AutoModelForImageTextToText`` / ``AutoProcessor`` as it would the real model. What it
answers is noise: the tests check plumbing."""

from __future__ import annotations

from pathlib import Path

from .predict_fixtures import VLM_WORDS

SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""Qwen2-VL's template without the default system turn."""

PIXELS = (28 * 28, 56 * 56)
"""The image processor's least and most pixels (patches of 14, merged 2x2 into image
tokens): a 640x480 photo and a square crop of it get different numbers of image tokens, so
their prompts differ in length. The tokenizer keeps its default right padding, as many
checkpoints ship it: the job must pad on the left for batched generation."""


def save_tiny_qwen2_vl(folder: Path, seed: int = 0) -> Path:
    """A tiny Qwen2-VL (2-layer vision tower, 1-layer language model, hidden size 32) whose
    tokenizer knows the default questions' answers as whole words (letters otherwise); its
    output head favours those words, so that its answers vary rather than all being
    ``unknown``."""
    import torch
    from transformers import (
        Qwen2Tokenizer,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = {}
    for word in VLM_WORDS:
        vocab.setdefault("\u0120" + word, len(vocab))  # "Ġword": the word after a space
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:?.,-/()_\u0120\u010a":
        vocab.setdefault(c, len(vocab))  # "Ċ": the newline byte
    ids = {s: len(vocab) + i for i, s in enumerate(SPECIALS)}
    vocab.update(ids)  # in the vocabulary, and marked special below (never split)
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=[],
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIALS)})
    assert all(tokenizer.convert_tokens_to_ids(s) == i for s, i in ids.items())
    size = len(vocab)
    text = {
        "vocab_size": size,
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "max_position_embeddings": 512,
        "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3]},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    vision = {
        "depth": 2,
        "embed_dim": 32,
        "hidden_size": 32,
        "num_heads": 2,
        "mlp_ratio": 2,
    }
    config = Qwen2VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    with torch.no_grad():  # the vocabulary's words win the first token: answers, not unknown
        model.lm_head.weight[: len(VLM_WORDS)] *= 30.0
    model.save_pretrained(folder)
    image_processor = Qwen2VLImageProcessor(
        size={"shortest_edge": PIXELS[0], "longest_edge": PIXELS[1]}
    )
    processor = Qwen2VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),  # required by the processor, unused
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(folder)
    return folder
