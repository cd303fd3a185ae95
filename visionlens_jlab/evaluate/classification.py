"""Image classification evaluation: a model's image-level labels against the ground truth's.

Computed with numpy, to the definitions of scikit-learn (the tests' oracle):
``accuracy_score``, ``top_k_accuracy_score`` (ties as it breaks them: the later class in
sorted label order first), ``precision_recall_fscore_support`` (``zero_division=0``) and
``confusion_matrix`` (rows true, columns predicted, labels in the class order below).

What is evaluated, from the ``classifications`` table:

* an image's prediction is the model's highest-scoring row for it (rows without a score
  last; ties: label order); its confidence is that row's score, else its entry in the
  row's per-class ``scores``;
* top-k reads the per-class ``scores`` JSON of that row; images whose prediction has no
  per-class scores are left out of top-k only (``top_k_images`` says how many count);
* multi-label images (several ground-truth labels) have no single true class: they are left
  out of every number and counted, with a warning; so are images with a ground-truth label
  but no prediction, and predictions on images without a ground-truth label;
* calibration: the expected calibration error (ECE) of the confidences over 15 equal-width
  bins of [0, 1], each bin ``(lo, hi]`` and the first one closed (scikit-learn's
  ``calibration_curve`` binning), ``sum(n_b / n * |accuracy_b - confidence_b|)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from ..catalog import GROUND_TRUTH, NotFoundError

if TYPE_CHECKING:
    from ..catalog import Catalog

TOP_K = 5
ECE_BINS = 15


def is_classification_model(catalog: Catalog, dataset: str, model: str) -> bool:
    """Whether ``model`` has image-level labels and no objects on ``dataset``."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        ((labels, objects),) = cur.execute(
            """
            SELECT (SELECT COUNT(*) FROM classifications WHERE dataset_id = ? AND source = ?),
                   (SELECT COUNT(*) FROM annotations WHERE dataset_id = ? AND source = ?)
            """,
            [dataset_id, model, dataset_id, model],
        ).fetchall()
    return bool(labels) and not objects


