"""Object tags as a filter: tags written by the edit API select the samples that have a
tagged object (grid) and those objects (patches, which show each object's tags), combine
with the other parts of a label condition, follow an untag and an undo, and a bad value is
refused with the reason. Real Jupyter server, real DuckDB catalog; the expected rows are
computed independently from the catalog's tables with pandas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from visionlens_jlab.edits import apply_edits, undo

from .evaluate_fixtures import ingest
from .label_quality_fixtures import make_scene, write_coco

HOSTILE = '<b onmouseover="x()">check</b>'


def _boxes(catalog: Any) -> Any:
    with catalog.cursor() as cur:
        return cur.execute("SELECT * FROM annotations WHERE source = 'ground_truth'").df()


async def _samples(api: Any, flt: dict[str, Any]) -> list[int]:
    status, page = await api(
        "POST", "datasets/tagged/samples/query", {"filter": flt, "offset": 0, "limit": 1000}
    )
    assert status == 200, page
    return sorted(s["sample_id"] for s in page["samples"])


async def _patches(api: Any, flt: dict[str, Any]) -> dict[int, list[str]]:
    status, page = await api("POST", "datasets/tagged/patches", {"filter": flt, "limit": 1000})
    assert status == 200, page
    return {o["ann_id"]: o["tags"] for o in page["objects"]}


async def test_object_tags_filter_samples_and_patches(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    made = make_scene(30, 0.25, 3, ["car", "dog"])
    gt, _ = write_coco(made, tmp_path / "src")
    ingest(vl_app.catalog, "tagged", gt, "coco")
    boxes = _boxes(vl_app.catalog)
    cars = boxes[boxes.label == "car"].ann_id.tolist()[:4]
    dogs = boxes[boxes.label == "dog"].ann_id.tolist()[:3]
    ops = [
        {"op": "tag", "annotation_ids": cars + dogs, "tag": "check"},
        {"op": "tag", "annotation_ids": dogs[:1], "tag": HOSTILE},
    ]
    apply_edits(vl_app.catalog, "tagged", ops, "tester")

    tagged = boxes[boxes.ann_id.isin(cars + dogs)]
    flt = {"labels": {"source": "ground_truth", "tags": ["check"]}}
    assert await _samples(api, flt) == sorted(set(tagged.sample_id))
    shown = await _patches(api, flt)
    assert sorted(shown) == sorted(cars + dogs)
    assert shown[dogs[0]] == sorted(["check", HOSTILE])  # the same text, never escaped
    assert shown[cars[0]] == ["check"]
    # untagged objects show no tags
    status, page = await api("POST", "datasets/tagged/patches", {"limit": 1000})
    assert all(o["tags"] == [] for o in page["objects"] if o["ann_id"] not in shown)

    # with the other parts of the condition: tagged dogs only; any of several tags
    flt_dogs = {"labels": {"source": "ground_truth", "classes": ["dog"], "tags": "check"}}
    assert sorted(await _patches(api, flt_dogs)) == sorted(dogs)
    assert sorted(await _patches(api, {"labels": {"tags": [HOSTILE, "nope"]}})) == dogs[:1]

    # an untag, then its undo, change what the filter selects
    apply_edits(
        vl_app.catalog, "tagged", [{"op": "untag", "annotation_ids": cars, "tag": "check"}], "t"
    )
    assert sorted(await _patches(api, flt)) == sorted(dogs)
    assert await _samples(api, flt) == sorted(set(boxes[boxes.ann_id.isin(dogs)].sample_id))
    undo(vl_app.catalog, "tagged", "t")
    assert sorted(await _patches(api, flt)) == sorted(cars + dogs)

    # bad values: the reason, nothing else
    for bad in ([], [""], [1], {"any": ["check"]}, ["x" * 201]):
        status, answer = await api(
            "POST", "datasets/tagged/samples/query",
            {"filter": {"labels": {"tags": bad}}, "offset": 0, "limit": 1},
        )  # fmt: skip
        assert status == 400 and "labels.tags" in answer["message"], (bad, answer)
