"""Classification evaluation against scikit-learn on the same inputs, through the catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    top_k_accuracy_score,
)

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.evaluate.classification import (
    ECE_BINS,
    evaluate_classification,
    is_classification_model,
)
from visionlens_jlab.records.batches import CLASSIFICATION_SCHEMA, SAMPLE_SCHEMA, Batch
from visionlens_jlab.records.report import IngestReport

CLASSES = [f"k{i}" for i in range(9)]


class LabelsSource:
    """Images with image-level labels (ground truth), or a model's labels (predictions)."""

    def __init__(self, n: int, rows: list[dict[str, Any]], predictions: bool = False) -> None:
        self.format = "folders"
        self.source = "/data"
        self.media_root = "/data"
        self.json_checked = False
        self.report = IngestReport()
        self._n, self._rows, self._predictions = n, rows, predictions

    def categories(self) -> list[tuple[Any, ...]]:
        return [(c, None, i + 1) for i, c in enumerate(CLASSES[:7])]  # two only in predictions

    def batches(self) -> Iterator[Batch]:
        labels = pa.Table.from_pylist(self._rows, schema=CLASSIFICATION_SCHEMA)
        if self._predictions:
            yield Batch(classifications=labels)
            return
        samples = pa.Table.from_pylist(
            [
                {
                    "sample_index": i,
                    "file_name": f"{i}.jpg",
                    "location": f"/data/{i}.jpg",
                    "width": 32,
                    "height": 32,
                    "split": None,
                    "source_image_id": str(i),
                    "fields": None,
                }  # fmt: skip
                for i in range(self._n)
            ],
            schema=SAMPLE_SCHEMA,
        )
        yield Batch(samples, None, labels)


def classification_data(seed: int, n: int = 400) -> tuple[list[dict], list[dict], dict[str, Any]]:
    """``n`` random images of 7 classes: ground-truth labels (some images with two: left out),
    a model's labels with scores and (mostly) per-class scores, some images without a
    prediction, one prediction for an unknown image; and what scikit-learn is given."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 7, n)
    gt, pred = [], []
    expect: dict[str, Any] = {"true": [], "pred": [], "scores": [], "conf": []}
    for i in range(n):
        gt.append({"sample_index": i, "label": CLASSES[truth[i]]})
        if i % 50 == 1:  # multi-label image: left out
            gt.append({"sample_index": i, "label": CLASSES[(truth[i] + 1) % 7]})
        if i % 40 == 3:  # no prediction: left out
            continue
        logits = rng.normal(0, 1, len(CLASSES))
        logits[truth[i]] += rng.choice([0.0, 1.5, 3.0])
        probs = np.round(np.exp(logits) / np.exp(logits).sum(), 3)  # rounding makes ties
        best = int(np.argmax(probs[::-1]))  # ties: the later class, as sklearn ranks
        label = CLASSES[len(CLASSES) - 1 - best]
        with_scores = i % 7 != 0
        scores = dict(zip(CLASSES, probs.tolist(), strict=True)) if with_scores else None
        pred.append({"image_ref": str(i), "label": label, "score": float(probs.max()),
                     "scores": json.dumps(scores) if scores else None})  # fmt: skip
        if i % 50 != 1:
            expect["true"].append(CLASSES[truth[i]])
            expect["pred"].append(label)
            expect["conf"].append(float(probs.max()))
            expect["scores"].append(probs if with_scores else None)
    pred.append({"image_ref": str(n + 1), "label": "k1", "score": 0.5, "scores": None})
    return gt, pred, expect


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path)
    yield cat
    cat.close()


@pytest.mark.parametrize("seed", [0, 1])
def test_classification_equals_scikit_learn(catalog, seed):
    gt, pred, want = classification_data(seed)
    write_dataset(catalog, "pics", LabelsSource(402, gt))  # 2 unlabelled images
    write_predictions(catalog, "pics", "clf", LabelsSource(0, pred, predictions=True))
    assert is_classification_model(catalog, "pics", "clf")
    out = evaluate_classification(catalog, "pics", "clf")
    y_true, y_pred = want["true"], want["pred"]
    assert out["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    labels = out["confusion"]["labels"]
    assert labels == CLASSES  # the dataset's order, then the classes only predictions name
    np.testing.assert_array_equal(
        out["confusion"]["matrix"], confusion_matrix(y_true, y_pred, labels=labels)
    )
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    rows = {row["class"]: row for row in out["per_class"]}
    for i, name in enumerate(labels):
        if name in rows:
            got = rows[name]
            assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx(
                (p[i], r[i], f[i], s[i]), abs=1e-12
            )
        else:
            assert s[i] == 0
    scored = [i for i, sc in enumerate(want["scores"]) if sc is not None]
    top5 = top_k_accuracy_score(
        [y_true[i] for i in scored], np.array([want["scores"][i] for i in scored]), k=5,
        labels=sorted(CLASSES),
    )  # fmt: skip
    assert out["top5"] == pytest.approx(top5, abs=1e-12) and out["top_k_images"] == len(scored)
    top1 = top_k_accuracy_score(
        [y_true[i] for i in scored], np.array([want["scores"][i] for i in scored]), k=1,
        labels=sorted(CLASSES),
    )  # fmt: skip
    assert top1 == accuracy_score([y_true[i] for i in scored], [y_pred[i] for i in scored])
    # ECE from sklearn's calibration_curve bins (the same binning), weighted by bin counts
    conf = np.array(want["conf"])
    correct = np.array(y_true) == np.array(y_pred)
    prob_true, prob_pred = calibration_curve(correct, conf, n_bins=ECE_BINS)
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, ECE_BINS + 1)[1:-1], conf))
    counts = counts[counts > 0]
    ece = float(np.sum(counts / counts.sum() * np.abs(prob_true - prob_pred)))
    assert out["calibration"]["ece"] == pytest.approx(ece, abs=1e-12) and ece > 0
    assert out["counts"] == {
        "images": len(y_true), "multi_label": 8, "unpredicted": 10, "unlabelled": 1,
    }  # fmt: skip
    assert len(out["warnings"]) == 3
