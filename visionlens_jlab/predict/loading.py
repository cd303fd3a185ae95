"""Load a transformers model and its processor offline, from a folder or the local cache.

Weights are never downloaded: every ``from_pretrained`` passes ``local_files_only=True``.
``--model`` is either a checkpoint folder (``save_pretrained``'s output: ``config.json``,
the weights, the processor's files) or a Hugging Face hub id whose files are already in the
local cache (``HF_HOME``/``HF_HUB_CACHE``). When neither has the model, the error names
the model, where it looked and how to point at a checkpoint. Models that ship their own
Python code (``trust_remote_code``) load only with :data:`~.base.TRUST_REMOTE_CODE_ENV`
set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jobs.accelerator import dtype_name, resolve_dtype
from ..jobs.stages import StageTimer
from .base import TRUST_REMOTE_CODE_ENV, PredictError, is_torchvision
from .torchvision_detect import load_torchvision


@dataclass
class LoadedModel:
    """A model on its device, with its processor and what kind of model it is."""

    model: Any
    processor: Any
    kind: str
    """``detector``, ``open-vocabulary`` (prompted with class names), ``captioner``, ``vlm``
    (answers questions, :mod:`.vlm`) or
    ``torchvision`` (a torchvision detector: no processor, :mod:`.torchvision_detect`) or
    ``segmenter`` (prompted with points and boxes, :func:`load_segmenter`)."""
    device: str
    dtype: str
    labels: dict[int, str]
    timer: StageTimer = field(default_factory=StageTimer)
    """Where the running job's time goes (:mod:`visionlens_jlab.jobs.stages`): every step
    of :mod:`.stream` times itself on it; the stream starts a fresh one per job."""


def hf_cache_dir() -> str:
    """Where transformers looks for hub ids (the same rules as ``huggingface_hub``)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return os.path.join(home, "hub")


def _looks_like_path(model: str) -> bool:
    return model.startswith(("/", ".", "~")) or os.sep + os.sep in model or model.count("/") > 1


def locate(model: str) -> str:
    """What ``from_pretrained`` gets for ``model``: a resolved checkpoint folder, or the hub
    id itself (then only the local cache is read)."""
    path = Path(model).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").is_file():
            raise PredictError(
                f"{model} is not a transformers checkpoint: point --model at a folder with "
                "config.json and the weights (what save_pretrained writes)"
            )
        return str(path.resolve())
    if _looks_like_path(model):
        raise PredictError(
            f"no checkpoint at {path}: point --model at a folder with config.json and the "
            "weights (what save_pretrained writes), or give a hub id whose files are cached"
        )
    return model


def _missing(model: str, ref: str, exc: BaseException) -> PredictError:
    if Path(ref).is_dir():  # a local checkpoint (``locate`` resolved it): a file is bad
        return _corrupt(model, ref, exc)
    return PredictError(
        f"the weights of {model!r} are not on this machine (looked in the Hugging Face cache "
        f"at {hf_cache_dir()}; nothing is downloaded): point at a local checkpoint with "
        f"--model /path/to/checkpoint, or copy the model into that cache ({_first_line(exc)})"
    )


def _corrupt(model: str, ref: str, exc: BaseException) -> PredictError:
    return PredictError(
        f"cannot load {model!r} from {ref}: {_first_line(exc)}; the checkpoint looks "
        "incomplete or corrupt: copy it again whole, or save it again with save_pretrained"
    )


def _bad_config(model: str, ref: str, exc: BaseException) -> PredictError:
    where = f"{ref}/config.json" if Path(ref).is_dir() else ref
    return PredictError(
        f"cannot read the configuration of {model!r} ({where}): {_first_line(exc)}; fix or "
        "replace that config.json (what save_pretrained writes)"
    )


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"


def _trust() -> bool:
    return os.environ.get(TRUST_REMOTE_CODE_ENV, "") in ("1", "true", "yes")


