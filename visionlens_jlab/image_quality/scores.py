"""Issue scores and flags from raw properties, for a whole dataset at once (numpy).

cleanvision's conventions (``ImagePropertyIssueManager.get_default_params`` and the
``get_scores`` / ``mark_issue`` of each property in cleanvision 0.3.7): every score is in
[0, 1], lower is more severe, and an image has the issue when its score is below the
threshold. The thresholds and constants below are cleanvision's defaults; ``odd_size``'s
bounds depend on the dataset (quartiles of ``sqrt(width * height)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ISSUES = (
    "dark",
    "light",
    "blurry",
    "low_information",
    "odd_aspect_ratio",
    "odd_size",
    "grayscale",
)
"""The issue types, cleanvision's names."""

DARK_THRESHOLD = 0.32  # 99th brightness percentile below: dark
LIGHT_THRESHOLD = 0.05  # 1 - 5th brightness percentile below: light
ASPECT_THRESHOLD = 0.35  # min(w/h, h/w) below
ENTROPY_THRESHOLD = 0.3  # entropy * ENTROPY_FACTOR below (entropy < 3 bits)
ENTROPY_FACTOR = 0.1
BLURRY_THRESHOLD = 0.29
BLURRY_FACTOR = 0.01
BLURRY_COLOR_THRESHOLD = 0.18
ODD_SIZE_IQR_FACTOR = 3.0
GRAYSCALE_THRESHOLD = 0.5  # the score is 0 (single channel) or 1


@dataclass
class IssueScores:
    """Per issue: the scores (NaN: not measured) and flags of every image, and the
    thresholds used (JSON-able)."""

    scores: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    thresholds: dict[str, dict[str, Any]]


def _exp_score(values: np.ndarray, factor: float) -> np.ndarray:
    return 1 - np.exp(-values * factor)


def blurry_scores(blurriness: np.ndarray, hist_std: np.ndarray) -> np.ndarray:
    """cleanvision's blur score: ``1 - exp(-0.01 · edge std)``, plus (when it exceeds the
    colour threshold) ``1 - exp(-0.01 · grey histogram std)``, capped at 1. The second term
    is large for images whose greys crowd into few levels (flat or low-contrast images),
    so those do not count as blurry."""
    blur = _exp_score(blurriness, BLURRY_FACTOR)
    std = _exp_score(hist_std, BLURRY_FACTOR)
    std = np.where(std <= BLURRY_COLOR_THRESHOLD, 0.0, std)
    return np.minimum(blur + std, 1.0)


def odd_size_scores(width: np.ndarray, height: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Scores of ``sqrt(w · h)`` against the dataset's quartile fences
    (``q1 - 3 IQR``, ``q3 + 3 IQR``): 1 at the fences' midpoint, 0.5 at a fence, 0 a fence
    gap beyond it; flagged below 0.5. When every size is the same (no gap) any other size is
    flagged (threshold 1), as in cleanvision."""
    with np.errstate(invalid="ignore"):
        size = np.sqrt(width) * np.sqrt(height)
    known = size[np.isfinite(size)]
    if known.size == 0:
        return np.full(size.shape, np.nan), {"threshold": 0.5, "low": None, "high": None}
    q1, q3 = np.percentile(known, [25, 75])
    iqr = q3 - q1
    low, high = q1 - ODD_SIZE_IQR_FACTOR * iqr, q3 + ODD_SIZE_IQR_FACTOR * iqr
    mid, gap = (low + high) / 2, high - low
    norm, threshold = (gap, 0.5) if gap > 0 else (mid, 1.0)
    scores = 1 - np.clip(np.abs(size - mid) / norm, 0, 1)
    params = {
        "threshold": threshold,
        "iqr_factor": ODD_SIZE_IQR_FACTOR,
        "low": round(float(low), 3),
        "high": round(float(high), 3),
    }
    return scores, params


def score_issues(raw: dict[str, np.ndarray], width: np.ndarray, height: np.ndarray) -> IssueScores:
    """Scores and flags of every issue type from the :data:`~.measure.RAW_COLUMNS` arrays
    (NaN where an image was not read) and the images' sizes (NaN where unknown)."""
    width, height = np.asarray(width, dtype=float), np.asarray(height, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        aspect = np.minimum(width / height, height / width)
    size_scores, size_params = odd_size_scores(width, height)
    scores = {
        "dark": raw["brightness_p99"],
        "light": 1 - raw["brightness_p5"],
        "blurry": blurry_scores(raw["blurriness"], raw["grayscale_hist_std"]),
        "low_information": np.minimum(raw["entropy"] * ENTROPY_FACTOR, 1.0),
        "odd_aspect_ratio": np.where(np.isfinite(aspect), aspect, np.nan),
        "odd_size": size_scores,
        "grayscale": 1 - raw["single_channel"],
    }
    thresholds: dict[str, dict[str, Any]] = {
        "dark": {"threshold": DARK_THRESHOLD},
        "light": {"threshold": LIGHT_THRESHOLD},
        "blurry": {
            "threshold": BLURRY_THRESHOLD,
            "normalizing_factor": BLURRY_FACTOR,
            "color_threshold": BLURRY_COLOR_THRESHOLD,
        },
        "low_information": {"threshold": ENTROPY_THRESHOLD, "normalizing_factor": ENTROPY_FACTOR},
        "odd_aspect_ratio": {"threshold": ASPECT_THRESHOLD},
        "odd_size": size_params,
        "grayscale": {"threshold": GRAYSCALE_THRESHOLD},
    }
    flags = {}
    for issue in ISSUES:
        with np.errstate(invalid="ignore"):
            flags[issue] = scores[issue] < thresholds[issue]["threshold"]  # NaN: False
    return IssueScores(scores, flags, thresholds)
