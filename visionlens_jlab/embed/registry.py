"""Load an embedder from a :class:`~.models.ModelSpec`, and list the models usable here."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from ..jobs.accelerator import DEVICES, DTYPES
from .base import Embedder, EmbedError
from .builtin import DIM as BUILTIN_DIM
from .builtin import ColorGradientEmbedder
from .models import (
    BUILTIN,
    CHECKPOINT_ENV,
    DEFAULT_ARCH,
    DEFAULT_TAG,
    LOCAL_DIR_CONFIG,
    ModelSpec,
    default_model,
)


def load_embedder(spec: ModelSpec, device: str = "auto", dtype: str = "auto") -> Embedder:
    """The loaded model of ``spec`` on ``device`` (``auto``: CUDA if present, else CPU) in
    ``dtype`` (:data:`~visionlens_jlab.jobs.accelerator.DTYPES`; the built-in and plugin
    embedders have their own and ignore it)."""
    if device not in DEVICES:
        raise EmbedError(f"unknown device {device!r}: use {', '.join(DEVICES)}")
    if dtype not in DTYPES:
        raise EmbedError(f"unknown dtype {dtype!r}: use {', '.join(DTYPES)}")
    if spec.kind == "builtin":
        if device == "cuda":
            raise EmbedError(f"{spec.arch} runs on the CPU only (numpy): use --device cpu or auto")
        return ColorGradientEmbedder()
    if spec.kind == "plugin":
        return load_plugin_embedder(spec)
    if not torch_available():
        raise EmbedError(
            f"the model {spec.arch} needs open_clip and torch, which are not installed in this "
            "Python: pip install 'visionlens_jlab[embed]' (or use the kernel runner with a "
            f"kernel that has them, or --model {BUILTIN.name})"
        )
    from .openclip import OpenClipEmbedder

    return OpenClipEmbedder(spec, device=device, dtype=dtype)


def load_plugin_embedder(spec: ModelSpec) -> Embedder:
    """The model of an ``embedders`` plugin hook, loaded in this process."""
    from ..plugins.registry import default_registry

    found = default_registry().embedders.get(spec.arch)
    if found is None:
        raise EmbedError(
            f"no loaded plugin provides the model {spec.arch!r} in this process "
            "(see `visionlens plugins`; a kernel runner needs the plugin in its environment)"
        )
    plugin, model = found
    try:
        embedder = model.load()
    except Exception as exc:
        raise EmbedError(f"plugin {plugin} could not load {spec.arch}: {exc}") from exc
    if not isinstance(embedder, Embedder) or embedder.dim != model.dim:
        raise EmbedError(
            f"plugin {plugin}: {spec.arch} must load an Embedder of dimension {model.dim}"
        )
    return embedder


def torch_available() -> bool:
    """Whether torch and open_clip can be imported here (without importing them)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("torch", "open_clip"))
    except ValueError:  # a module blocked in sys.modules (None), as in tests without torch
        return False


def list_models(checkpoint: str | None = None) -> list[dict[str, Any]]:
    """The models usable here: the built-in embedder, the configured checkpoint, the default
    open_clip model (listed even when its weights are missing, to say so), and every
    open_clip tag whose weights are in the local cache."""
    checkpoint = checkpoint or os.environ.get(CHECKPOINT_ENV) or None
    default = default_model(checkpoint)
    rows: list[dict[str, Any]] = [
        _row(BUILTIN, BUILTIN_DIM, "builtin (no weights)", True, False, default == BUILTIN)
    ]
    have_torch = torch_available()
    if checkpoint and default.checkpoint:
        rows.append(_row(default, _checkpoint_dim(default), "checkpoint", True, True, True))
    seen = {(r["name"], r["pretrained"]) for r in rows}
    for arch, tag, path in _cached_open_clip() if have_torch else []:
        if (arch, tag) not in seen:
            spec = ModelSpec("open_clip", arch, tag)
            rows.append(
                _row(spec, _dim(arch), f"open_clip cache: {path}", True, True, spec == default)
            )
            seen.add((arch, tag))
    rows.extend(_plugin_rows())
    if (DEFAULT_ARCH, DEFAULT_TAG) not in seen:
        source = "open_clip (weights not on this machine)"
        if not have_torch:
            source = "open_clip (not installed: pip install 'visionlens_jlab[embed]')"
        spec = ModelSpec("open_clip", DEFAULT_ARCH, DEFAULT_TAG)
        rows.append(
            _row(spec, _dim(DEFAULT_ARCH) if have_torch else 512, source, False, True, False)
        )
    return rows


def _plugin_rows() -> list[dict[str, Any]]:
    """The models of loaded plugins' ``embedders`` hooks."""
    from ..plugins.registry import default_registry

    registry = default_registry()
    rows = []
    for name, (plugin, model) in sorted(registry.embedders.items()):
        version = registry.records[plugin].version if plugin in registry.records else ""
        spec = ModelSpec("plugin", name, f"plugin-{version}")
        rows.append(_row(spec, model.dim, f"plugin {plugin}", True, model.text, False))
    return rows


def _row(
    spec: ModelSpec, dim: int | None, source: str, offline: bool, text: bool, default: bool
) -> dict[str, Any]:
    return {
        "name": spec.name,
        "pretrained": spec.checkpoint or spec.pretrained,
        "dim": dim,
        "source": source,
        "available_offline": offline,
        "text": text,
        "default": default,
    }


def _checkpoint_dim(spec: ModelSpec) -> int | None:
    """The output dimension of a checkpoint folder's config, else of its architecture."""
    config = Path(spec.checkpoint or "") / LOCAL_DIR_CONFIG
    if config.is_file():
        try:
            return int(json.loads(config.read_text())["model_cfg"]["embed_dim"])
        except (ValueError, KeyError, TypeError):
            return None
    return _dim(spec.arch) if torch_available() else None


def _dim(arch: str) -> int | None:
    import open_clip

    cfg = open_clip.get_model_config(arch)
    return int(cfg["embed_dim"]) if cfg and "embed_dim" in cfg else None


def _cached_open_clip() -> list[tuple[str, str, str]]:
    """``(arch, tag, path)`` of every open_clip tag whose weights are in the local HF cache."""
    import open_clip

    from .models import locate_pretrained

    out = []
    for arch, tag in open_clip.list_pretrained():
        if not open_clip.get_pretrained_cfg(arch, tag).get("hf_hub"):
            continue
        path, _ = locate_pretrained(arch, tag)
        if path:
            out.append((arch, tag, path))
    return out


def describe(spec: ModelSpec) -> str:
    """One line naming the model chosen, for stderr and logs."""
    if spec == BUILTIN:
        return f"model: {spec.arch} (weight-free built-in embedder; no text search)"
    return f"model: {spec.label}"