def pick_device(device: str, dtype: str = "auto") -> tuple[str, Any]:
    """``(device, torch dtype)``: a CUDA GPU when there is one (``auto``), else the CPU;
    the dtype as :func:`~visionlens_jlab.jobs.accelerator.resolve_dtype` says (``auto``:
    bf16 on CUDA, fp16 where bf16 is missing, float32 on the CPU)."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise PredictError("--device cuda, but torch sees no CUDA GPU here: use auto or cpu")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return device, resolve_dtype(dtype, device)


def _other_task(model_type: str, modeling_auto: Any) -> str:
    """What the model is for, when another task runs it (``""`` when none does)."""
    if model_type in modeling_auto.MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES or (
        model_type in modeling_auto.MODEL_FOR_ZERO_SHOT_OBJECT_DETECTION_MAPPING_NAMES
    ):
        return " (it is a detector: use --task detect)"
    if model_type in modeling_auto.MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
        return " (it reads images into text: use --task caption or --task vlm)"
    return ""


def load_detector(
    model: str, device: str = "auto", classes: list[str] | None = None, dtype: str = "auto"
) -> LoadedModel:
    """Load the object detector ``model`` on ``device`` in ``dtype``
    (:data:`~visionlens_jlab.jobs.accelerator.DTYPES`), offline: a transformers detector
    (``detector``, or ``open-vocabulary``, prompted with class names) or a torchvision
    one; ``classes``: the class names the user gave (a torchvision checkpoint's labels)."""
    if is_torchvision(model):
        dev, low = pick_device(device, dtype)
        net, labels, _ = load_torchvision(model, classes)
        # the weights stay float32 and a reduced dtype runs under autocast
        # (:func:`.torchvision_detect.run_detector`): torchvision's NMS has no bf16 kernel
        # on the CPU, and its box ops compute in float32 under autocast
        return LoadedModel(net.to(dev), None, "torchvision", dev, dtype_name(low), labels)

    def pick(model_type: str, modeling_auto: Any) -> tuple[str, Any, Any]:
        import transformers

        if model_type in modeling_auto.MODEL_FOR_ZERO_SHOT_OBJECT_DETECTION_MAPPING_NAMES:
            return (
                "open-vocabulary",
                transformers.AutoModelForZeroShotObjectDetection,
                transformers.AutoProcessor,
            )
        if model_type in modeling_auto.MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES:
            return (
                "detector",
                transformers.AutoModelForObjectDetection,
                transformers.AutoImageProcessor,
            )
        raise PredictError(
            f"{model!r} ({model_type or 'unknown type'}) is not an object detector"
            f"{_other_task(model_type, modeling_auto)}: use a DETR-family (DETR, "
            "Conditional/Deformable/DAB-DETR, RT-DETR, D-FINE), YOLOS, OWL-ViT/OWLv2 or "
            "Grounding DINO checkpoint, or torchvision:BUILDER"
        )

    return _load_transformers(model, device, dtype, pick)


def load_image_text(
    model: str, kind: str, device: str = "auto", dtype: str = "auto"
) -> LoadedModel:
    """Load the image-text-to-text ``model`` as ``kind`` (``captioner`` or ``vlm``) on
    ``device`` in ``dtype``, offline; its tokenizer pads on the left (batched generation)."""
    if is_torchvision(model):
        raise PredictError(f"{model!r} is a torchvision detector: use --task detect")

    def pick(model_type: str, modeling_auto: Any) -> tuple[str, Any, Any]:
        import transformers

        if model_type not in modeling_auto.MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
            raise PredictError(
                f"{model!r} ({model_type or 'unknown type'}) is not an image-text-to-text "
                f"model{_other_task(model_type, modeling_auto)}: use a BLIP, BLIP-2, GIT, "
                "Florence-2, Idefics3/SmolVLM, LLaVA or Qwen2-VL checkpoint"
            )
        return kind, transformers.AutoModelForImageTextToText, transformers.AutoProcessor

    loaded = _load_transformers(model, device, dtype, pick)
    tokenizer = getattr(loaded.processor, "tokenizer", None)
    if tokenizer is not None:
        # generation continues each row of a batch from its last position: prompts of
        # different lengths (images with different numbers of image tokens) must be padded
        # on the left, whatever side the checkpoint's tokenizer pads on by default
        tokenizer.padding_side = "left"
    return loaded


SEGMENTERS = {"sam": "SamModel", "sam_hq": "SamHQModel", "sam2": "Sam2Model"}
"""Promptable segmentation models (click-to-mask, :mod:`visionlens_jlab.segment`) by
``model_type``: transformers' class of each (those the installed transformers lacks are
refused with a sentence)."""


def load_segmenter(model: str, device: str = "auto", dtype: str = "auto") -> LoadedModel:
    """Load the promptable segmentation ``model`` (SAM, SAM-HQ, SAM 2: :data:`SEGMENTERS`)
    on ``device`` in ``dtype``, offline, as ``segmenter``."""
    if is_torchvision(model):
        raise PredictError(f"{model!r} is a torchvision detector, not a SAM checkpoint")

    def pick(model_type: str, modeling_auto: Any) -> tuple[str, Any, Any]:
        import transformers

        name = SEGMENTERS.get(model_type)
        if name is None or not hasattr(transformers, name):
            known = ", ".join(t for t, c in SEGMENTERS.items() if hasattr(transformers, c))
            raise PredictError(
                f"{model!r} ({model_type or 'unknown type'}) is not a promptable segmentation "
                f"model this transformers ({transformers.__version__}) runs: use a {known} "
                f"checkpoint{_other_task(model_type, modeling_auto)}"
            )
        return "segmenter", getattr(transformers, name), transformers.AutoProcessor

    return _load_transformers(model, device, dtype, pick)


def _load_transformers(
    model: str,
    device: str,
    dtype: str,
    pick: Callable[[str, Any], tuple[str, Any, Any]],
) -> LoadedModel:
    """Load a transformers ``model``: ``pick(model_type, modeling_auto)`` gives its kind,
    its auto model class and its auto processor class (or refuses the model)."""
    ref = locate(model)  # before importing transformers: a wrong path fails at once
    import transformers
    from transformers.models.auto import modeling_auto

    trust = _trust()
    try:
        config = transformers.AutoConfig.from_pretrained(
            ref, local_files_only=True, trust_remote_code=trust
        )
    except OSError as exc:  # transformers' word for a config.json that is not JSON, too
        if Path(ref).is_dir():
            raise _bad_config(model, ref, exc) from exc
        raise _missing(model, ref, exc) from exc
    except ValueError as exc:
        if "trust_remote_code" in str(exc):
            raise PredictError(
                f"{model!r} ships its own Python code, which VisionLens does not run unless "
                f"{TRUST_REMOTE_CODE_ENV}=1 is set in the server's (or CLI's) environment; "
                "prefer a natively supported model (DETR, RT-DETR, YOLOS, OWLv2, BLIP, GIT)"
            ) from exc
        raise _bad_config(model, ref, exc) from exc
    except Exception as exc:  # a malformed config.json: the hub's strict field checks
        raise _bad_config(model, ref, exc) from exc
    model_type = getattr(config, "model_type", "")
    kind, auto_model, auto_proc = pick(model_type, modeling_auto)
    dev, torch_dtype = pick_device(device, dtype)
    try:
        net = auto_model.from_pretrained(
            ref, local_files_only=True, trust_remote_code=trust, dtype=torch_dtype
        )
        processor = auto_proc.from_pretrained(ref, local_files_only=True, trust_remote_code=trust)
    except OSError as exc:
        raise _missing(model, ref, exc) from exc
    except ImportError as exc:  # SmolVLM's processor wants num2words, others timm, ...
        raise PredictError(
            f"{model!r} ({model_type}) needs a Python package that is not installed where the "
            f"model runs: {exc}"
        ) from exc
    except Exception as exc:  # truncated or corrupt weights (safetensors' own error type)
        raise _corrupt(model, ref, exc) from exc
    net = net.to(dev).eval()
    labels = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    return LoadedModel(net, processor, kind, dev, dtype_name(torch_dtype), labels)
