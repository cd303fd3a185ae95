"""The REST API through a real Jupyter server (pytest-jupyter), base_url included."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest
from tornado.httpclient import HTTPClientError

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

from .catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows


@pytest.fixture
def toy(vl_app: Any) -> str:
    samples, boxes, classes = toy_rows()
    write_dataset(vl_app.catalog, "toy", RowsSource(samples, boxes, classes))
    write_predictions(vl_app.catalog, "toy", "m1", PredictionRowsSource(prediction_rows()))
    return "toy"


async def test_unauthenticated_requests_are_refused(jp_fetch: Any, toy: str) -> None:
    for path in (("datasets",), ("datasets", "toy", "samples"), ("jobs",)):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("visionlens", "api", *path, headers={"Authorization": ""})
        assert info.value.code in (401, 403)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "visionlens",
            "api",
            "datasets",
            method="POST",
            body="{}",
            headers={"Authorization": "token wrong"},
        )
    assert info.value.code in (401, 403)


async def test_list_and_get_dataset(api: Any, toy: str) -> None:
    status, body = await api("GET", "datasets")
    assert status == 200
    (ds,) = body["datasets"]
    assert (ds["name"], ds["num_samples"], ds["num_annotations"]) == ("toy", 6, 7)
    assert [m["name"] for m in ds["models"]] == ["m1"]
    status, detail = await api("GET", "datasets/toy")
    assert status == 200 and detail["categories"][0] == "cat"
    assert detail["num_videos"] == 0  # still images: the lab offers no frames choice
    assert detail["num_tracks"] == 0  # nor a tracks view
    status, body = await api("GET", "datasets/nope")
    assert status == 404 and "nope" in body["message"]


async def test_samples_page_with_filter_get_and_post(api: Any, toy: str) -> None:
    spec = {"labels": {"source": "m1", "score": {"min": 0.5}}}
    status, page = await api(
        "GET", "datasets/toy/samples", params={"filter": json.dumps(spec), "limit": "2"}
    )
    assert status == 200
    assert page["total"] == 3 and len(page["samples"]) == 2
    status, same = await api(
        "POST", "datasets/toy/samples/query", {"filter": spec, "offset": 2, "limit": 10}
    )
    assert status == 200 and same["total"] == 3
    assert [s["file_name"] for s in page["samples"] + same["samples"]] == [
        "a.jpg",
        "c.jpg",
        "f.jpg",
    ]
    sample_id = page["samples"][0]["sample_id"]
    status, detail = await api("GET", f"datasets/toy/samples/{sample_id}")
    assert status == 200 and detail["file_name"] == "a.jpg"
    assert {a["label"] for a in detail["annotations"]} == {"cat", "dog"}


async def test_bad_requests_are_400_with_a_message(api: Any, toy: str) -> None:
    status, body = await api("GET", "datasets/toy/samples", params={"filter": "{nope"})
    assert status == 400 and "not valid JSON" in body["message"]
    status, body = await api(
        "POST", "datasets/toy/samples/query", {"filter": {"sample": {"secret": {"in": [1]}}}}
    )
    assert status == 400 and "unknown sample field" in body["message"]
    status, body = await api("POST", "datasets/toy/samples/query", {"limit": "10"})
    assert status == 400
    # id sets: past 64 bits (orjson refuses the body, json parses it), booleans, floats
    for ids in ([1, 2**64], [-(2**63) - 1], [1, True], [1.0]):
        status, body = await api("POST", "datasets/toy/samples/query", {"filter": {"ids": ids}})
        assert status == 400 and "'filter.ids[" in body["message"], (ids, body)
    status, body = await api("POST", "datasets/toy/samples/query", {"filter": {"ids": [2**63 - 1]}})
    assert status == 200 and body["total"] == 0
    status, body = await api("POST", "datasets", {"source": "/x", "name": "../etc"})
    assert status == 400 and "invalid dataset name" in body["message"]
    status, body = await api("GET", "datasets/toy/samples/999999")
    assert status == 404


async def test_ids_json_and_arrow(api: Any, toy: str) -> None:
    spec = {"sample": {"split": {"in": ["train"]}}}
    status, body = await api("POST", "datasets/toy/ids", {"filter": spec})
    assert status == 200 and body["total"] == 3 and len(body["ids"]) == 3
    status, raw = await api(
        "POST",
        "datasets/toy/ids",
        {"filter": spec},
        headers={"Accept": "application/vnd.apache.arrow.stream"},
    )
    assert status == 200
    table = pa.ipc.open_stream(raw).read_all()
    assert table.column("sample_id").to_pylist() == body["ids"]


async def test_tags_and_facets(api: Any, toy: str) -> None:
    status, body = await api(
        "POST",
        "datasets/toy/tags",
        {"filter": {"sample": {"split": {"in": ["val"]}}}, "add": ["hard"]},
    )
    assert status == 200 and body["updated"] == 2
    status, body = await api("POST", "datasets/toy/tags", {"add": ["x"]})
    assert status == 400
    status, facets = await api(
        "GET", "datasets/toy/facets", params={"filter": json.dumps({"tags": {"any": ["hard"]}})}
    )
    assert status == 200 and facets["total"] == 2
    tags = next(f for f in facets["facets"] if f["name"] == "tags")
    assert tags["values"] == [{"value": "hard", "count": 2}]
    status, page = await api(
        "POST", "datasets/toy/samples/query", {"filter": {"tags": {"any": ["hard"]}}}
    )
    assert page["total"] == facets["total"]


async def test_delete_dataset(api: Any, toy: str) -> None:
    status, _ = await api("DELETE", "datasets/toy")
    assert status == 204
    status, body = await api("GET", "datasets")
    assert body["datasets"] == []
    status, _ = await api("DELETE", "datasets/toy")
    assert status == 404


async def test_ingest_job_of_a_missing_path_fails_clearly(api: Any, wait_job: Any) -> None:
    status, body = await api("POST", "datasets", {"source": "/does/not/exist.json", "name": "x"})
    assert status == 202
    job = await wait_job(body["job"])
    assert job["status"] == "failed"
    assert "/does/not/exist.json" in job["error"]
    status, body = await api("GET", "datasets")
    assert body["datasets"] == []


async def test_unknown_job_is_404(api: Any) -> None:
    status, _ = await api("GET", "jobs/nope")
    assert status == 404
    status, body = await api("GET", "jobs")
    assert status == 200 and body == {"jobs": []}


async def test_rest_ingest_of_a_real_dataset_then_thumbnails(api: Any, wait_job: Any) -> None:
    from .paths import DATASETS

    root = DATASETS / "padilla-review-voc100"
    body = {
        "source": str(root / "gts" / "pascalvoc_format"),
        "name": "voc100",
        "format": "voc",
        "images": str(root / "images"),
    }
    status, answer = await api("POST", "datasets", body)
    assert status == 202
    job = await wait_job(answer["job"], timeout=300)
    assert job["status"] == "done", job["error"]
    assert (job["result"]["samples"], job["result"]["annotations"]) == (100, 273)
    status, page = await api(
        "POST",
        "datasets/voc100/samples/query",
        {"filter": {"labels": {"where": {"difficult": {"eq": True}}}}},
    )
    assert status == 200 and page["total"] > 0
    status, jobs = await api("GET", "jobs")
    thumbs = [j for j in jobs["jobs"] if j["kind"] == "thumbnails"]
    assert len(thumbs) == 1
    thumbs_job = await wait_job(thumbs[0], timeout=300)
    assert thumbs_job["status"] == "done", thumbs_job["error"]
    sample_id = page["samples"][0]["sample_id"]
    status, raw = await api(
        "GET", f"datasets/voc100/samples/{sample_id}/image", params={"size": "256"}
    )
    assert status == 200 and raw[:2] == b"\xff\xd8"
    status, detail = await api("GET", "datasets/voc100")
    assert detail["media"]["total"] == 0
    status, answer = await api("POST", "datasets", body)
    assert status == 409 and "already exists" in answer["message"]


async def test_deleting_a_dataset_removes_its_vectors(api: Any, vl_app: Any, toy: str) -> None:
    import numpy as np

    store = vl_app.vector_store()  # the embedded Qdrant Edge store, opened on first use
    status, body = await api("POST", "datasets/toy/ids", {"filter": {}})
    ids = body["ids"]
    dataset_id = vl_app.catalog.get_dataset("toy")["id"]
    space = store.ensure_space("tiny-test-model", "1", 8).name
    vectors = np.random.default_rng(0).normal(size=(len(ids), 8)).astype("float32")
    store.upsert(space, ids, vectors, [dataset_id] * len(ids))
    assert store.count(space) == len(ids) == 6
    status, _ = await api("DELETE", "datasets/toy")
    assert status == 204
    assert store.count(space) == 0
