"""Calibration of VLM attributes and their gating in the blind-spot finder.

Kappa against scikit-learn's on planted tables; the calibration of planted answers (written
through the VLM job's own write path, so nothing depends on a random model) against the
measured brightness and the user's labels; and the finder, which slices by a planted VLM
attribute only when it is calibrated usable and asked to, its findings carrying the kappa.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from visionlens_jlab import features
from visionlens_jlab.blindspots import BlindSpotEngine, EngineOptions, compute_attributes
from visionlens_jlab.blindspots.api import find_blind_spots
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo
from visionlens_jlab.evaluate import evaluate_model
from visionlens_jlab.predict.calibration import MIN_PAIRS, calibration, cohen_kappa
from visionlens_jlab.predict.vlm_labels import DEFAULT_QUESTIONS, save_labels
from visionlens_jlab.search.captions import append_texts, start_texts

MODEL = "simulated-model"
IMAGES = 300
LIGHTING, OCCLUSION = DEFAULT_QUESTIONS[0], DEFAULT_QUESTIONS[2]
FIELD = "computed.vlm_occlusion"


def sklearn_kappa(a: list[str], b: list[str]) -> float:
    return float(cohen_kappa_score(a, b))


def test_kappa_equals_sklearn_on_planted_tables() -> None:
    rng = np.random.default_rng(0)
    answers = ["bright", "dim", "dark", "unknown"]
    for n in (10, 57, 400):
        a = list(rng.choice(answers, n))
        b = [x if rng.random() < 0.6 else str(rng.choice(answers)) for x in a]
        assert cohen_kappa(a, b) == pytest.approx(sklearn_kappa(a, b), abs=1e-12)
    # perfect agreement is 1; raters that ignore each other are ~0
    same = list(rng.choice(answers, 200))
    assert cohen_kappa(same, same) == 1.0
    x, y = list(rng.choice(answers, 20_000)), list(rng.choice(answers, 20_000))
    assert abs(cohen_kappa(x, y) or 1.0) < 0.02
    assert cohen_kappa(x, y) == pytest.approx(sklearn_kappa(x, y), abs=1e-12)
    # one rater with one answer throughout: chance explains all agreement (0, as sklearn)
    one = ["dim"] * 30
    mixed = ["dim"] * 20 + ["dark"] * 10
    assert cohen_kappa(one, mixed) == pytest.approx(sklearn_kappa(one, mixed)) == 0.0
    # both with the same single answer: undefined (sklearn: NaN), here None, no crash
    with pytest.warns(UserWarning):  # sklearn's warnings about the one label
        assert math.isnan(sklearn_kappa(one, one))
    assert cohen_kappa(one, one) is None
    assert cohen_kappa([], []) is None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    generate_demo(tmp / "src", images=IMAGES, seed=0, workers=1)
    return tmp / "src"


@pytest.fixture
def catalog(tmp_path: Path, demo: Path) -> Iterator[Catalog]:
    from visionlens_jlab.demo import DemoFiles

    features.load()
    cat = Catalog(tmp_path / "data")
    ingest_demo(cat, DemoFiles.at(demo), "demo")
    evaluate_model(cat, "demo", MODEL)
    compute_attributes(cat, "demo", str(tmp_path / "thumbs"), in_process=True)
    yield cat
    cat.close()


def plant(catalog: Catalog, answers: dict[str, dict[int, str]]) -> None:
    """Store ``{question key: {sample_id: answer}}`` as a VLM run's answers would be."""
    questions = [q for q in DEFAULT_QUESTIONS if q.key in answers]
    params = {"model": "planted", "task": "vlm", "questions": [q.to_dict() for q in questions]}
    fields = [q.field for q in questions]
    ids = sorted(next(iter(answers.values())))
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "demo")
    start_texts(catalog, dataset_id, fields, "vlm:planted", params)
    append_texts(
        catalog, dataset_id, ids, {q.field: [answers[q.key][i] for i in ids] for q in questions}
    )