def evaluate_classification(
    catalog: Catalog, dataset: str, model: str, k: int = TOP_K
) -> dict[str, Any]:
    """Evaluate ``model``'s image labels on ``dataset`` (see the module docstring)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        classes = [
            r[0]
            for r in cur.execute(
                "SELECT name FROM categories WHERE dataset_id = ? ORDER BY category_id",
                [dataset_id],
            ).fetchall()
        ]
        truth = cur.execute(
            """
            SELECT sample_id, any_value(label), COUNT(*) FROM classifications
            WHERE dataset_id = ? AND source = ? GROUP BY sample_id ORDER BY sample_id
            """,
            [dataset_id, GROUND_TRUTH],
        ).fetchall()
        predicted = cur.execute(
            """
            SELECT sample_id, label, score, scores::VARCHAR FROM classifications
            WHERE dataset_id = ? AND source = ?
            QUALIFY row_number() OVER (
                PARTITION BY sample_id ORDER BY score DESC NULLS LAST, label) = 1
            """,
            [dataset_id, model],
        ).fetchall()
    if not predicted:
        raise NotFoundError(f"model {model!r} has no image-level labels on dataset {dataset!r}")
    single = {s: label for s, label, n in truth if n == 1}
    multi = sum(1 for _, _, n in truth if n > 1)
    labelled = {s for s, _, _ in truth}
    rows = [r for r in predicted if r[0] in single]
    y_true = [single[r[0]] for r in rows]
    y_pred = [r[1] for r in rows]
    scores = [orjson.loads(r[3]) if r[3] else None for r in rows]
    confidence = np.array(
        [_confidence(r[2], s, r[1]) for r, s in zip(rows, scores, strict=True)], dtype=float
    )
    seen = {*y_true, *y_pred, *(c for s in scores if s for c in s)}
    classes = classes + sorted(seen - set(classes))
    out = classification_metrics(y_true, y_pred, classes, confidence, scores, k)
    out.update(dataset=dataset, model=model, kind="classification")
    counts = {
        "images": len(rows),
        "multi_label": multi,
        "unpredicted": len(set(single) - {r[0] for r in predicted}),
        "unlabelled": sum(1 for r in predicted if r[0] not in labelled),
    }
    out["counts"] = counts
    notes = {
        "multi_label": "images with several ground-truth labels were left out",
        "unpredicted": "images with a ground-truth label have no prediction: left out",
        "unlabelled": "predictions on images without a ground-truth label were left out",
    }
    out["warnings"] = [f"{counts[name]} {text}" for name, text in notes.items() if counts[name]]
    return out


def _confidence(score: float | None, scores: dict[str, Any] | None, label: str) -> float:
    if score is not None:
        return float(score)
    if scores and isinstance(scores.get(label), int | float):
        return float(scores[label])
    return float("nan")


def classification_metrics(
    y_true: list[str],
    y_pred: list[str],
    classes: list[str],
    confidence: np.ndarray,
    scores: list[dict[str, Any] | None],
    k: int = TOP_K,
) -> dict[str, Any]:
    """The numbers of one evaluation: accuracy, top-k, per class, confusion, calibration."""
    index = {c: i for i, c in enumerate(classes)}
    t = np.array([index[c] for c in y_true], dtype=np.int64)
    p = np.array([index[c] for c in y_pred], dtype=np.int64)
    n_cls = len(classes)
    confusion = np.bincount(t * n_cls + p, minlength=n_cls * n_cls).reshape(n_cls, n_cls)
    tp = np.diag(confusion)
    true_sum, pred_sum = confusion.sum(axis=1), confusion.sum(axis=0)
    per_class = [
        {
            "class": c,
            "precision": _ratio(tp[i], pred_sum[i]),
            "recall": _ratio(tp[i], true_sum[i]),
            "f1": _ratio(2 * tp[i], true_sum[i] + pred_sum[i]),
            "support": int(true_sum[i]),
        }
        for i, c in enumerate(classes)
        if true_sum[i] or pred_sum[i]
    ]
    top_k, top_k_images = _top_k(t, classes, scores, k)
    return {
        "images": len(t),
        "accuracy": float(np.mean(t == p)) if len(t) else None,
        f"top{k}": top_k,
        "top_k_images": top_k_images,
        "per_class": per_class,
        "confusion": {"labels": classes, "matrix": confusion.tolist()},
        "calibration": calibration(confidence, t == p),
    }


def _ratio(num: Any, den: Any) -> float:
    return float(num) / float(den) if den else 0.0


def _top_k(
    t: np.ndarray, classes: list[str], scores: list[dict[str, Any] | None], k: int
) -> tuple[float | None, int]:
    """Top-k accuracy over the images with per-class scores, as scikit-learn's
    ``top_k_accuracy_score`` ranks them (columns in sorted class order, missing classes
    last)."""
    with_scores = [i for i, s in enumerate(scores) if s]
    if not with_scores:
        return None, 0
    order = sorted(classes)
    column = {c: j for j, c in enumerate(order)}
    matrix = np.full((len(with_scores), len(order)), -np.inf)
    for row, i in enumerate(with_scores):
        for name, value in (scores[i] or {}).items():
            if isinstance(value, int | float):
                matrix[row, column[name]] = value
    truth = np.array([column[classes[t[i]]] for i in with_scores])
    ranked = np.argsort(matrix, axis=1, kind="mergesort")[:, ::-1][:, :k]
    hits = (ranked == truth[:, None]).any(axis=1)
    return float(np.mean(hits)), len(with_scores)


def calibration(confidence: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    """ECE and the reliability bins of the images with a confidence (module docstring)."""
    known = np.isfinite(confidence)
    conf, hit = np.clip(confidence[known], 0.0, 1.0), correct[known].astype(float)
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    bins = np.searchsorted(edges[1:-1], conf)
    count = np.bincount(bins, minlength=ECE_BINS)
    acc_sum = np.bincount(bins, weights=hit, minlength=ECE_BINS)
    conf_sum = np.bincount(bins, weights=conf, minlength=ECE_BINS)
    used = count > 0
    accuracy = np.divide(acc_sum, count, out=np.zeros(ECE_BINS), where=used)
    mean_conf = np.divide(conf_sum, count, out=np.zeros(ECE_BINS), where=used)
    n = int(count.sum())
    ece = float(np.sum(count / n * np.abs(accuracy - mean_conf))) if n else None
    return {
        "ece": ece,
        "bins": ECE_BINS,
        "binning": "15 equal-width bins (lo, hi] of [0, 1], as sklearn's calibration_curve",
        "images": n,
        "reliability": [
            {
                "lo": float(edges[b]),
                "hi": float(edges[b + 1]),
                "count": int(count[b]),
                "accuracy": float(accuracy[b]),
                "confidence": float(mean_conf[b]),
            }
            for b in np.flatnonzero(used).tolist()
        ],
    }


def classification_text(report: dict[str, Any]) -> str:
    """Plain-text summary of :func:`evaluate_classification`, as the CLI prints it."""

    def shown(value: Any) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    k = next((key for key in report if key.startswith("top") and key != "top_k_images"), "top5")
    lines = [
        f"Classification evaluation of {report['model']!r} on {report['dataset']!r} "
        f"({report['images']} images)",
        f"  accuracy     {shown(report['accuracy'])}",
        f"  {k:<12} {shown(report[k])} ({report['top_k_images']} images with class scores)",
        f"  ECE          {shown(report['calibration']['ece'])} ({ECE_BINS} bins)",
    ]
    lines += [
        f"  {row['class']:<20} P {row['precision']:.3f}  R {row['recall']:.3f}  "
        f"F1 {row['f1']:.3f}  n {row['support']}"
        for row in report["per_class"]
    ]
    lines += [f"  warning: {w}" for w in report.get("warnings", [])]
    return "\n".join(lines)
