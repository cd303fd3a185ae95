"""The computed sample fields image quality writes: a score and a flag per issue type."""

from __future__ import annotations

from ..catalog.extensions.computed import CATEGORICAL, NUMERIC
from .scores import ISSUES

PRODUCER = "image_quality"
"""The ``producer`` of the fields in ``computed_fields`` (their params hold the thresholds)."""

_MEANING = {
    "dark": "99th percentile of pixel brightness",
    "light": "1 - 5th percentile of pixel brightness",
    "blurry": "edge strength at 64 px, combined with the grey histogram's spread",
    "low_information": "histogram entropy / 10, capped at 1",
    "odd_aspect_ratio": "min(width/height, height/width)",
    "odd_size": "distance of sqrt(width*height) from the dataset's quartile fences",
    "grayscale": "0 for a single-channel image, else 1",
}


def score_field(issue: str) -> str:
    """Name of an issue's score field (without the ``computed.`` prefix)."""
    return f"quality_{issue}_score"


def flag_field(issue: str) -> str:
    """Name of an issue's flag field (``"true"``/``"false"``; without the prefix)."""
    return f"is_{issue}_issue"


FIELDS = {
    **{
        score_field(issue): (
            NUMERIC,
            f"image quality, {issue}: {_MEANING[issue]} (0-1, lower is worse; cleanvision's score)",
        )
        for issue in ISSUES
    },
    **{
        flag_field(issue): (
            CATEGORICAL,
            f"image quality: {issue} (score below cleanvision's default threshold)",
        )
        for issue in ISSUES
    },
}
"""Every field's kind and description (declared in the feature's manifest, :mod:`.manifest`)."""
