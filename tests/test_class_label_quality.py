"""Label quality of image-level labels: cleanlab's self-confidence and its
``predicted_neq_given`` issues on the same inputs, through the catalog; and the quality view on
a real Jupyter server: a classification model is offered when it has per-class scores (its
issue row opens the grid of exactly the flagged images, worst first), and one with only a top
label is offered with the reason it cannot be scored, and refused with it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores

from visionlens_jlab.catalog import Catalog, CatalogError, NotFoundError
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.label_quality.classification import run_class_label_quality

from .test_cli_server_routing import run_cli
from .test_evaluate_classification import CLASSES, LabelsSource

K = 7  # the classes of the ground truth (LabelsSource declares seven)


def label_quality_data(
    seed: int, n: int = 300
) -> tuple[list[dict], list[dict], list[dict], np.ndarray, np.ndarray]:
    """Ground truth (some images mislabelled: the model disagrees), a model's full per-class
    probabilities, the same model's top labels only; and the given labels and probabilities
    cleanlab is given."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, K, n)
    given = np.where(rng.random(n) < 0.15, rng.integers(0, K, n), truth)  # 15 % relabelled
    logits = rng.normal(0, 1, (n, K))
    logits[np.arange(n), truth] += rng.choice([0.5, 2.0, 4.0], n)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    gt = [{"sample_index": i, "label": CLASSES[given[i]]} for i in range(n)]
    full, top = [], []
    for i in range(n):
        best = int(np.argmax(probs[i]))
        scores = {CLASSES[k]: float(probs[i, k]) for k in range(K)}
        full.append({"image_ref": str(i), "label": CLASSES[best], "score": float(probs[i, best]),
                     "scores": json.dumps(scores)})  # fmt: skip
        top.append({"image_ref": str(i), "label": CLASSES[best], "score": None, "scores": None})
    return gt, full, top, given, probs


@pytest.fixture
def pictures(tmp_path: Any) -> Any:
    catalog = Catalog(tmp_path / "catalog")
    gt, full, top, given, probs = label_quality_data(3)
    write_dataset(catalog, "pics", LabelsSource(len(gt), gt))
    write_predictions(catalog, "pics", "clf", LabelsSource(0, full, predictions=True))
    write_predictions(catalog, "pics", "top1", LabelsSource(0, top, predictions=True))
    yield catalog, given, probs
    catalog.close()


def test_scores_and_issues_equal_cleanlabs(pictures: Any) -> None:
    catalog, given, probs = pictures
    out = run_class_label_quality(catalog, "pics", "clf")
    by_id = {row["sample_id"]: row for row in out["images"]}
    with catalog.cursor() as cur:
        ids = [
            r[0] for r in cur.execute("SELECT sample_id FROM samples ORDER BY sample_id").fetchall()
        ]
    got = np.array([by_id[s]["score"] for s in ids])
    want = get_label_quality_scores(given, probs, method="self_confidence")
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    issues = find_label_issues(given, probs, filter_by="predicted_neq_given")
    flagged = np.array([by_id[s]["flagged"] for s in ids])
    np.testing.assert_array_equal(flagged, issues)
    assert 0 < out["summary"]["flagged"]["mislabeled"] == int(issues.sum()) < len(ids)
    scores = [row["score"] for row in out["images"]]
    assert scores == sorted(scores)  # worst first

    with pytest.raises(CatalogError, match="only a top label per image"):
        run_class_label_quality(catalog, "pics", "top1")
    with pytest.raises(NotFoundError, match="no image-level labels"):
        run_class_label_quality(catalog, "pics", "nope")


async def test_quality_view_offers_what_it_can_score(
    api: Any, vl_app: Any, vl_data_dir: Any, http_server_client: Any, wait_job: Any
) -> None:
    gt, full, top, given, probs = label_quality_data(4, 120)
    write_dataset(vl_app.catalog, "pics", LabelsSource(len(gt), gt))
    write_predictions(vl_app.catalog, "pics", "clf", LabelsSource(0, full, predictions=True))
    write_predictions(vl_app.catalog, "pics", "top1", LabelsSource(0, top, predictions=True))
    status, view = await api("GET", "datasets/pics/quality")
    assert status == 200 and view["label"] is None
    models = {m["name"]: m for m in view["models"]}
    assert models["clf"] == {"name": "clf", "kind": "classification", "scorable": True,
                             "reason": None}  # fmt: skip
    assert models["top1"]["scorable"] is False and "per-class scores" in models["top1"]["reason"]

    status, answer = await api("POST", "datasets/pics/label-quality", {"model": "top1"})
    assert status == 400 and "only a top label per image" in answer["message"], answer
    status, answer = await api(
        "POST", "datasets/pics/label-quality", {"model": "clf", "thresholds": {"swapped": 0.2}}
    )
    assert status == 400 and "takes no 'thresholds'" in answer["message"]
    status, answer = await api("POST", "datasets/pics/label-quality", {"model": "clf"})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job

    status, view = await api("GET", "datasets/pics/quality")
    assert view["scored"] == ["clf"] and view["model"] == "clf"
    label = view["label"]
    assert label["kind"] == "classification" and label["images"] == len(gt)
    (row,) = label["issues"]
    issues = find_label_issues(given, probs, filter_by="predicted_neq_given")
    assert row["issue"] == "mislabeled" and row["count"] == int(issues.sum()) > 0
    body = {"filter": row["filter"], "sort": row["sort"], "order": row["order"], "limit": 1000}
    status, page = await api("POST", "datasets/pics/samples/query", body)
    assert status == 200, page
    assert page["total"] == row["count"] and page["code"] == row["code"]
    # the members are the images cleanlab flags, worst (lowest self-confidence) first
    conf = get_label_quality_scores(given, probs, method="self_confidence")
    with vl_app.catalog.cursor() as cur:
        index = dict(cur.execute("SELECT sample_id, file_name FROM samples").fetchall())
    got = [int(index[s["sample_id"]].split(".")[0]) for s in page["samples"]]
    assert sorted(got) == np.flatnonzero(issues).tolist()
    assert [conf[i] for i in got] == sorted(conf[i] for i in got)

    # the stored result (GET) and the CLI (through this server) give the same images
    status, stored = await api("GET", "datasets/pics/label-quality", params={"model": "clf"})
    assert status == 200 and stored["boxes"] == [] and len(stored["images"]) == len(gt)
    by_file = {s: int(index[s].split(".")[0]) for s in index}
    assert [r["score"] for r in stored["images"]] == pytest.approx(
        sorted(conf[by_file[r["sample_id"]]] for r in stored["images"])
    )
    code, out, err = await run_cli(
        "label-quality", "pics", "--model", "clf", "--json", data_dir=vl_data_dir
    )
    assert code == 0, err
    printed = json.loads(out)
    assert printed["boxes"] == [] and printed["images"] == stored["images"]
