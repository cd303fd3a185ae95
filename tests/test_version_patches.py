"""The patches view of a saved version, on a real Jupyter server and DuckDB catalog: its
objects, their samples and their crops are as they were at the version, current reads stay
current, and what judged the current labels (evaluation patches, label quality) is
refused with a version."""

from __future__ import annotations

from typing import Any

from .test_edits_server import toy  # noqa: F401 - the fixture

ALL = {"filter": {}, "limit": 1000}


def by_id(page: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """A patches page's objects by annotation id."""
    return {p["ann_id"]: p for p in page["objects"]}


async def test_patches_of_a_version_are_the_objects_then(
    api: Any,
    vl_app: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    status, _ = await api("POST", f"datasets/{toy}/versions", {"message": "start"})
    assert status == 200
    status, before = await api("POST", f"datasets/{toy}/patches", ALL)
    status_m1, before_m1 = await api("POST", f"datasets/{toy}/patches", {**ALL, "source": "m1"})
    assert status == status_m1 == 200 and len(before["objects"]) >= 3
    first, second, third = sorted(by_id(before))[:3]
    ops = [
        {"op": "relabel", "annotation_id": first, "label": "person"},
        {"op": "delete", "annotation_id": second},
        {"op": "move", "annotation_id": third, "bbox": [1, 2, 3, 4]},
        {"op": "tag", "annotation_id": third, "tag": "checked"},
        {"op": "add", "sample_id": before["objects"][0]["sample_id"], "label": "dog",
         "bbox": [5, 5, 10, 10]},
    ]  # fmt: skip
    status, _ = await api("POST", f"datasets/{toy}/edits", {"operations": ops})
    assert status == 200
    status, now = await api("POST", f"datasets/{toy}/patches", ALL)
    assert status == 200 and now != before
    current = by_id(now)
    assert current[first]["label"] == "person" and second not in current
    assert current[third]["tags"] == ["checked"] and now["total"] == before["total"]
    assert (current[third]["x"], current[third]["w"]) == (1, 3)
    status, then = await api("POST", f"datasets/{toy}/patches", {**ALL, "version": 1})
    # the answer names the version it read: the rest is the page before the edits
    assert status == 200 and then["version"] == 1 and {**then, "version": None} == before
    status, then_m1 = await api(
        "POST", f"datasets/{toy}/patches", {**ALL, "source": "m1", "version": "1"}
    )
    assert status == 200 and {**then_m1, "version": None} == before_m1
    # the filter's label conditions hold for the objects at the version too
    people = {"filter": {"labels": {"source": "ground_truth", "classes": ["person"]}}}
    status, people_now = await api("POST", f"datasets/{toy}/patches", people)
    status_then, people_then = await api(
        "POST", f"datasets/{toy}/patches", {**people, "version": 1}
    )
    assert status == status_then == 200
    assert people_now["total"] == people_then["total"] + 1
    assert {p["label"] for p in people_then["objects"]} == {"person"}
    sorted_then = {**ALL, "sort": "w", "order": "desc", "version": 1}
    status, wide_then = await api("POST", f"datasets/{toy}/patches", sorted_then)
    ordered = sorted(before["objects"], key=lambda p: (-p["w"], p["ann_id"]))
    assert status == 200 and wide_then["objects"] == ordered
    # the deleted object's sample and crop: found at the version, gone now
    sample = before["objects"][1]["sample_id"]
    status, samples_then = await api(
        "POST", f"datasets/{toy}/patches/samples", {"ann_ids": [second], "version": 1}
    )
    assert status == 200 and samples_then["sample_ids"] == [sample]
    status, samples_now = await api(
        "POST", f"datasets/{toy}/patches/samples", {"ann_ids": [second]}
    )
    assert status == 200 and samples_now["sample_ids"] == []
    status, _ = await api("GET", f"datasets/{toy}/objects/{second}/crop")
    assert status == 404
    status, _ = await api("GET", f"datasets/{toy}/objects/{second}/crop", params={"version": "1"})
    assert status != 404


async def test_patches_of_a_version_refuse_what_judged_current_labels(
    api: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    status, _ = await api("POST", f"datasets/{toy}/versions", {"message": "start"})
    assert status == 200
    path = f"datasets/{toy}/patches"
    status, refused = await api("POST", path, {"kind": "evaluation", "model": "m1", "version": 1})
    assert status == 400 and "evaluation statuses are of the current labels" in refused["message"]
    status, refused = await api("POST", path, {"sort": "lq_score", "version": 1})
    assert status == 400 and "label-quality scores are of the current labels" in refused["message"]
    status, missing = await api("POST", path, {"version": 9})
    assert status == 404 and "no version 9" in missing["message"]
    status, bad = await api("POST", path, {"version": "one"})
    assert status == 400 and "'version': 'one' does not match" in bad["message"]
    status, bad = await api("GET", f"datasets/{toy}/objects/1/crop", params={"version": "0"})
    assert status == 400 and "'version' must be" in bad["message"]
    status, current = await api("POST", path, {"version": "current"})
    assert status == 200 and current["total"] > 0
