"""Calibration of VLM attributes: does a question's answer agree with anything known?

Per question, Cohen's kappa (:func:`cohen_kappa`) between the VLM's answers and

* a measured attribute, where one maps onto the question (:data:`MEASURED`: lighting from
  the measured brightness, binned into bright / dim / dark), and
* the labels the user gave a few samples (:mod:`.vlm_labels`).

A kappa needs :data:`MIN_PAIRS` samples with both values. A question is *usable* (a
candidate slicing attribute of the blind-spot finder) when it has at least one kappa and
every kappa it has reaches the threshold (``VisionLensApp.vlm_kappa_threshold``); its
``kappa`` is the smaller of the two. ``unknown`` answers count: they disagree with every
label, so a model that rarely gives a closed answer is not usable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from .vlm_labels import Question, answer_pairs, vlm_questions

if TYPE_CHECKING:
    from ..catalog import Catalog

DEFAULT_THRESHOLD = 0.6
"""Kappa from which an attribute counts ("substantial agreement" on Landis & Koch's scale)."""
MIN_PAIRS = 10
"""Fewest samples with both values for a kappa: fewer say little about agreement."""
DARK_BELOW, DIM_BELOW = 0.2, 0.4
"""Measured brightness (mean luminance, 0-1) below which an image counts as dark, dim."""


@dataclass(frozen=True)
class MeasuredMap:
    """How a measured attribute answers a question: its column, a binning function and the
    answers that gives."""

    column: str
    answer: Callable[[float], str]
    answers: tuple[str, ...]


def _lighting(brightness: float) -> str:
    if brightness < DARK_BELOW:
        return "dark"
    return "dim" if brightness < DIM_BELOW else "bright"


MEASURED = {"lighting": MeasuredMap("brightness", _lighting, ("bright", "dim", "dark"))}
"""Questions a measured attribute answers, by question key."""


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels of the same items: ``(po - pe) / (1 - pe)``,
    ``po`` the observed agreement, ``pe`` the agreement expected by chance from each
    rater's label frequencies. None when undefined: no items, or both raters using one
    and the same label throughout (``pe = 1``)."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} labels against {len(b)}")
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for x, y in zip(a, b, strict=True):
        count_a[x] = count_a.get(x, 0) + 1
        count_b[y] = count_b.get(y, 0) + 1
    pe = sum(c * count_b.get(k, 0) for k, c in count_a.items()) / (n * n)
    if pe >= 1.0:
        return None
    return (po - pe) / (1.0 - pe)


def _measured_pairs(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, question: Question
) -> tuple[list[str], list[str]] | None:
    mapping = MEASURED.get(question.key)
    if mapping is None or not set(mapping.answers) <= set(question.answers):
        return None  # a custom question of that key with other answers: no binning applies
    rows = cur.execute(
        f"SELECT v.text, m.{mapping.column} FROM computed_values v JOIN sample_attributes m "  # noqa: S608 - column from a fixed map
        "ON m.dataset_id = v.dataset_id AND m.sample_id = v.sample_id WHERE v.dataset_id = ? AND v.field = ? "
        f"AND m.{mapping.column} IS NOT NULL ORDER BY v.sample_id",
        [dataset_id, question.field],
    ).fetchall()
    return [r[0] for r in rows], [mapping.answer(float(r[1])) for r in rows]


def _kappa(pairs: tuple[list[str], list[str]] | None) -> tuple[float | None, int]:
    if pairs is None:
        return None, 0
    n = len(pairs[0])
    kappa = cohen_kappa(*pairs) if n >= MIN_PAIRS else None
    return (round(kappa, 6) if kappa is not None else None), n


def question_calibration(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, question: Question, threshold: float
) -> dict[str, Any]:
    """The calibration of one question (see the module's docstring)."""
    measured = MEASURED.get(question.key)
    k_measured, n_measured = _kappa(_measured_pairs(cur, dataset_id, question))
    k_labels, n_labels = _kappa(answer_pairs(cur, dataset_id, question))
    known = [k for k in (k_measured, k_labels) if k is not None]
    kappa = min(known) if known else None
    usable = kappa is not None and kappa >= threshold
    if kappa is None:
        reason = f"no kappa: label at least {MIN_PAIRS} samples it answered"
        if measured is not None and n_measured == 0:
            reason += " (or measure the images: visionlens attributes NAME)"
    elif not usable:
        reason = f"kappa {kappa:.3f} is below the threshold {threshold}"
    else:
        reason = "usable"
    return {
        "question": question.key,
        "field": "computed." + question.field,
        "answers": list(question.answers),
        "measured": f"measured.{measured.column}" if measured else None,
        "kappa_measured": k_measured,
        "n_measured": n_measured,
        "kappa_labels": k_labels,
        "n_labels": n_labels,
        "n": n_measured + n_labels,
        "kappa": kappa,
        "usable": usable,
        "reason": reason,
    }


def calibration(
    catalog: Catalog, dataset: str, threshold: float = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """Per question of the dataset's VLM run: kappas, counts and whether it is usable."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        questions = vlm_questions(cur, dataset_id)
        rows = [question_calibration(cur, dataset_id, q, threshold) for q in questions]
    return {
        "dataset": dataset,
        "threshold": threshold,
        "min_pairs": MIN_PAIRS,
        "questions": rows,
    }


def usable_kappas(catalog: Catalog, dataset_id: int, threshold: float) -> dict[str, float]:
    """``{computed field name: kappa}`` of the dataset's usable VLM questions."""
    with catalog.cursor() as cur:
        out = {}
        for q in vlm_questions(cur, dataset_id):
            row = question_calibration(cur, dataset_id, q, threshold)
            if row["usable"]:
                out[q.field] = float(row["kappa"])
    return out
