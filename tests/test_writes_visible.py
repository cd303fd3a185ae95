"""A write through the server shows in the very next read (issue #16): importing a
prediction set and running an evaluation change the next samples and facets answers
(counts, the new source's facet, the evaluation-status facet). Real server, real catalog:
nothing may serve an answer computed before the write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .evaluate_fixtures import write_scene

M2 = "m2"


@pytest.fixture
def scene(vl_app: Any) -> str:
    write_scene(vl_app.catalog)
    return "scene"


def m2_predictions(path: Path) -> Path:
    """Model m2 in COCO dataset-dict form: a TP cat on img1, a false person on img3."""
    path.write_text(
        json.dumps(
            {
                "images": [
                    {"id": 1, "file_name": "img1.jpg", "width": 400, "height": 400},
                    {"id": 3, "file_name": "img3.jpg", "width": 400, "height": 400},
                ],
                "categories": [{"id": 1, "name": "cat"}, {"id": 3, "name": "person"}],
                "annotations": [
                    {
                        "id": 1,
                        "image_id": 1,
                        "category_id": 1,
                        "bbox": [0, 0, 100, 100],
                        "score": 0.9,
                    },
                    {
                        "id": 2,
                        "image_id": 3,
                        "category_id": 3,
                        "bbox": [50, 50, 40, 40],
                        "score": 0.6,
                    },
                ],
            }
        )
    )
    return path


def facet(answer: dict[str, Any], name: str, source: str) -> dict[str, Any] | None:
    """The facet ``name`` of ``source`` in a facets answer, or None."""
    return next(
        (f for f in answer["facets"] if f["name"] == name and f.get("source") == source), None
    )


async def test_predictions_and_evaluation_show_in_the_next_answers(
    api: Any, wait_job: Any, scene: str, tmp_path: Path
) -> None:
    has_m2 = {"labels": {"source": M2}}
    m2_fp = {"labels": {"source": M2, "eval": {"status": ["fp"]}}}

    async def read() -> dict[str, Any]:
        """Everything a panel reads after a write, each once (warms any cache)."""
        status, page = await api("POST", f"datasets/{scene}/samples/query", {"filter": has_m2})
        assert status == 200, page
        status, fp = await api("POST", f"datasets/{scene}/samples/query", {"filter": m2_fp})
        assert status == 200, fp
        status, facets = await api("POST", f"datasets/{scene}/facets", {"filter": {}})
        assert status == 200, facets
        status, info = await api("GET", f"datasets/{scene}")
        assert status == 200, info
        return {"m2": page["total"], "fp": fp["total"], "facets": facets, "info": info}

    before = await read()
    assert before["m2"] == 0 and before["fp"] == 0
    assert facet(before["facets"], "label", M2) is None
    assert facet(before["facets"], "eval.status", M2) is None
    assert [m["name"] for m in before["info"]["models"]] == ["m1"]

    src = m2_predictions(tmp_path / "m2.json")
    status, body = await api(
        "POST", f"datasets/{scene}/predictions", {"source": str(src), "model": M2}
    )
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job

    after_import = await read()
    assert after_import["m2"] == 2  # img1 and img3
    labels = facet(after_import["facets"], "label", M2)
    assert labels is not None
    assert {v["value"]: v["count"] for v in labels["values"]} == {"cat": 1, "person": 1}
    boxes = facet(after_import["facets"], "box_count", M2)
    assert boxes is not None and boxes["count"] == 3 and boxes["max"] == 1
    models = {m["name"]: m["num_predictions"] for m in after_import["info"]["models"]}
    assert models == {"m1": 7, M2: 2}
    assert facet(after_import["facets"], "eval.status", M2) is None  # not evaluated yet
    assert after_import["fp"] == 0

    status, body = await api(
        "POST", f"datasets/{scene}/evaluations", {"model": M2, "protocol": "coco", "iou": 0.5}
    )
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job

    after_eval = await read()
    assert after_eval["fp"] == 1  # the person on img3, which has no ground truth
    status_facet = facet(after_eval["facets"], "eval.status", M2)
    assert status_facet is not None
    # the cat on A matches (a TP on both sides), B and C are missed, the crowd D ignored
    assert {v["value"]: v["count"] for v in status_facet["values"]} == {
        "tp": 2,
        "fp": 1,
        "fn": 2,
        "ignored": 1,
    }
    errors = facet(after_eval["facets"], "eval.error", M2)
    assert errors is not None and errors["values"] == [{"value": "background", "count": 1}]
    # m1 was not evaluated: its facets did not gain evaluation parts
    assert facet(after_eval["facets"], "eval.status", "m1") is None
