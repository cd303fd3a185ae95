"""Each box's evaluation status on the samples page and one sample (``eval_status=MODEL``) on
a real Jupyter server and DuckDB catalog, against the stored per-box results; absent without
the option; a model without an evaluation is a 404 that says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.evaluate.api import evaluate_model

from .evaluate_fixtures import ingest, ingest_predictions
from .label_quality_fixtures import make_scene, write_coco

MODEL = "det"


@pytest.fixture
def evaluated(vl_app: Any, tmp_path: Path) -> dict[int, str | None]:
    """A dataset with labels, two models' predictions and an evaluation of one; the stored
    status of every box in that evaluation (ann_id -> status)."""
    made = make_scene(24, 0.3, 5, ["car", "dog", "cat"])
    gt, dt = write_coco(made, tmp_path / "src")
    ingest(vl_app.catalog, "scene", gt, "coco")
    ingest_predictions(vl_app.catalog, "scene", MODEL, dt, "coco")
    ingest_predictions(vl_app.catalog, "scene", "other", dt, "coco")
    evaluate_model(vl_app.catalog, "scene", MODEL)
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute(
            """
            SELECT a.ann_id, b.status FROM annotations a
            LEFT JOIN box_evaluations b ON b.ann_id = a.ann_id
            JOIN datasets d ON d.dataset_id = a.dataset_id WHERE d.name = 'scene'
            """
        ).fetchall()
    return {int(a): s for a, s in rows}


async def test_page_statuses_match_stored_rows(api: Any, evaluated: dict[int, str | None]) -> None:
    body = {"limit": 1000, "eval_status": MODEL}
    status, page = await api("POST", "datasets/scene/samples/query", body)
    assert status == 200, page
    got = {a["ann_id"]: a["status"] for s in page["samples"] for a in s["annotations"]}
    assert got == evaluated
    assert {"tp", "fp", "fn"} <= set(got.values())
    sources = {a["source"]: a["status"] for s in page["samples"] for a in s["annotations"]}
    assert sources["other"] is None  # another model's boxes are not judged
    # without the option, no status (and not the cached page with statuses)
    status, plain = await api("POST", "datasets/scene/samples/query", {"limit": 1000})
    assert status == 200
    assert all("status" not in a for s in plain["samples"] for a in s["annotations"])
    # the GET page says the same
    params = {"limit": "5", "eval_status": MODEL}
    status, small = await api("GET", "datasets/scene/samples", params=params)
    assert status == 200, small
    anns = [a for s in small["samples"] for a in s["annotations"]]
    assert anns and all(a["status"] == evaluated[a["ann_id"]] for a in anns)


async def test_sample_statuses(api: Any, evaluated: dict[int, str | None]) -> None:
    status, page = await api("POST", "datasets/scene/samples/query", {"limit": 1})
    sample_id = page["samples"][0]["sample_id"]
    path = f"datasets/scene/samples/{sample_id}"
    status, one = await api("GET", path, params={"eval_status": MODEL})
    assert status == 200, one
    assert one["annotations"]
    assert all(a["status"] == evaluated[a["ann_id"]] for a in one["annotations"])
    status, plain = await api("GET", path)
    assert all("status" not in a for a in plain["annotations"])


async def test_unevaluated_model_is_404(api: Any, evaluated: dict[int, str | None]) -> None:
    for body in ({"eval_status": "other"}, {"eval_status": "nope"}):
        status, answer = await api("POST", "datasets/scene/samples/query", body)
        assert status == 404, answer
        assert "evaluate the model first" in json.dumps(answer)
    status, answer = await api("POST", "datasets/scene/samples/query", {"eval_status": 3})
    assert status == 400, answer


async def test_an_evaluation_key_chooses_that_evaluation(
    api: Any, vl_app: Any, evaluated: dict[int, str | None]
) -> None:
    """A model evaluated twice: its key colours by the first, its name by the latest."""
    first = evaluate_model(vl_app.catalog, "scene", MODEL).key
    latest = evaluate_model(vl_app.catalog, "scene", MODEL, iou=0.95).key
    assert first != latest

    def stored(key: str) -> dict[int, str]:
        with vl_app.catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT ann_id, status FROM box_evaluations WHERE eval_key = ?", [key]
            ).fetchall()
        return {int(a): s for a, s in rows}

    assert stored(first) != stored(latest)  # matches of IoU about 0.9 fail at 0.95
    for name, key in ((first, first), (latest, latest), (MODEL, latest)):
        status, page = await api(
            "POST", "datasets/scene/samples/query", {"limit": 1000, "eval_status": name}
        )
        assert status == 200, page
        got = {a["ann_id"]: a["status"] for s in page["samples"] for a in s["annotations"]}
        assert {a: s for a, s in got.items() if s is not None} == stored(key)
