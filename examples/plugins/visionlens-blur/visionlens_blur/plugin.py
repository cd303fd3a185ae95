"""A sample-field plugin: ``computed.blur_score`` (variance of the Laplacian of the grey
image: low means few sharp edges) and ``computed.blurry`` (``yes`` below a threshold).

Settings (``VisionLensApp.plugin_settings = {"blur": {...}}``): ``threshold`` (default 100,
the usual rule of thumb for 8-bit photos) and ``max_side`` (images are downscaled to this
longest side first, default 1024, so the score does not depend on the resolution alone).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from visionlens_jlab.plugins.api import (
    CATEGORICAL,
    NUMERIC,
    FieldSpec,
    SampleFieldProvider,
    SampleFieldsContext,
    SetupContext,
)

DEFAULT_THRESHOLD = 100.0
DEFAULT_MAX_SIDE = 1024


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a 2-D grey image (float)."""
    g = np.asarray(grey, dtype=np.float64)
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def grey_pixels(data: bytes, max_side: int) -> np.ndarray:
    """The image as 8-bit grey, EXIF-rotated, longest side at most ``max_side``."""
    with Image.open(io.BytesIO(data)) as opened:
        grey = ImageOps.exif_transpose(opened).convert("L")
    if max(grey.size) > max_side:
        grey.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(grey)


class BlurPlugin:
    """The ``blur`` plugin (API 1.0)."""

    name = "blur"
    version = "0.1.0"
    api_version = "1.0"

    def sample_fields(self, *, context: SetupContext) -> SampleFieldProvider:
        threshold = float(context.settings.get("threshold", DEFAULT_THRESHOLD))
        max_side = int(context.settings.get("max_side", DEFAULT_MAX_SIDE))

        def compute(*, context: SampleFieldsContext) -> Mapping[str, Sequence[Any]]:
            scores: list[float | None] = []
            for done, sample in enumerate(context.samples, start=1):
                try:
                    scores.append(
                        laplacian_variance(grey_pixels(context.read_image(sample), max_side))
                    )
                except Exception:  # an unreadable image has no score, the others go on
                    scores.append(None)
                context.progress(done)
            blurry = [None if s is None else ("yes" if s < threshold else "no") for s in scores]
            return {"blur_score": scores, "blurry": blurry}

        return SampleFieldProvider(
            fields=[
                FieldSpec("blur_score", NUMERIC, "variance of the Laplacian (low: blurry)"),
                FieldSpec("blurry", CATEGORICAL, f"yes when blur_score < {threshold:g}"),
            ],
            compute=compute,
        )
