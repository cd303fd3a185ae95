"""COCO categories: a class name, and for a keypoint class its point names, skeleton and OKS
sigmas (a ``sigmas`` list, as some pose datasets carry; one positive number per point), and
an LVIS category's ``frequency`` group (r, c or f: the APr/APc/APf of LVIS evaluation)."""

from __future__ import annotations

from typing import Any, NamedTuple

from ...records.report import IngestReport


class CocoCategory(NamedTuple):
    """One category of a COCO file, as the parser declares it (``add_class``)."""

    name: str
    supercategory: str | None
    source_id: int
    keypoint_names: list[str] | None = None
    skeleton: list[list[int]] | None = None
    sigmas: list[float] | None = None
    frequency: str | None = None


def category_keypoints(
    cat: dict[str, Any], report: IngestReport
) -> tuple[list[str] | None, list[list[int]] | None]:
    """The ``keypoints`` names and ``skeleton`` (1-based index pairs) of a category, validated:
    a malformed one is reported and left out (the category itself is kept)."""
    names, skeleton = cat.get("keypoints"), cat.get("skeleton")
    if names is None:
        if skeleton is not None:
            report.warn(
                "coco_bad_category_keypoints",
                "a category has a 'skeleton' but no 'keypoints' names: skeleton ignored",
                cat.get("name"),
            )
        return None, None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        report.warn(
            "coco_bad_category_keypoints",
            "a category's 'keypoints' is not a list of names: ignored",
            cat.get("name"),
        )
        return None, None
    if skeleton is None:
        return names, None
    n = len(names)
    if not isinstance(skeleton, list) or not all(
        isinstance(pair, list)
        and len(pair) == 2
        and all(v.__class__ is int and 1 <= v <= n for v in pair)
        for pair in skeleton
    ):
        report.warn(
            "coco_bad_category_keypoints",
            f"a category's 'skeleton' is not a list of [i, j] pairs of points 1..{n}: ignored",
            cat.get("name"),
        )
        return names, None
    return names, skeleton


def category_sigmas(
    cat: dict[str, Any], names: list[str] | None, report: IngestReport
) -> list[float] | None:
    """The category's ``sigmas``: one positive number per keypoint name; anything else is
    reported and left out (evaluation then uses the defaults)."""
    sigmas = cat.get("sigmas")
    if sigmas is None:
        return None
    if (
        names is None
        or not isinstance(sigmas, list)
        or len(sigmas) != len(names)
        or not all(v.__class__ in (int, float) and 0 < v < float("inf") for v in sigmas)
    ):
        points = "its keypoint names" if names is None else f"its {len(names)} keypoints"
        report.warn(
            "coco_bad_category_sigmas",
            f"a category's 'sigmas' is not one positive number per keypoint ({points}): ignored",
            cat.get("name"),
        )
        return None
    return [float(v) for v in sigmas]


def keypoint_counts(cats: list[CocoCategory]) -> dict[str, int]:
    """``{class name: number of keypoint names}`` of the keypoint classes."""
    return {c.name: len(c.keypoint_names) for c in cats if c.keypoint_names is not None}


FREQUENCIES = ("r", "c", "f")
"""LVIS frequency groups: rare, common, frequent (in that order, as ``LVISEval``)."""


def category_frequency(cat: dict[str, Any], report: IngestReport) -> str | None:
    """An LVIS category's ``frequency`` (r, c or f); anything else is reported and left out
    (the class then counts in no frequency group)."""
    frequency = cat.get("frequency")
    if frequency is None or frequency in FREQUENCIES:
        return frequency
    report.warn(
        "coco_bad_category_frequency",
        "a category's 'frequency' is not one of 'r', 'c', 'f' (LVIS): ignored",
        cat.get("name"),
    )
    return None
