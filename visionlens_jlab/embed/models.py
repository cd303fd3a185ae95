"""Which embedding models exist here, and where their weights are — without torch, offline.

A model is named on the command line as ``builtin-color-gradient``, ``ARCH`` (an open_clip
architecture; the default pretrained tag for the default architecture) or ``ARCH:TAG``
(e.g. ``ViT-B-32:laion2b_s34b_b79k``), plus an optional checkpoint: a weights file of that
architecture, or a directory holding ``open_clip_config.json`` and its weights (what
``open_clip`` calls a ``local-dir``; the architecture then comes from the config).

"Available offline" means: the checkpoint exists, or the tag's weights are already in the
local Hugging Face cache (``huggingface_hub.try_to_load_from_cache``, no network) or in
open_clip's URL download cache. Nothing here downloads anything. This module never imports
torch, so the Jupyter server can name a model's vector space while torch lives only in a
kernel's environment.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import EmbedError
from .builtin import NAME as BUILTIN_NAME
from .builtin import VERSION as BUILTIN_VERSION

DEFAULT_ARCH = "ViT-B-32"
DEFAULT_TAG = "laion2b_s34b_b79k"
DEFAULT_HF_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
"""Where open_clip's config puts the default tag's weights (checked without importing it)."""
CHECKPOINT_ENV = "VISIONLENS_EMBEDDING_CHECKPOINT"
HF_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
LOCAL_DIR_CONFIG = "open_clip_config.json"
HOW_TO_POINT = (
    "Copy the weights onto this machine and pass --checkpoint PATH (a weights file, or a "
    "folder with open_clip_config.json and its weights), set "
    f"c.VisionLensApp.embedding_checkpoint or ${CHECKPOINT_ENV}; or use "
    f"--model {BUILTIN_NAME}, which needs no weights."
)


@dataclass(frozen=True)
class ModelSpec:
    """A model chosen by the user, resolved enough to name its vector space."""

    kind: str  # "builtin" | "open_clip" | "plugin" (an embedders hook's model)
    arch: str
    pretrained: str | None = None
    checkpoint: str | None = None

    @property
    def name(self) -> str:
        """The model name a space records (the architecture for open_clip)."""
        return self.arch

    @property
    def version(self) -> str:
        """The weights' identity: the tag, or a content hash of the checkpoint."""
        if self.kind == "builtin":
            return BUILTIN_VERSION
        if self.checkpoint:
            return f"checkpoint-{checkpoint_digest(self.checkpoint)}"
        return self.pretrained or ""

    @property
    def label(self) -> str:
        """How messages name the model."""
        if self.kind == "builtin":
            return self.arch
        if self.kind == "plugin":
            return f"{self.arch} ({self.pretrained})"
        return f"{self.arch} ({self.checkpoint or self.pretrained})"

    def to_json(self) -> dict[str, Any]:
        """The spec as sent to a worker process or a kernel."""
        return {
            "kind": self.kind,
            "arch": self.arch,
            "pretrained": self.pretrained,
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ModelSpec:
        return cls(str(obj["kind"]), str(obj["arch"]), obj.get("pretrained"), obj.get("checkpoint"))


BUILTIN = ModelSpec("builtin", BUILTIN_NAME)


def checkpoint_digest(path: str) -> str:
    """A short content hash of a checkpoint file (or of a local-dir's config and weights)."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):  # type: ignore[misc]
                h.update(block)
    return h.hexdigest()[:12]


def parse_model(model: str | None, checkpoint: str | None = None) -> ModelSpec:
    """The spec of ``--model`` / ``--checkpoint``; ``None`` model means the default."""
    checkpoint = checkpoint or os.environ.get(CHECKPOINT_ENV) or None
    if model is None or model == "":
        return default_model(checkpoint)
    if not isinstance(model, str):
        raise EmbedError("model must be a string such as 'ViT-B-32' or 'builtin-color-gradient'")
    if model == BUILTIN_NAME:
        return BUILTIN
    plugin_version = plugin_model_version(model)
    if plugin_version is not None:
        return ModelSpec("plugin", model, plugin_version)
    arch, _, tag = model.partition(":")
    if checkpoint:
        return ModelSpec("open_clip", arch, None, _checked_checkpoint(checkpoint, arch))
    if not tag:
        if arch != DEFAULT_ARCH:
            raise EmbedError(
                f"which weights of {arch}? Name a pretrained tag ({arch}:TAG, see "
                "`visionlens models`) or a --checkpoint"
            )
        tag = DEFAULT_TAG
    return ModelSpec("open_clip", arch, tag)


def plugin_model_version(model: str) -> str | None:
    """The version of the plugin that provides the embedder ``model``, if one does."""
    from ..plugins.registry import default_registry

    registry = default_registry()
    found = registry.embedders.get(model)
    if found is None:
        return None
    record = registry.records.get(found[0])
    return f"plugin-{record.version}" if record is not None else "plugin"


def _checked_checkpoint(path: str, arch: str) -> str:
    p = Path(path).expanduser()
    if not p.exists():
        raise EmbedError(f"the checkpoint {p} for model {arch} does not exist. {HOW_TO_POINT}")
    if p.is_dir() and not (p / LOCAL_DIR_CONFIG).is_file():
        if (p / "config.json").is_file():
            raise EmbedError(
                f"the checkpoint folder {p} holds a transformers model (config.json), and "
                "embeddings and zero-shot classification load open_clip models only: pass an "
                f"open_clip checkpoint (a folder with {LOCAL_DIR_CONFIG}, or a weights file "
                "with --model ARCH)"
            )
        raise EmbedError(
            f"the checkpoint folder {p} has no {LOCAL_DIR_CONFIG}: pass the weights file itself "
            "(with --model ARCH), or a folder exported with open_clip's config and weights"
        )
    return str(p.resolve())


def default_model(checkpoint: str | None = None) -> ModelSpec:
    """open_clip ViT-B-32/laion2b when its weights are here (or a checkpoint is configured),
    else the built-in embedder."""
    if checkpoint:
        path = _checked_checkpoint(checkpoint, DEFAULT_ARCH)
        # A folder carries its own architecture (open_clip_config.json): name it after the folder.
        arch = Path(path).name if Path(path).is_dir() else DEFAULT_ARCH
        return ModelSpec("open_clip", arch, None, path)
    if cached_hf_file(DEFAULT_HF_REPO) is not None:
        return ModelSpec("open_clip", DEFAULT_ARCH, DEFAULT_TAG)
    return BUILTIN


def cached_hf_file(repo: str, filenames: tuple[str, ...] = HF_WEIGHT_FILES) -> str | None:
    """The path of a weights file of ``repo`` in the local HF cache, or ``None`` (no network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for filename in filenames:
        found = try_to_load_from_cache(repo, filename)
        if isinstance(found, str) and os.path.isfile(found):
            return found
    return None


def hf_cache_dir() -> str:
    """Where the HF cache is (for messages)."""
    try:
        from huggingface_hub.constants import HF_HUB_CACHE

        return str(HF_HUB_CACHE)
    except ImportError:
        return os.path.expanduser("~/.cache/huggingface/hub")


def locate_pretrained(arch: str, tag: str) -> tuple[str | None, list[str]]:
    """``(weights path or None, the places looked)`` of an open_clip tag; needs open_clip."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(arch)
        raise EmbedError(
            f"open_clip knows no pretrained tag {tag!r} for {arch}"
            + (f" (known: {', '.join(tags)})" if tags else f": is {arch!r} an open_clip model?")
        )
    looked: list[str] = []
    hub = cfg.get("hf_hub", "")
    if hub:
        repo, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub[:-1], "")
        names = (filename,) if filename else HF_WEIGHT_FILES
        if filename.endswith((".bin", ".pth")):
            names = (filename[:-4] + ".safetensors", filename)
        looked.append(f"the Hugging Face cache {hf_cache_dir()} ({repo}: {', '.join(names)})")
        found = cached_hf_file(repo, names)
        if found:
            return found, looked
    url = cfg.get("url", "")
    if url:
        target = os.path.join(os.path.expanduser("~/.cache/clip"), os.path.basename(url))
        looked.append(target)
        if os.path.isfile(target):
            return target, looked
    return None, looked


def missing_weights_message(arch: str, tag: str, looked: list[str]) -> str:
    """The error for weights that are not on this machine."""
    where = "; ".join(looked) or "nowhere (the tag names no download)"
    return (
        f"the weights of {arch} ({tag}) are not on this machine and it cannot download them "
        f"(offline). Looked in: {where}. {HOW_TO_POINT}"
    )