def image_misses(catalog: Catalog) -> dict[int, float]:
    """``{sample_id: share of its ground-truth objects the model missed}``."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT a.sample_id, avg(CASE WHEN e.status = 'fn' THEN 1 ELSE 0 END) "
            "FROM annotations a JOIN box_evaluations e ON e.ann_id = a.ann_id "
            "WHERE a.source = 'ground_truth' AND e.status IN ('tp', 'fn') GROUP BY 1"
        ).fetchall()
        every = [r[0] for r in cur.execute("SELECT sample_id FROM samples").fetchall()]
    misses = {int(s): float(m) for s, m in rows}
    return {int(s): misses.get(int(s), 0.0) for s in every}


def test_calibration_against_the_measured_brightness_and_the_users_labels(
    catalog: Catalog,
) -> None:
    with catalog.cursor() as cur:
        brightness = dict(
            cur.execute("SELECT sample_id, brightness FROM sample_attributes").fetchall()
        )
    from visionlens_jlab.predict.calibration import MEASURED

    binned = {int(s): MEASURED["lighting"].answer(float(b)) for s, b in brightness.items()}
    ids = sorted(binned)
    # lighting: agrees with the measured bins except on every fourth image
    flip = {"bright": "dark", "dim": "bright", "dark": "dim"}
    lighting = {s: (flip[binned[s]] if k % 4 == 0 else binned[s]) for k, s in enumerate(ids)}
    occlusion = {s: ("heavy" if k % 3 == 0 else "none") for k, s in enumerate(ids)}
    plant(catalog, {"lighting": lighting, "occlusion": occlusion})
    labelled = ids[:40]
    labels = [(s, "occlusion", occlusion[s]) for s in labelled[:30]]  # agree on 30 of 40
    labels += [(s, "occlusion", "partial") for s in labelled[30:]]
    labels += [(s, "lighting", binned[s]) for s in labelled[: MIN_PAIRS - 1]]  # too few
    assert save_labels(catalog, "demo", labels) == len(labels)
    result = calibration(catalog, "demo", threshold=0.6)
    rows = {r["question"]: r for r in result["questions"]}
    assert set(rows) == {"lighting", "occlusion"}
    light = rows["lighting"]
    expected = sklearn_kappa([lighting[s] for s in ids], [binned[s] for s in ids])
    assert light["kappa_measured"] == pytest.approx(expected, abs=1e-6)
    assert (light["n_measured"], light["n_labels"], light["kappa_labels"]) == (IMAGES, 9, None)
    assert light["usable"] is (expected >= 0.6) and light["kappa"] == light["kappa_measured"]
    occ = rows["occlusion"]
    expected = sklearn_kappa(
        [occlusion[s] for s in labelled], [lab[2] for lab in labels if lab[1] == "occlusion"]
    )
    assert occ["kappa_labels"] == pytest.approx(expected, abs=1e-6)
    assert (occ["kappa_measured"], occ["n_labels"], occ["measured"]) == (None, 40, None)
    assert occ["usable"] is (expected >= 0.6)
    # a later label of a sample replaces its earlier one: now all agree, kappa 1
    save_labels(catalog, "demo", [(s, "occlusion", occlusion[s]) for s in labelled[30:]])
    occ = {r["question"]: r for r in calibration(catalog, "demo")["questions"]}["occlusion"]
    assert (occ["kappa_labels"], occ["n_labels"], occ["usable"]) == (1.0, 40, True)
    with pytest.raises(ValueError, match="not samples of dataset"):
        save_labels(catalog, "demo", [(10**9, "occlusion", "none")])


def test_the_finder_slices_by_a_vlm_attribute_only_when_usable_and_enabled(
    catalog: Catalog,
) -> None:
    misses = image_misses(catalog)
    ids = sorted(misses)
    cut = float(np.quantile(list(misses.values()), 0.7))
    # the planted attribute is where the model misses most: the finder must see it if used
    occlusion = {s: ("heavy" if misses[s] > cut else "none") for s in ids}
    plant(catalog, {"occlusion": occlusion})
    heavy = [s for s in ids if occlusion[s] == "heavy"][:10]
    light = [s for s in ids if occlusion[s] == "none"][:10]
    agree = [(s, "occlusion", occlusion[s]) for s in heavy + light]
    disagree = [(s, "occlusion", "none") for s in heavy] + [
        (s, "occlusion", "heavy") for s in light
    ]

    def attributes(threshold: float | None) -> set[str]:
        options = EngineOptions(min_n=20, vlm_threshold=threshold)
        return {a.name for a in BlindSpotEngine.open(catalog, "demo", MODEL, options).attributes}

    save_labels(catalog, "demo", disagree)  # kappa -1: below any threshold
    assert FIELD not in attributes(0.6)
    save_labels(catalog, "demo", agree)  # kappa 1
    assert FIELD in attributes(0.6)
    assert FIELD not in attributes(None)  # the setting off: never
    result = find_blind_spots(catalog, "demo", MODEL, min_n=20, vlm_threshold=0.6, store=False)
    on_vlm = [f for f in result["findings"] if any(p["attribute"] == FIELD for p in f["slice"])]
    assert on_vlm, [f["slice"] for f in result["findings"]]
    assert all(f["vlm_kappa"] == {FIELD: 1.0} for f in on_vlm)
    assert not any("vlm_kappa" in f for f in result["findings"] if f not in on_vlm)
    off = find_blind_spots(catalog, "demo", MODEL, min_n=20, store=False)
    assert not any(FIELD in t["slice"] for t in off["tests"])
