"""torchvision detection models (Faster R-CNN, RetinaNet, FCOS, SSD, ...) as detectors, offline.

``--model torchvision:BUILDER`` loads the builder's default (COCO) weights from torchvision's
own cache (``$TORCH_HOME/hub/checkpoints``, under the weights file's name: what
``BUILDER(weights="DEFAULT")`` would have downloaded); ``torchvision:BUILDER=/path/weights.pth``
loads a ``state_dict`` saved with ``torch.save``. The model is built with ``weights=None,
weights_backbone=None`` and the weights are loaded into it: nothing is downloaded.

Class names: the weights enum's COCO categories, or ``--classes a,b,c`` in the checkpoint's
order. torchvision's detectors reserve index 0 for the background, so a checkpoint with
``len(classes) + 1`` classes reads labels ``1..N`` as those names; one with exactly
``len(classes)`` reads ``0..N-1`` (a RetinaNet/FCOS trained without the background slot).

The model does its own resizing (``min_size``/``max_size`` of the builder's defaults) and
normalisation and answers boxes in the pixels of the image it was given; the job only turns
the decoded image into a float tensor and drops boxes below the score threshold.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..jobs.stages import StageTimer, timed
from .base import TORCHVISION_PREFIX, PredictError, parse_spec


def builders() -> list[str]:
    """The detection builders torchvision has (object detection, instance segmentation and
    keypoints: every one answers boxes)."""
    import torchvision.models.detection as detection
    from torchvision.models import list_models

    return sorted(list_models(module=detection))


def cache_dir() -> str:
    """Where torchvision keeps downloaded weights (``$TORCH_HOME/hub/checkpoints``)."""
    import torch

    return os.path.join(torch.hub.get_dir(), "checkpoints")


def _state_dict(model: str, builder: str, path: str | None, weights: Any) -> tuple[dict, str]:
    """The ``state_dict`` and the file it came from; the error for missing weights."""
    import torch

    if path is None:
        if weights is None:
            raise PredictError(
                f"torchvision has no default weights for {builder!r}: point at a state_dict "
                f"with --model {TORCHVISION_PREFIX}{builder}=/path/weights.pth"
            )
        file = os.path.join(cache_dir(), os.path.basename(weights.url))
        if not os.path.isfile(file):
            raise PredictError(
                f"the weights of {model!r} are not on this machine (looked for "
                f"{os.path.basename(file)} in torchvision's cache {cache_dir()}; nothing is "
                f"downloaded): point at a state_dict with --model {TORCHVISION_PREFIX}{builder}="
                "/path/weights.pth, or copy that file into the cache (TORCH_HOME)"
            )
    else:
        file = str(Path(path).expanduser())
        if not os.path.isfile(file):
            raise PredictError(
                f"no weights file at {file}: point --model {TORCHVISION_PREFIX}{builder}=PATH at a "
                "state_dict saved with torch.save(model.state_dict(), PATH)"
            )
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated file, a pickle of a whole model, not torch at all
        raise PredictError(
            f"{file} is not a state_dict torch can load safely ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}): save one with "
            "torch.save(model.state_dict(), PATH)"
        ) from exc
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # torchvision's reference training scripts' checkpoints
    if not isinstance(state, dict):
        raise PredictError(f"{file} holds a {type(state).__name__}, not a state_dict")
    return state, file


def _fits(net: Any, state: dict) -> str:
    """Load ``state`` into ``net``; ``""`` or why it does not fit. Built without weights,
    the backbone has ``BatchNorm2d`` where the pretrained builders use the frozen kind (no
    ``num_batches_tracked`` buffers): those buffers alone may be missing."""
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # size mismatches
        lines = [line.strip() for line in str(exc).splitlines() if "size mismatch" in line]
        return "; ".join(lines[:3]) or str(exc).splitlines()[0]
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        if unexpected:
            more = " ..." if len(unexpected) > 3 else ""
            parts.append(f"unexpected {', '.join(unexpected[:3])}{more}")
        return "; ".join(parts)
    return ""


def load_torchvision(model: str, classes: list[str] | None) -> tuple[Any, dict[int, str], str]:
    """``(model in eval mode on the CPU, {label index: class name}, weights file)``."""
    from torchvision.models import get_model, get_model_weights

    builder, path = parse_spec(model)
    known = builders()
    if builder not in known:
        raise PredictError(
            f"{builder!r} is not a torchvision detection model: use one of {', '.join(known)}"
        )
    try:
        weights = get_model_weights(builder).DEFAULT
    except (ValueError, AttributeError):
        weights = None
    state, file = _state_dict(model, builder, path, weights)
    categories = list((weights.meta.get("categories") or []) if weights is not None else [])
    if classes:
        candidates = [["__background__", *classes], list(classes)]
    elif categories:
        candidates = [categories]
    else:
        raise PredictError(
            f"{model!r} has no class names: pass them in the checkpoint's order with "
            "--classes a,b,c"
        )
    reasons = []
    for names in candidates:
        net = get_model(builder, weights=None, weights_backbone=None, num_classes=len(names))
        reason = _fits(net, state)
        if not reason:
            return net.eval(), dict(enumerate(names)), file
        reasons.append(f"as {len(names)} classes: {reason}")
    hint = (
        f"--classes gives {len(classes)} names"
        if classes
        else f"torchvision's weights have {len(categories)} classes; pass the checkpoint's "
        "class names with --classes a,b,c"
    )
    raise PredictError(
        f"{file} does not fit torchvision's {builder} (saved from another architecture, or "
        f"with another number of classes? {hint}): {' | '.join(reasons)}"[:1500]
    )


def to_tensor(image: Any) -> Any:
    """A decoded RGB PIL image as the float ``(3, H, W)`` tensor in 0..1 the models take
    (what the weights' own ``transforms()`` make)."""
    from torchvision.transforms.functional import to_tensor as pil_to_float

    return pil_to_float(image)


def run_detector(
    net: Any,
    device: str,
    tensors: list[Any],
    min_score: float,
    dtype: str = "float32",
    timer: StageTimer | None = None,
) -> list[dict]:
    """The model's ``{"boxes", "scores", "labels"}`` per image (boxes ``x1 y1 x2 y2`` in the
    given image's pixels, float32), without the detections below ``min_score``. A
    ``dtype`` other than float32 runs the forward pass under ``torch.autocast``:
    convolutions and matmuls in that dtype, NMS and RoIAlign in float32. ``timer``: the
    job's stage timer (the copy to the device and the score filter timed apart)."""
    import torch

    with timed(timer, "transfer"):
        images = [t.to(device) for t in tensors]
    if dtype == "float32":
        outputs = net(images)
    else:
        with torch.autocast(device_type=device, dtype=getattr(torch, dtype)):
            outputs = net(images)
    with timed(timer, "postprocess"):
        kept = []
        for out in outputs:
            keep = out["scores"] >= min_score
            kept.append({k: out[k][keep] for k in ("boxes", "scores", "labels")})
    return kept
