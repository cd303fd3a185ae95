"""The evaluation deltas of a diff (``diff_versions(..., model=M)``, issue #28): a model's
predictions evaluated against the labels as they were at two versions. The reference is
pycocotools run on the rows taken from the catalog by hand at each snapshot (ground truth
relabelled, deleted, moved and added, predictions deleted and moved between them); VOC
through a restore and ``evaluate_model``; a model with no predictions at a version, or
none at all, is refused with a sentence."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.catalog_fixtures import PredictionRowsSource, RowsSource
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.evaluate import evaluate_model

from .evaluate_fixtures import pycocotools_eval
from .test_edits_server import cli, first_cat, write_toy

CLASSES = ["cat", "dog", "person", "car"]
N_IMAGES = 40
W, H = 640, 480


def _box(rnd: random.Random) -> tuple[float, float, float, float]:
    w, h = rnd.uniform(8, 200), rnd.uniform(8, 200)
    return rnd.uniform(0, W - w), rnd.uniform(0, H - h), w, h


def detection_rows(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """Samples, ground truth and predictions (jittered copies of most truth boxes, some of
    another class, and one spurious box per image; distinct scores)."""
    rnd = random.Random(seed)
    samples = [
        {"file_name": f"{i}.jpg", "width": W, "height": H, "split": "val",
         "source_image_id": str(i + 1), "fields": None}
        for i in range(N_IMAGES)
    ]  # fmt: skip
    truth, predicted = [], []
    for i in range(N_IMAGES):
        for _ in range(rnd.randint(1, 5)):
            x, y, w, h = _box(rnd)
            label = rnd.choice(CLASSES)
            truth.append({"sample_index": i, "label": label, "x": x, "y": y, "w": w, "h": h,
                          "area": w * h, "iscrowd": False, "difficult": False})  # fmt: skip
            if rnd.random() < 0.8:
                guess = label if rnd.random() < 0.85 else rnd.choice(CLASSES)
                dx, dy = rnd.uniform(-0.15, 0.15) * w, rnd.uniform(-0.15, 0.15) * h
                predicted.append({"image_ref": str(i + 1), "label": guess,
                                  "x": max(0.0, x + dx), "y": max(0.0, y + dy), "w": w, "h": h,
                                  "score": rnd.random()})  # fmt: skip
        x, y, w, h = _box(rnd)
        predicted.append({"image_ref": str(i + 1), "label": rnd.choice(CLASSES), "x": x,
                          "y": y, "w": w, "h": h, "score": rnd.random()})  # fmt: skip
    return samples, truth, predicted


@pytest.fixture
def catalog(tmp_path: Path) -> Any:
    samples, truth, predicted = detection_rows(3)
    cat = Catalog(tmp_path)
    write_dataset(cat, "det", RowsSource(samples, truth, CLASSES))
    write_predictions(cat, "det", "m1", PredictionRowsSource(predicted))
    yield cat
    cat.close()


def labels_now(cat: Catalog) -> list[tuple[Any, ...]]:
    """Every object of ``det`` as it is now, in id order (the export by hand)."""
    with cat.cursor() as cur:
        return cur.execute(
            "SELECT a.ann_id, a.sample_id, a.source, a.label, a.x, a.y, a.w, a.h, "
            "COALESCE(a.area, a.w * a.h), a.iscrowd, a.score FROM annotations a "
            "JOIN datasets d USING (dataset_id) WHERE d.name = 'det' ORDER BY a.ann_id"
        ).fetchall()


def reference(cat: Catalog, boxes: list[tuple[Any, ...]]) -> dict[str, Any]:
    """pycocotools on ``boxes``: the 12 stats, and per class AP, AR100 and the counts at
    IoU 0.5 (area all, 100 detections) from its per-image results."""
    with cat.cursor() as cur:
        images = [r[0] for r in cur.execute("SELECT sample_id FROM samples ORDER BY 1").fetchall()]
    category = {label: k + 1 for k, label in enumerate(CLASSES)}
    gt = {
        "images": [{"id": i, "width": W, "height": H} for i in images],
        "categories": [{"id": c, "name": n} for n, c in category.items()],
        "annotations": [
            {"id": b[0], "image_id": b[1], "category_id": category[b[3]],
             "bbox": list(b[4:8]), "area": b[8], "iscrowd": int(bool(b[9]))}
            for b in boxes if b[2] == "ground_truth"
        ],
    }  # fmt: skip
    dets = [
        {"image_id": b[1], "category_id": category[b[3]], "bbox": list(b[4:8]), "score": b[10]}
        for b in boxes
        if b[2] == "m1"
    ]
    ev = pycocotools_eval(gt, dets)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for e in ev.evalImgs:
        if e is None or e["aRng"] != [0, 1e10]:
            continue
        name = CLASSES[e["category_id"] - 1]
        matched, ignored = e["dtMatches"][0] > 0, e["dtIgnore"][0].astype(bool)
        counts[name]["tp"] += int((matched & ~ignored).sum())
        counts[name]["fp"] += int((~matched & ~ignored).sum())
        gt_free = (e["gtMatches"][0] == 0) & ~e["gtIgnore"].astype(bool)
        counts[name]["fn"] += int(gt_free.sum())
    per_class = {}
    for k, name in enumerate(CLASSES):
        p = ev.eval["precision"][:, :, k, 0, -1]
        r = ev.eval["recall"][:, k, 0, -1]
        per_class[name] = {
            "AP": float(np.mean(p[p > -1])) if (p > -1).any() else None,
            "AR100": float(np.mean(r[r > -1])) if (r > -1).any() else None,
            **counts[name],
        }
    names = ("AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge",
             "AR1", "AR10", "AR100", "ARsmall", "ARmedium", "ARlarge")  # fmt: skip
    stats = {n: (None if v < 0 else float(v)) for n, v in zip(names, ev.stats, strict=True)}
    return {"stats": stats, "per_class": per_class}


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def agrees(side: dict[str, Any], by_class: dict[str, Any], which: str, ref: dict[str, Any]) -> None:
    """One side of the diff's evaluation is pycocotools' on the labels taken by hand."""
    for name, value in ref["stats"].items():
        assert close(side[name], value), (which, name, side[name], value)
    for name, want in ref["per_class"].items():
        got = by_class[name][which] if name in by_class else None
        if got is None:  # a class evaluated on neither side
            assert want["AP"] is None and want["tp"] == want["fp"] == want["fn"] == 0
            continue
        for key, value in want.items():
            assert close(got[key], value), (which, name, key, got[key], value)


def deltas_agree(evaluation: dict[str, Any], start: dict[str, Any], end: dict[str, Any]) -> None:
    """The deltas are pycocotools' numbers on the later labels minus the earlier ones'."""
    for name in start["stats"]:
        a, b = start["stats"][name], end["stats"][name]
        want = None if a is None or b is None else b - a
        assert close(evaluation["delta"][name], want), name
    for name, row in evaluation["by_class"].items():
        for key in ("AP", "AR100", "tp", "fp", "fn"):
            a, b = start["per_class"][name][key], end["per_class"][name][key]
            want = None if a is None or b is None else b - a
            assert close(row["delta"][key], want), (name, key)


def ids(cat: Catalog, source: str) -> list[int]:
    return [b[0] for b in labels_now(cat) if b[2] == source]


def test_deltas_per_class_equal_pycocotools_on_the_two_label_states(catalog: Catalog) -> None:
    rnd = random.Random(7)
    before = edits.snapshot(catalog, "det", "as ingested", "t")
    at_v1 = labels_now(catalog)
    truth, predicted = ids(catalog, "ground_truth"), ids(catalog, "m1")
    rnd.shuffle(truth)
    label = {b[0]: b[3] for b in at_v1}
    relabelled = [
        {
            "op": "relabel",
            "annotation_id": a,
            "label": rnd.choice([c for c in CLASSES if c != label[a]]),
        }
        for a in truth[:8]
    ]
    moved = [{"op": "move", "annotation_id": a, "bbox": list(_box(rnd))} for a in truth[8:14]]
    sample = at_v1[0][1]
    edits.apply_edits(catalog, "det", [
        *relabelled, *moved,
        {"op": "delete", "annotation_ids": truth[14:20]},
        {"op": "add", "sample_id": sample, "label": "dog", "bbox": [5, 5, 60, 40]},
        {"op": "accept", "annotation_id": predicted[0], "label": "car"},
        {"op": "delete", "annotation_ids": predicted[1:3]},  # a prediction edited: versioned
        {"op": "move", "annotation_id": predicted[3], "bbox": [1, 1, 30, 30]},
    ], "t")  # fmt: skip
    edits.apply_edits(catalog, "det", [{"op": "delete", "annotation_id": truth[20]}], "t")
    edits.undo(catalog, "det", "t")
    after = edits.snapshot(catalog, "det", "fixed", "t")
    at_v2 = labels_now(catalog)
    others = [a for a in truth[21:30] if label[a] != "person"]
    later = [{"op": "relabel", "annotation_ids": others, "label": "person"}]
    edits.apply_edits(catalog, "det", later, "t")  # version 2 is no longer the current labels
    ref1, ref2, ref_now = (reference(catalog, b) for b in (at_v1, at_v2, labels_now(catalog)))
    assert ref1["stats"]["AP"] != ref2["stats"]["AP"]  # the edits changed the numbers

    diff = edits.diff_versions(catalog, "det", before["version"], after["version"], model="m1")
    evaluation = diff["evaluation"]
    assert (evaluation["model"], evaluation["method"], evaluation["iou"]) == ("m1", "coco", 0.5)
    agrees(evaluation["from"], evaluation["by_class"], "from", ref1)
    agrees(evaluation["to"], evaluation["by_class"], "to", ref2)
    deltas_agree(evaluation, ref1, ref2)
    assert diff["relabelled"] > 0 and diff["moved"] > 0 and diff["removed"] > 0  # unchanged

    back = edits.diff_versions(catalog, "det", 2, "current", model="m1")["evaluation"]
    agrees(back["from"], back["by_class"], "from", ref2)
    agrees(back["to"], back["by_class"], "to", ref_now)
    deltas_agree(back, ref2, ref_now)
    reverse = edits.diff_versions(catalog, "det", "current", 1, model="m1")["evaluation"]
    deltas_agree(reverse, ref_now, ref1)

    # VOC: the version's side is what evaluate_model answers once the labels are restored
    voc = edits.diff_versions(catalog, "det", 1, "current", model="m1", protocol="voc")
    now = evaluate_model(catalog, "det", "m1", protocol="voc", store=False)
    edits.restore_version(catalog, "det", 1, "t")
    then = evaluate_model(catalog, "det", "m1", protocol="voc", store=False)
    assert close(voc["evaluation"]["from"]["mAP"], then.stats["mAP"])
    assert close(voc["evaluation"]["to"]["mAP"], now.stats["mAP"])
    for row in then.per_class.to_dict(orient="records"):
        side = voc["evaluation"]["by_class"][row["class"]]["from"]
        assert close(side["AP"], row["AP"]) and side["tp"] == row["tp"], row["class"]


def test_same_labels_zero_deltas_and_the_refusals(catalog: Catalog) -> None:
    edits.snapshot(catalog, "det", "", "t")
    ann = ids(catalog, "ground_truth")[0]
    edits.apply_edits(catalog, "det", [{"op": "tag", "annotation_id": ann, "tag": "x"}], "t")
    same = edits.diff_versions(catalog, "det", 1, "current", model="m1")  # tags only
    assert same["samples_changed"] == 1
    evaluation = same["evaluation"]
    assert evaluation["from"] == evaluation["to"]
    assert all(v in (0, None) for v in evaluation["delta"].values())
    assert evaluation["from"]["AP"] == reference(catalog, labels_now(catalog))["stats"]["AP"]
    assert "evaluation" not in edits.diff_versions(catalog, "det", 1, "current")
    with pytest.raises(CatalogError, match=r"no model 'nope' on this dataset.*m1"):
        edits.diff_versions(catalog, "det", 1, "current", model="nope")
    with pytest.raises(CatalogError, match="unknown protocol"):
        edits.diff_versions(catalog, "det", 1, "current", model="m1", protocol="x")
    with pytest.raises(CatalogError, match="iou must be"):
        edits.diff_versions(catalog, "det", 1, "current", model="m1", iou=1.5)
    _, _, predicted = detection_rows(4)
    write_predictions(catalog, "det", "m1", PredictionRowsSource(predicted))  # again
    with pytest.raises(CatalogError, match="imported after version 1"):
        edits.diff_versions(catalog, "det", 1, "current", model="m1")
    edits.snapshot(catalog, "det", "after the import", "t")
    assert edits.diff_versions(catalog, "det", 2, "current", model="m1")["evaluation"]


def test_cli_diff_with_a_model(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Catalog(data) as cat:
        write_toy(cat, "toy")
        ann = first_cat(cat, "toy")
    cli(data, "snapshot", "toy")
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "relabel", "annotation_id": ann, "label": "dog"}]))
    cli(data, "edit", "toy", "--ops", str(ops))
    plain = cli(data, "diff", "toy", "1", "current")
    assert "evaluation" not in plain and plain["relabelled"] == 1  # no model: no evaluation
    diff = cli(data, "diff", "toy", "1", "current", "--model", "m1")
    assert {k: diff[k] for k in plain} == plain
    evaluation = diff["evaluation"]
    assert evaluation["method"] == "coco" and set(evaluation["by_class"]) >= {"cat", "dog"}
    cat_delta = evaluation["by_class"]["cat"]["delta"]
    assert cat_delta["num_gt"] == -1 and evaluation["by_class"]["dog"]["delta"]["num_gt"] == 1
    voc = cli(data, "diff", "toy", "current", "1", "--model", "m1", "--protocol", "voc")
    assert voc["evaluation"]["method"] == "voc" and "mAP" in voc["evaluation"]["delta"]
    assert voc["evaluation"]["by_class"]["cat"]["delta"]["num_gt"] == 1  # current -> 1
    failed = cli(data, "diff", "toy", "1", "current", "--model", "nope", code=2)
    assert "no model 'nope' on this dataset" in failed["errors"][0]["message"]
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "diff", "toy", "1", "current",
         "--model", "m1", "--data-dir", str(data)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert "COCO evaluation of 'm1' (IoU 0.5): AP " in done.stdout
    assert "  cat: AP " in done.stdout


async def test_rest_diff_with_a_model(api: Any, vl_app: Any, http_server_client: Any) -> None:
    write_toy(vl_app.catalog, "toy")
    ann = first_cat(vl_app.catalog, "toy")
    status, _ = await api("POST", "datasets/toy/versions", {"message": "start"})
    assert status == 200
    ops = [{"op": "delete", "annotation_id": ann}]
    status, _ = await api("POST", "datasets/toy/edits", {"operations": ops})
    assert status == 200
    path = "datasets/toy/versions/diff"
    status, diff = await api("GET", path, params={"from": "1", "model": "m1"})
    assert status == 200 and diff["removed"] == 1 and diff["to"] == "current"
    evaluation = diff["evaluation"]
    assert evaluation["by_class"]["cat"]["delta"]["num_gt"] == -1
    assert evaluation["delta"]["fn"] == evaluation["to"]["fn"] - evaluation["from"]["fn"]
    status, voc = await api(
        "GET", path, params={"from": "current", "to": "1", "model": "m1", "protocol": "voc",
                             "iou": "0.3"}
    )  # fmt: skip
    assert status == 200 and (voc["evaluation"]["method"], voc["evaluation"]["iou"]) == ("voc", 0.3)
    for params, message in (
        ({"model": "nope"}, "no model 'nope' on this dataset to evaluate (its models: m1)"),
        ({"model": "m1", "iou": "x"}, "query argument 'iou' must be a number"),
        ({"model": "m1", "protocol": "x"}, "unknown protocol"),
    ):
        status, refused = await api("GET", path, params={"from": "1", **params})
        assert status == 400 and message in refused["message"], refused
