"""open_clip models: loaded from local weights only, run with the fast input pipeline.

Speed on a CPU: ``torch.inference_mode`` and a bf16 copy of the weights where the CPU
supports bf16 — kept only if the first batch's bf16 embeddings have cosine ≥
``MIN_REDUCED_COSINE`` to fp32 (checked at run time, reported as ``reduced_cosine``). That
is ``dtype="auto"``; ``float32``, ``bfloat16`` and ``float16`` are used as asked, unchecked.
bf16 *weights*, not ``torch.autocast``: measured here on ViT-B-32 (2 cores, AVX-512 BF16),
autocast re-casts every weight on every forward and ran at 0.4x fp32, bf16 weights at 1.7x.
On CUDA: fp16/bf16 weights, channels-last, pinned host memory and non-blocking copies; an
out-of-memory error halves the batch and retries
(:class:`~visionlens_jlab.jobs.accelerator.BatchSizer`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..jobs.accelerator import DEVICES, BatchSizer, cpu_has_bf16, resolve_dtype
from ..jobs.stages import timed
from ..worker_priority import compute_threads
from .base import Embedder, EmbedError, l2_normalise
from .decode import InputSpec, as_arrays
from .models import LOCAL_DIR_CONFIG, ModelSpec, locate_pretrained, missing_weights_message

log = logging.getLogger(__name__)

MIN_REDUCED_COSINE = 0.99
CHECK_IMAGES = 2
"""Images of the first batch embedded in both precisions to check the reduced one."""


def pick_device(requested: str) -> tuple[str, str]:
    """``(device, notice)`` for ``auto`` / ``cpu`` / ``cuda`` (no GPU → CPU, with a notice)."""
    import torch

    if requested not in DEVICES:
        raise EmbedError(f"unknown device {requested!r}: use {', '.join(DEVICES)}")
    if requested == "cpu":
        return "cpu", ""
    if torch.cuda.is_available():
        return "cuda", ""
    return "cpu", "no CUDA GPU is available here: embedding on the CPU"


class OpenClipEmbedder(Embedder):
    """An open_clip model (image and text towers)."""

    def __init__(self, spec: ModelSpec, device: str = "auto", dtype: str = "auto") -> None:
        import torch

        self.spec = spec
        self.name = spec.name
        self.version = spec.version
        self.device, self.notice = pick_device(device)
        self._torch = torch
        self.model, self._tokenizer, cfg = _load(spec)
        self.model.eval().to(self.device)
        if self.device == "cpu":
            torch.set_num_threads(compute_threads())  # one core left to a server, if any
        else:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.dim = int(self._output_dim())
        size = cfg.get("size", 224)
        self.input_size = int(size if isinstance(size, int) else min(size))
        mode = "square" if cfg.get("resize_mode") == "squash" else "center_crop"
        self.input_spec = InputSpec(self.input_size, mode)
        # the model's pixel normalisation, public for callers that feed their own tensors
        self.mean = torch.tensor(cfg.get("mean", (0.48145466, 0.4578275, 0.40821073)))
        self.std = torch.tensor(cfg.get("std", (0.26862954, 0.26130258, 0.27577711)))
        self.preprocessing = (
            f"RGB, {'squashed' if mode == 'square' else 'shortest side resized (bicubic) and centre-cropped'}"
            f" to {self.input_size}x{self.input_size} from a JPEG DCT-scaled decode, "
            f"normalised mean={tuple(round(float(v), 4) for v in self.mean)} "
            f"std={tuple(round(float(v), 4) for v in self.std)}"
        )
        self.reduced_cosine: float | None = None
        reduced: Any = None
        if dtype in ("bfloat16", "float16"):
            reduced = getattr(torch, dtype)
        elif dtype == "auto" and self.device == "cuda":
            reduced = resolve_dtype("auto", "cuda")
        elif dtype == "auto" and cpu_has_bf16():
            reduced = torch.bfloat16
        self._dtype: Any = None  # the input dtype of self.model (None: float32)
        self._full: Any = None  # the fp32 model, kept until the reduced one is checked
        if reduced is not None:
            low = copy.deepcopy(self.model).to(reduced)
            if dtype != "auto":  # asked for: no check
                self.model, self._dtype = low, reduced
            else:
                self._full, self.model, self._dtype = self.model, low, reduced
        self.dtype = _dtype_name(self._dtype)
        self.max_batch: int | None = None
        """The batch size an out-of-memory error left (``None``: never halved)."""
        self.sizer = None  # a job sets its own (embed_stream); else the first batch's

    batches_itself = True

    @property
    def has_text(self) -> bool:
        return hasattr(self.model, "encode_text")

    def _output_dim(self) -> int:
        torch = self._torch
        size = self.model.visual.image_size
        side = size if isinstance(size, int) else size[0]
        with torch.inference_mode():
            out = self.model.encode_image(torch.zeros(1, 3, side, side, device=self.device))
        return int(out.shape[-1])

    def embed_images(self, images: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Embed PIL images or uint8 arrays; arrays already at ``input_size`` skip resizing."""
        pixels = as_arrays(images, self.input_spec)
        if len(pixels) == 0:
            return np.empty((0, self.dim), np.float32)
        return self.embed_pixels(pixels)

    takes_device_pixels = True
    """:meth:`embed_pixels` also takes batches decoded on the device (:mod:`.device_decode`)."""

    def embed_pixels(self, pixels: Any) -> np.ndarray:
        """Embed uint8 ``[n, size, size, 3]`` pixels (the input pipeline's batches): NumPy
        arrays on the host, or torch tensors already on the model's device."""
        torch = self._torch
        if isinstance(pixels, torch.Tensor):
            x = pixels.to(self.device)  # decoded on the device: no copy there
        else:
            x = torch.from_numpy(np.ascontiguousarray(pixels))
            if self.device == "cuda":
                with timed(self.timer, "transfer"):
                    x = x.pin_memory().to(self.device, non_blocking=True)
        with timed(self.timer, "preprocess"):
            # NHWC uint8 → NCHW float, normalised; permute keeps it channels-last in memory.
            x = x.permute(0, 3, 1, 2).float().div_(255.0)
            mean = self.mean.to(x.device).view(1, 3, 1, 1)
            std = self.std.to(x.device).view(1, 3, 1, 1)
            x = (x - mean) / std  # still channels-last in memory: the permuted NHWC buffer
            if self.device == "cuda":  # made certain for cuDNN after the host-to-device copy
                x = x.contiguous(memory_format=torch.channels_last)
        if self._full is not None:
            self._check_reduced(x[:CHECK_IMAGES])
        return self._forward_with_backoff(x)

    def _forward(self, x: Any, model: Any, dtype: Any) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            out = model.encode_image(x if dtype is None else x.to(dtype))
            # the copy back waits for the forward's kernels on CUDA: it is timed with them
            host = out.float().cpu().numpy()
        with timed(self.timer, "postprocess"):
            return l2_normalise(host)

    def _forward_with_backoff(self, x: Any) -> np.ndarray:
        if self.sizer is None:  # outside a job: the first batch's size
            self.sizer = BatchSizer(len(x), f"{self.name} ({self.version})")
        parts = self.sizer.run(x, lambda part: self._forward(part, self.model, self._dtype))
        self.max_batch = self.sizer.size if self.sizer.halved else None
        return np.concatenate(parts)

    def _check_reduced(self, sample: Any) -> None:
        """Keep the reduced-precision model only if it matches fp32 closely on real inputs."""
        full = self._forward(sample, self._full, None)
        reduced = self._forward(sample, self.model, self._dtype)
        self.reduced_cosine = float((full * reduced).sum(axis=1).min())
        if self.reduced_cosine < MIN_REDUCED_COSINE:
            log.warning(
                "%s gives cosine %.4f to fp32 (< %.2f): using fp32",
                self.dtype,
                self.reduced_cosine,
                MIN_REDUCED_COSINE,
            )
            self.model, self._dtype, self.dtype = self._full, None, "float32"
        self._full = None  # one model in memory from here on

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Embed text queries with the model's text tower and tokenizer."""
        torch = self._torch
        tokens = self._tokenizer(list(texts)).to(self.device)
        with torch.inference_mode():
            out = (self._full if self._full is not None else self.model).encode_text(tokens)
        return l2_normalise(out.float().cpu().numpy())


