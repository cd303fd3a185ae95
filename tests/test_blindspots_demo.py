"""The engine on the demo: planted blind spots found, controls not, nothing on a clean model.

Ground truth is the generator's ``blind_spots.json``. A planted spot counts as recovered by
a headline finding of the same metric (every finding is "worse") whose members cover the
planted slice (recall >= 0.5) and lie in it (precision >= 0.8) within the population the
spot speaks about: the union of its slice and its baseline (the occlusion spot, e.g., is
measured on medium/large objects of day and dusk images only; outside that the file says
nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.blindspots import (
    BlindSpotEngine,
    EngineOptions,
    compute_attributes,
    run_engine,
)
from visionlens_jlab.blindspots.ledger import SliceTest
from visionlens_jlab.blindspots.metrics import attribute_codes
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo
from visionlens_jlab.evaluate import evaluate_model

IMAGES = 1500  # ~5000 objects: enough power for every planted spot on each half
METRICS = {"recall": "recall", "confusion_rate": "confusion", "median_iou": "localisation",
           "fp_per_image": "fp_per_image", "ece": "calibration"}  # fmt: skip
CONTROLS = {"fields.weather", "fields.camera", "split", "measured.grayscale"}
SPEC_ATTRIBUTES = {
    "size": "object.size",
    "label": "object.class",
    "occluded": "attributes.occluded",
}


def _run(
    tmp: Path, seed: int, blind_spots: bool
) -> tuple[Catalog, BlindSpotEngine, dict[str, Any], dict[str, Any]]:
    files = generate_demo(tmp / "src", images=IMAGES, seed=seed, workers=1, blind_spots=blind_spots)
    catalog = Catalog(tmp / "data")
    ingest_demo(catalog, files, "demo")
    evaluate_model(catalog, "demo", "simulated-model")
    compute_attributes(catalog, "demo", str(tmp / "thumbs"), in_process=True)
    engine = BlindSpotEngine.open(catalog, "demo", "simulated-model", EngineOptions(seed=seed))
    result = run_engine(engine)
    truth = json.loads(files.blind_spots.read_text())
    return catalog, engine, result, truth


def _spec_mask(engine: BlindSpotEngine, metric_name: str, spec: dict[str, Any]) -> np.ndarray:
    metric = engine.metrics[metric_name]
    mask = np.ones(len(metric.y), dtype=bool)
    for section, prefix in (("image", "fields."), ("object", None), ("prediction", None)):
        for key, want in spec.get(section, {}).items():
            if section == "image":
                name, level = prefix + key, "image"
            elif section == "object":
                name, level = SPEC_ATTRIBUTES[key], "object"
            else:
                name, level = "prediction.class", "prediction"
            attr = engine.attribute(name, level)
            wanted = [str(w).lower() if isinstance(w, bool) else str(w)
                      for w in (want if isinstance(want, list) else [want])]  # fmt: skip
            codes = attribute_codes(metric, attr)
            allowed = [attr.values.index(w) for w in wanted if w in attr.values]
            if name == "attributes.occluded" and "false" in wanted:
                allowed.append(-1)  # the key is only written where true
            mask &= np.isin(codes, allowed)
    return mask


def _check_recovered(
    engine: BlindSpotEngine, result: dict[str, Any], truth: dict[str, Any]
) -> None:
    for spot in truth["blind_spots"]:
        metric = METRICS[spot["slice"]["metric"]]
        planted = _spec_mask(engine, metric, spot["slice"])
        scope = planted | _spec_mask(engine, metric, spot["baseline"])
        scores = []
        for f in result["findings"]:
            if f["metric"] != metric:
                continue
            test = engine.ledger.get(f["id"])
            assert test is not None
            inside = engine.inside(test)
            hit = (inside & planted).sum()
            precision = hit / max(1, (inside & scope).sum())
            recall = hit / max(1, planted.sum())
            scores.append((precision, recall, f["summary"]))
            if precision >= 0.8 and recall >= 0.5:
                break
        else:
            pytest.fail(f"{spot['id']} not recovered; {metric} findings: {scores}")


def _check_findings_are_sound(
    catalog: Catalog, engine: BlindSpotEngine, result: dict[str, Any]
) -> None:
    for f in result["findings"]:
        assert f["q"] < 0.05 and f["n"] >= 50
        assert not CONTROLS & {s["attribute"] for s in f["slice"]}, f["summary"]
        # the filter shows exactly the images of the slice's objects (confusion and
        # localisation count a subset of them: the objects some box landed on)
        test = engine.ledger.get(f["id"])
        assert test is not None
        if test.metric in ("confusion", "localisation"):
            test = SliceTest("recall", test.parts, test.discovery, test.confirmation)
        metric = engine.metrics[test.metric]
        images = set(engine.units.sample_id[metric.img[engine.inside(test)]].tolist())
        if all(a.split(".")[0] in ("fields", "measured", "split") for a, _ in test.parts):
            # an image slice is its images, with or without units of the metric
            keep = np.ones(len(engine.units.sample_id), dtype=bool)
            for a, v in test.parts:
                attr = engine.attribute(a, "image")
                keep &= attr.codes == attr.values.index(v)
            images = set(engine.units.sample_id[keep].tolist())
        shown = set(sample_ids(catalog, "demo", f["filter"]).to_pylist())
        assert shown == images, f["summary"]
        assert set(f["evidence"]) <= images and f["evidence"]
        lo, hi = f["ci"]
        assert lo <= f["effect"] <= hi
        assert f["python"] == (
            f"vl.dataset('demo').blind_spots(model='simulated-model').loc['{f['id']}']"
        )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_planted_blind_spots_are_found_and_controls_are_not(tmp_path: Path, seed: int) -> None:
    catalog, engine, result, truth = _run(tmp_path, seed, blind_spots=True)
    assert all(s["holds"] for s in truth["blind_spots"])
    _check_recovered(engine, result, truth)
    _check_findings_are_sound(catalog, engine, result)
    assert result["tested"] == len(engine.ledger) > 1000


@pytest.mark.slow
def test_a_model_without_blind_spots_gets_no_finding(tmp_path: Path) -> None:
    catalog, engine, result, truth = _run(tmp_path, 3, blind_spots=False)
    assert truth["blind_spots_enabled"] is False
    assert not any(s["holds"] for s in truth["blind_spots"])
    assert result["findings"] == [], [f["summary"] for f in result["findings"]]
    assert result["tested"] > 1000
