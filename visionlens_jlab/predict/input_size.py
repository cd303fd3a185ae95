"""The size a model's preprocessing resizes an image to: how small a JPEG may be decoded.

A detector's or captioner's processor resizes every image before the model sees it
(DETR's shortest side to 800 within 1333, BLIP's 384x384 squash, a torchvision detector's
own transform). Where it shrinks an image by 2x or more, decoding the JPEG at 1/2, 1/4 or
1/8 scale (DCT scaling, :func:`visionlens_jlab.embed.decode.open_reduced`, as the embedding
jobs do) skips most of the decoding work, and the processor then resizes from a smaller
image that still covers its output: the model sees nearly the same pixels
(benchmarks/results/predict.md measures how near). Where the resize rule is not one of
these (dynamic resolutions: Qwen2-VL, Idefics3's image splitting), :func:`resize_of` is
``None`` and images decode at full size.
"""

from __future__ import annotations

from typing import Any

from ..embed.decode import OutputSize


def edges(shortest: float, longest: float | None) -> OutputSize:
    """A resize of the shortest side to ``shortest``, unless the longest would pass
    ``longest`` (then the longest to ``longest``): DETR's and torchvision's rule."""

    def size(width: int, height: int) -> tuple[float, float]:
        scale = shortest / min(width, height)
        if longest is not None:
            scale = min(scale, longest / max(width, height))
        return width * scale, height * scale

    return size


def fixed(width: float, height: float) -> OutputSize:
    """A resize to ``width`` x ``height`` whatever the image (BLIP's, RT-DETR's squash)."""
    return lambda w, h: (width, height)


def resize_of(loaded: Any) -> dict[str, float] | None:
    """The resize of ``loaded``'s preprocessing (a :class:`~.loading.LoadedModel`) as JSON
    (it travels to a Ray cluster's decode tasks): ``{"shortest", "longest"}`` (``longest``
    may be absent) or ``{"width", "height"}``; ``None`` where it is not known (images then
    decode at full size)."""
    if loaded.kind == "torchvision":
        transform = getattr(loaded.model, "transform", None)
        min_size = getattr(transform, "min_size", None)
        if transform is None or not min_size:
            return None
        return {"shortest": float(min_size[-1]), "longest": float(transform.max_size)}
    processor = getattr(loaded.processor, "image_processor", loaded.processor)
    if not getattr(processor, "do_resize", False):
        return None
    size = getattr(processor, "size", None)
    size = {k: float(v) for k, v in dict(size or {}).items() if v is not None}
    keys = set(size)
    if keys == {"shortest_edge", "longest_edge"}:
        return {"shortest": size["shortest_edge"], "longest": size["longest_edge"]}
    if keys == {"shortest_edge"}:
        return {"shortest": size["shortest_edge"]}
    if keys == {"height", "width"}:
        return {"width": size["width"], "height": size["height"]}
    return None


def output_size(resize: dict[str, float] | None) -> OutputSize | None:
    """The :data:`~visionlens_jlab.embed.decode.OutputSize` of a :func:`resize_of`."""
    if not resize:
        return None
    if "shortest" in resize:
        return edges(resize["shortest"], resize.get("longest"))
    return fixed(resize["width"], resize["height"])
