"""A tiny randomly initialised Qwen2-VL saved as a checkpoint, with a byte-level BPE
tokenizer built here and a chat template of Qwen2-VL's shape (one user turn holding the
image placeholder and the text), so the VLM job loads it by path through
``AutoModelForImageTextToText`` / ``AutoProcessor`` as it would the real model. What it
answers is noise: the tests check plumbing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .predict_fixtures import CAPTION_WORDS, VLM_WORDS, untyped

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


def byte_tokenizer(
    specials: tuple[str, ...], *, eos: str, pad: str, bos: str | None = None
) -> tuple[Any, dict[str, int]]:
    """A byte-level BPE tokenizer (Qwen2's class) that knows the default questions' answers as
    whole words and letters otherwise, with ``specials`` as special tokens; returns it and
    the specials' ids."""
    from transformers import Qwen2Tokenizer

    vocab: dict[str, int] = {}
    for word in VLM_WORDS:
        vocab.setdefault("\u0120" + word, len(vocab))  # "Ġword": the word after a space
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:?.,-/()_<>|!\u0120\u010a":
        vocab.setdefault(c, len(vocab))  # "Ċ": the newline byte
    ids = {s: len(vocab) + i for i, s in enumerate(specials)}
    vocab.update(ids)  # in the vocabulary, and marked special below (never split)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[], bos_token=bos, eos_token=eos, pad_token=pad)
    tokenizer.add_special_tokens({"additional_special_tokens": list(specials)})
    assert all(tokenizer.convert_tokens_to_ids(s) == i for s, i in ids.items())
    return tokenizer, ids


def save_tiny_qwen2_vl(folder: Path, seed: int = 0) -> Path:
    """A tiny Qwen2-VL (2-layer vision tower, 1-layer language model, hidden size 32) whose
    tokenizer knows the default questions' answers as whole words (letters otherwise); its
    output head favours those words, so that its answers vary rather than all being
    ``unknown``."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer, ids = byte_tokenizer(SPECIALS, eos="<|im_end|>", pad="<|endoftext|>")
    size = len(tokenizer)
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


def save_tiny_git(folder: Path, seed: int = 0) -> Path:
    """A tiny GIT captioner (a 1-layer CLIP vision tower feeding a 1-layer BERT-style
    decoder; a CLIP image processor and a word-level BERT tokenizer), saved in ``folder``."""
    import torch
    from transformers import (
        BertTokenizer,
        CLIPImageProcessor,
        GitConfig,
        GitForCausalLM,
        GitProcessor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(CAPTION_WORDS) + "\n")
    vision = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1}
    vision |= {"num_attention_heads": 2, "image_size": 32, "patch_size": 8}
    config = GitConfig(
        vision_config=vision,
        vocab_size=len(CAPTION_WORDS),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        bos_token_id=2,  # [CLS] starts a caption, [SEP] ends it
        eos_token_id=3,
        pad_token_id=0,
    )
    torch.manual_seed(seed)
    GitForCausalLM(config).eval().save_pretrained(folder)
    GitProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
        ),
        tokenizer=BertTokenizer(str(folder / "vocab.txt")),
    ).save_pretrained(folder)
    return folder


def save_tiny_florence2(folder: Path, seed: int = 0) -> Path:
    """A tiny Florence-2 (a 2-stage DaViT vision tower, a 1-layer BART) with a byte-level
    tokenizer that knows the caption words whole (letters otherwise) and Florence-2's image
    token; 32-pixel images make 4x4 patches and one pooled token, 17 image tokens. Its output
    head favours the words, so that it says something rather than ending at once."""
    import json

    import torch
    from transformers import (
        BartConfig,
        BartTokenizer,
        CLIPImageProcessor,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        Florence2VisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<image>": 4}
    words = [*CAPTION_WORDS[6:], *VLM_WORDS]
    for word in words:
        vocab.setdefault("\u0120" + word, len(vocab))
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:?.,-/()_<>\u0120":
        vocab.setdefault(c, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = BartTokenizer(
        str(folder / "vocab.json"),
        str(folder / "merges.txt"),
        extra_special_tokens={"image_token": "<image>"},
    )
    vision = Florence2VisionConfig(
        depths=[1, 1],
        patch_size=[7, 3],
        patch_stride=[4, 2],
        patch_padding=[3, 1],
        patch_prenorm=[False, True],
        embed_dim=[16, 32],
        num_heads=[2, 2],
        num_groups=[2, 2],
        window_size=2,
        projection_dim=32,
        max_position_embeddings=16,
        drop_path_rate=0.0,
    )
    text = BartConfig(
        vocab_size=len(vocab),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        max_position_embeddings=256,  # the questions, spelt letter by letter, fit
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
    )
    config = Florence2Config(text_config=text, vision_config=vision, image_token_id=4)
    torch.manual_seed(seed)
    model = Florence2ForConditionalGeneration(config).eval()
    with torch.no_grad():  # the words win over the end token: a caption, not ""
        model.lm_head.weight[5 : 5 + len(words)] *= 30.0
    model.save_pretrained(folder)
    image_processor = CLIPImageProcessor(
        size={"height": 32, "width": 32},
        do_center_crop=False,
        **untyped({"image_seq_length": 17}),  # read by Florence2Processor
    )
    Florence2Processor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def save_tiny_paligemma(folder: Path, seed: int = 0) -> Path:
    """A tiny PaliGemma (a 1-layer SigLIP tower, a 1-layer Gemma) with a tokenizer that
    knows the default questions' answers as whole words (letters otherwise); 32-pixel images
    make 16 image tokens. Its output head favours the words, as the Qwen2-VL fixture's."""
    import torch
    from transformers import (
        GemmaConfig,
        GemmaTokenizer,
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipImageProcessor,
        SiglipVisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<image>": 4}
    for word in VLM_WORDS:
        vocab.setdefault("\u2581" + word, len(vocab))  # "▁word": the word after a space
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:?.,-/()_\u2581\n":
        vocab.setdefault(c, len(vocab))
    tokenizer = GemmaTokenizer(
        vocab=vocab, merges=[], bos_token="<bos>", eos_token="<eos>", pad_token="<pad>"
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    small = untyped({"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1})
    vision = SiglipVisionConfig(**small, num_attention_heads=2, image_size=32, patch_size=8)
    text = GemmaConfig(
        **small,
        vocab_size=len(vocab),
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=512,
        bos_token_id=2,
        eos_token_id=1,
        pad_token_id=0,
    )
    config = PaliGemmaConfig(
        vision_config=vision.to_dict(),
        text_config=text.to_dict(),
        projection_dim=32,
        **untyped({"image_token_index": 4}),
    )
    torch.manual_seed(seed)
    model = PaliGemmaForConditionalGeneration(config).eval()
    with torch.no_grad():  # the words win the first token: text, not the end at once
        model.lm_head.weight[5 : 5 + len(VLM_WORDS)] *= 30.0
    model.save_pretrained(folder)
    image_processor = SiglipImageProcessor(
        size={"height": 32, "width": 32},
        **untyped({"image_seq_length": 16}),  # read by PaliGemmaProcessor
    )
    PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


SMOLVLM_SPECIALS = (
    "<|im_start|>",
    "<end_of_utterance>",
    "<|endoftext|>",
    "<fake_token_around_image>",
    "<image>",
    "<global-img>",
    *(f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)),
)
SMOLVLM_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
"""SmolVLM's chat template (one line per turn, the image as ``<image>``)."""


def save_tiny_smolvlm(folder: Path, seed: int = 0) -> Path:
    """A tiny SmolVLM (1-layer SigLIP-shaped vision tower and Llama, hidden size 32) whose
    image processor splits a photo into tiles, each a row/column placeholder in the prompt,
    as SmolVLM's does (its processor needs ``num2words``)."""
    import torch
    from transformers import (
        LlamaConfig,
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
        SmolVLMVisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer, ids = byte_tokenizer(
        SMOLVLM_SPECIALS, eos="<end_of_utterance>", pad="<|endoftext|>", bos="<|im_start|>"
    )
    shape = {"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 2}
    vision = SmolVLMVisionConfig(**untyped(shape), num_hidden_layers=1, image_size=32, patch_size=8)
    text = LlamaConfig(
        **untyped(shape),
        vocab_size=len(tokenizer),
        num_hidden_layers=1,
        num_key_value_heads=1,
        max_position_embeddings=1024,
        bos_token_id=ids["<|im_start|>"],
        eos_token_id=ids["<end_of_utterance>"],
        pad_token_id=ids["<|endoftext|>"],
    )
    config = SmolVLMConfig(
        vision_config=vision.to_dict(),
        text_config=text.to_dict(),
        image_token_id=ids["<image>"],
        scale_factor=2,
    )
    torch.manual_seed(seed)
    model = SmolVLMForConditionalGeneration(config).eval()
    with torch.no_grad():  # the vocabulary's words win the first token
        model.lm_head.weight[: len(VLM_WORDS)] *= 30.0
    model.save_pretrained(folder)
    SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(
            size={"longest_edge": 64},
            max_image_size={"longest_edge": 32},
            do_image_splitting=True,
        ),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(),  # required by the processor, unused
        image_seq_len=4,
        chat_template=SMOLVLM_TEMPLATE,
    ).save_pretrained(folder)
    return folder