def _dtype_name(dtype: Any) -> str:
    return "float32" if dtype is None else str(dtype).replace("torch.", "")


def _load(spec: ModelSpec) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, tokenizer, preprocess config)`` from local weights only (never a download)."""
    import open_clip

    arch = spec.arch
    force: dict[str, Any] = {}
    weights: str | None
    if spec.checkpoint and Path(spec.checkpoint).is_dir():
        if not (Path(spec.checkpoint) / LOCAL_DIR_CONFIG).is_file():
            raise EmbedError(f"{spec.checkpoint} has no {LOCAL_DIR_CONFIG}")
        arch, weights = f"local-dir:{spec.checkpoint}", None
    elif spec.checkpoint:
        weights = spec.checkpoint
    else:
        weights, looked = locate_pretrained(spec.arch, spec.pretrained or "")
        if weights is None:
            raise EmbedError(missing_weights_message(spec.arch, spec.pretrained or "", looked))
        cfg = open_clip.get_pretrained_cfg(spec.arch, spec.pretrained or "")
        force = {k: cfg[k] for k in ("mean", "std", "interpolation", "resize_mode") if k in cfg}
    try:
        model = open_clip.create_model(
            arch,
            pretrained=weights,
            device="cpu",
            force_preprocess_cfg=force or None,
            pretrained_text=False,
            pretrained_image=False,
        )
    except (RuntimeError, ValueError, FileNotFoundError, KeyError) as exc:
        raise EmbedError(f"could not load {spec.label}: {exc}") from exc
    cfg = dict(getattr(model.visual, "preprocess_cfg", {}) or {})
    tokenizer = open_clip.get_tokenizer(arch)
    return model, tokenizer, cfg
