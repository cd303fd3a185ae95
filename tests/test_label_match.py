"""Which labels of a page meet the filter's label conditions: each object of a page filtered
by labels says so (``"match"``), so that a tile can draw only the labels the filter is about;
checked against the conditions themselves and the evaluation's own per-box rows."""

from __future__ import annotations

from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import samples_page
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo
from visionlens_jlab.evaluate import evaluate_model

MODEL = "simulated-model"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, str]:
    root = tmp_path_factory.mktemp("match")
    files = generate_demo(root / "src", images=80, seed=5, workers=1)
    catalog = Catalog(root / "data")
    ingest_demo(catalog, files, "demo")
    report = evaluate_model(catalog, "demo", MODEL)
    return catalog, report.key


def _objects(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for s in page["samples"] for a in s["annotations"]]


def test_no_label_condition_no_match_flag(demo: tuple[Catalog, str]) -> None:
    catalog, _ = demo
    for spec in ({}, {"sample": {"split": {"in": ["val"]}}}):
        objects = _objects(samples_page(catalog, "demo", spec, limit=50))
        assert objects and all("match" not in a for a in objects)


def test_match_is_the_label_conditions(demo: tuple[Catalog, str]) -> None:
    catalog, _ = demo
    spec = {
        "labels": [
            {"source": "ground_truth", "classes": ["circle"]},
            {"source": MODEL, "score": {"min": 0.8}},
        ]
    }
    page = samples_page(catalog, "demo", spec, limit=200)
    objects = _objects(page)
    assert objects
    for a in objects:
        wanted = (a["source"] == "ground_truth" and a["label"] == "circle") or (
            a["source"] == MODEL and a["score"] >= 0.8
        )
        assert a["match"] is wanted, a
    # every sample of the page is there because of a label that matches
    assert all(any(a["match"] for a in s["annotations"]) for s in page["samples"])
    assert any(not a["match"] for a in objects)


def test_match_follows_the_evaluation(demo: tuple[Catalog, str]) -> None:
    catalog, key = demo
    spec = {"labels": [{"source": MODEL, "eval": {"key": key, "status": ["fp"]}}]}
    objects = _objects(samples_page(catalog, "demo", spec, limit=200))
    with catalog.cursor() as cur:
        fp = {
            r[0]
            for r in cur.execute(
                "SELECT ann_id FROM box_evaluations WHERE eval_key = ? AND status = 'fp'", [key]
            ).fetchall()
        }
    assert fp and objects
    assert {a["ann_id"] for a in objects if a["match"]} == fp & {a["ann_id"] for a in objects}
