"""The curation answers are described by the document (issue #48 item 5): the JSON a real
Jupyter server sends for search, duplicates, versions, edits, blind spots, exports, the
Label Studio round trip (against a stand-in on loopback), the formats, the embedding models,
the plugins and a map selection is valid against the response schemas of
``visionlens_jlab/openapi.yaml`` that the lab's types are generated from
(``src/api/wireTypes.ts``). The schemas are closed: a key the server starts sending without
the document fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from visionlens_jlab.handlers import contract

from .export_fixtures import server_source
from .map_fixtures import write_map_dataset
from .outbound_fixtures import json_answer, json_by_path, stub_server
from .test_blindspots_server import MODEL as BLIND_MODEL
from .test_blindspots_server import demo  # noqa: F401 - the fixture
from .test_caption_text_search import CAPTIONS, write_captions
from .test_edits_server import first_cat, toy  # noqa: F401 - the fixture
from .test_embed_jobs import add_photos
from .test_similarity_api import THRESHOLD, planted  # noqa: F401 - the fixture
from .test_wire_answers import assert_answers

SEARCH = "/datasets/{name}/search"
DUPLICATES = "/datasets/{name}/duplicates"


def assert_component(name: str, value: Any) -> None:
    """``value`` (a job's result, which no route answers by itself) is valid against the
    document's component schema ``name``."""
    root = {
        **contract.json_schema({"$ref": f"#/components/schemas/{name}"}),
        "components": contract.json_schema(contract.document()["components"]),
    }
    error = best_match(Draft202012Validator(root).iter_errors(value))
    assert error is None, f"{name}: {list(error.absolute_path)}: {error.message}"


def test_a_search_hit_with_an_unnamed_or_mistyped_field_is_refused() -> None:
    """The check bites on SearchResult: an unnamed key or a wrong type of a hit fails."""
    hit = {"sample_id": 1, "score": 0.5, "file_name": "a.jpg"}
    answer = {
        "model": "m", "space": "s", "strategy": "memory", "matched": None, "results": [hit],
        "warning": None, "code": "vl.dataset('d').search(like=1)",
    }  # fmt: skip
    assert_answers(SEARCH, "post", answer)
    for broken in ({**hit, "colour": "red"}, {**hit, "sample_id": "1"}):
        with pytest.raises(AssertionError, match="results"):
            assert_answers(SEARCH, "post", {**answer, "results": [broken]})
    with pytest.raises(AssertionError, match="strategy"):
        assert_answers(SEARCH, "post", {**answer, "strategy": "guess"})


async def test_search_and_duplicates_answer_as_documented(
    api: Any,
    wait_job: Any,
    planted: dict[str, int],  # noqa: F811 - the fixture
) -> None:
    like = planted["train/t2.jpg"]
    status, out = await api("POST", "datasets/planted/search", {"like": like, "k": 3})
    assert status == 200 and out["results"] and out["warning"], out
    assert_answers(SEARCH, "post", out)
    flt = {"sample": {"split": {"in": ["val"]}}}
    status, out = await api("POST", "datasets/planted/search", {"like": like, "filter": flt})
    assert status == 200 and out["matched"], out
    assert_answers(SEARCH, "post", out)

    status, queued = await api("POST", "datasets/planted/duplicates", {"threshold": THRESHOLD})
    assert status == 202, queued
    assert_answers(DUPLICATES, "post", queued, "202")
    job = await wait_job(queued["job"])
    assert job["status"] == "done" and job["result"]["leaks"], job
    assert_answers(DUPLICATES, "get", job["result"])  # the stored result less its pair_list
    status, stored = await api("GET", "datasets/planted/duplicates")
    assert status == 200 and stored["pair_list"] and stored["created_at"], stored
    assert_answers(DUPLICATES, "get", stored)


async def test_a_text_search_over_captions_answers_as_documented(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    ids = add_photos(vl_app, "photos", 8)
    write_captions(vl_app, "photos", ids[:5], CAPTIONS)
    status, out = await api("POST", "datasets/photos/search", {"text": "red car", "k": 4})
    assert status == 200 and out["fusion"] and out["strategy"] == "captions", out
    assert out["results"][0]["caption"] and out["results"][0]["sources"] == ["caption"], out
    assert_answers(SEARCH, "post", out)


async def test_versions_and_edits_answer_as_documented(
    api: Any,
    vl_app: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    versions, edits = f"datasets/{toy}/versions", f"datasets/{toy}/edits"
    status, v1 = await api("POST", versions, {"message": "start"})
    assert status == 200 and v1["version"] == 1, v1
    assert_answers("/datasets/{name}/versions", "post", v1)
    ann = first_cat(vl_app.catalog, toy)
    ops = [{"op": "relabel", "annotation_id": ann, "label": "dog"},
           {"op": "add", "sample_id": 1, "label": "cat", "bbox": [1, 2, 3, 4]}]  # fmt: skip
    status, done = await api("POST", edits, {"operations": ops})
    assert status == 200 and done["added"] and done["sample_ids"], done
    assert_answers("/datasets/{name}/edits", "post", done)
    for step in ("undo", "redo"):
        status, answer = await api("POST", f"{edits}/{step}")
        assert status == 200 and answer["kind"] == step and answer["inverted"], answer
        assert_answers(f"/datasets/{{name}}/edits/{step}", "post", answer)

    diff_path = "/datasets/{name}/versions/diff"
    status, diff = await api("GET", f"{versions}/diff", params={"from": "1"})
    assert status == 200 and diff["relabelled"] == 1 and "evaluation" not in diff, diff
    assert_answers(diff_path, "get", diff)
    status, diff = await api("GET", f"{versions}/diff", params={"from": "1", "model": "m1"})
    assert status == 200 and diff["evaluation"]["by_class"], diff
    assert_answers(diff_path, "get", diff)

    status, restored = await api("POST", f"{versions}/1/restore")
    assert status == 200 and restored["restored"] == 1, restored  # the number, not the path's text
    assert_answers("/datasets/{name}/versions/{version}/restore", "post", restored)
    status, listed = await api("GET", versions)
    assert status == 200 and len(listed["versions"]) == 1, listed
    assert_answers("/datasets/{name}/versions", "get", listed)
    tag = {"filter": {"ids": [1]}, "add": ["seen"]}
    status, tagged = await api("POST", f"datasets/{toy}/tags", tag)
    assert status == 200 and tagged["updated"] == 1, tagged
    status, log = await api("GET", edits)
    kinds = {o["op"] for o in log["operations"]}
    assert status == 200 and {"sample_tags", "relabel", "add"} <= kinds and log["undo"], log
    assert_answers("/datasets/{name}/edits", "get", log)


@pytest.mark.slow
async def test_blind_spots_answer_as_documented(
    api: Any,
    wait_job: Any,
    demo: str,  # noqa: F811 - the fixture
) -> None:
    path = "/datasets/{name}/blindspots"
    status, queued = await api("POST", f"datasets/{demo}/blindspots", {"model": BLIND_MODEL})
    assert status == 202, queued
    assert_answers(path, "post", queued, "202")
    job = await wait_job(queued["job"], timeout=240)
    assert job["status"] == "done", job
    result = job["result"]
    assert result["findings"] and result["attributes"] and result["agent"] == "none", result
    assert_answers(path, "get", result)  # the job's result: as GET, less created_at
    first = result["findings"][0]["id"]
    status, review = await api(
        "POST", f"datasets/{demo}/blindspots/{first}/review", {"verdict": "confirmed"}
    )
    assert status == 200, review
    assert_answers(f"{path}/{{finding_id}}/review", "post", review)
    status, last = await api("GET", f"datasets/{demo}/blindspots", params={"model": BLIND_MODEL})
    assert status == 200 and last["findings"][0]["review"] == "confirmed", last
    assert_answers(path, "get", last)


async def test_an_export_job_answers_as_documented(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    server_source(vl_app, tmp_path / "src")
    body = {"format": "coco", "out": str(tmp_path / "out")}
    status, queued = await api("POST", "datasets/src/exports", body)
    assert status == 202, queued
    assert_answers("/datasets/{name}/exports", "post", queued, "202")
    job = await wait_job(queued["job"])
    assert job["status"] == "done" and job["result"]["files"], job
    assert_component("ExportResult", job["result"])
    with pytest.raises(AssertionError, match="skipped"):
        assert_component("ExportResult", {**job["result"], "skipped": [{"sample_id": 1}]})


async def test_a_label_studio_send_and_pull_answer_as_documented(
    api: Any,
    vl_app: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    with stub_server(json_answer({"id": 3, "task_count": 6})) as label_studio:
        ls = {"label_studio": {"url": label_studio.url, "token": "e" * 40}}
        status, sent = await api("POST", f"datasets/{toy}/labelstudio/projects", ls)
    assert status == 201 and sent["project"] == 3, sent
    assert_answers("/datasets/{name}/labelstudio/projects", "post", sent, "201")

    ann = first_cat(vl_app.catalog, toy)
    with vl_app.catalog.cursor() as cur:
        ((sample_id, *box),) = cur.execute(
            "SELECT sample_id, x, y, w, h FROM annotations WHERE ann_id = ?", [ann]
        ).fetchall()
    region = {"id": f"vl-{ann}", "from_name": "label", "type": "rectanglelabels",
              "value": {"x": 0.0, "y": 0.0, "width": 10.0, "height": 10.0,
                        "rectanglelabels": ["dog"]}}  # fmt: skip
    task = {"id": 11, "data": {"visionlens": {
        "dataset": toy, "sample_id": sample_id, "width": 100, "height": 100,
        "sent": {str(ann): {"label": "cat", "bbox": box, "shaped": True}}}},
        "annotations": [{"id": 1, "updated_at": "2026-01-01", "result": [region]}]}  # fmt: skip
    other = {"id": 12, "data": {"image": "x"}, "annotations": []}
    pull = "/datasets/{name}/labelstudio/projects/{project}/pull"
    answers = {"/api/projects/3": {"id": 3, "label_config": ""}, "/api/tasks": [task, other]}
    with stub_server(json_by_path(answers)) as label_studio:
        body = {"label_studio": {"url": label_studio.url, "token": "e" * 40}, "apply": True}
        status, pulled = await api("POST", f"datasets/{toy}/labelstudio/projects/3/pull", body)
    assert status == 200 and pulled["applied"] == 1 and pulled["sample_ids"], pulled
    assert {s["task"] for s in pulled["skipped"]} == {11, 12}, pulled  # a shaped box, a stranger
    assert_answers(pull, "post", pulled)


async def test_formats_models_plugins_and_a_map_selection_answer_as_documented(
    api: Any, wait_job: Any, vl_app: Any
) -> None:
    status, formats = await api("GET", "formats")
    assert status == 200 and formats["datasets"] and formats["exports"], formats
    assert_answers("/formats", "get", formats)
    status, models = await api("GET", "models", timeout=120)  # starts a worker: slow under load
    assert status == 200 and models["models"], models
    assert_answers("/models", "get", models)
    status, plugins = await api("GET", "plugins")
    assert status == 200 and plugins["supported_api_versions"], plugins
    assert_answers("/plugins", "get", plugins)

    write_map_dataset(vl_app.catalog, vl_app.vector_store(), "tiny", 24, dim=8, clusters=2)
    status, queued = await api("POST", "datasets/tiny/maps", {"method": "pca"})
    assert status == 202, queued
    descriptor = (await wait_job(queued["job"], timeout=120))["result"]
    xmin, ymin, xmax, ymax = descriptor["bounds"]
    route = f"datasets/tiny/maps/{descriptor['id']}/select"
    status, selected = await api("POST", route, {"rect": [xmin, ymin, xmax, ymax]})
    assert status == 200 and selected["count"] == 24, selected
    assert_answers("/datasets/{name}/maps/{map_id}/select", "post", selected)
