"""Several samples' details in one read (``queries.sample_details``, POST
``datasets/{name}/samples/details``): each exactly what one sample's read answers, with and
without an evaluation's statuses and at a saved version; a missing id (or one of another
dataset) is a 404 naming it, too many ids a 400 that says so (64 are read), statuses at a
version a 400, and an unauthenticated request is refused. Each sample's computed fields are
the values written, its mask sources what the catalog's rows say (a single read shares the code, so the rows
are the reference)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jupyter_server.utils import url_path_join

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog, FilterError, NotFoundError
from visionlens_jlab.catalog.extensions.computed import register_computed_field, write_computed
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.evaluate.api import evaluate_model
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic

from .edit_fixtures import random_ops
from .evaluate_fixtures import ingest, ingest_predictions
from .label_quality_fixtures import make_scene, write_coco
from .semantic_fixtures import write_voc
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset

MODEL = "det"
ROUTE = "datasets/scene/samples/details"


@pytest.fixture
def scene(vl_app: Any, tmp_path: Path) -> list[int]:
    """A dataset with labels and a model's evaluated predictions; its sample ids."""
    made = make_scene(12, 0.3, 5, ["car", "dog", "cat"])
    gt, dt = write_coco(made, tmp_path / "src")
    ingest(vl_app.catalog, "scene", gt, "coco")
    ingest_predictions(vl_app.catalog, "scene", MODEL, dt, "coco")
    evaluate_model(vl_app.catalog, "scene", MODEL)
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
            [dataset(vl_app.catalog, "scene")],
        ).fetchall()
    return [int(r[0]) for r in rows]


async def test_each_sample_as_its_own_read(api: Any, scene: list[int]) -> None:
    asked = [scene[5], scene[0], scene[3], scene[0]]  # any order, one asked twice
    for options in ({}, {"eval_status": MODEL}):
        status, batch = await api("POST", ROUTE, {"ids": asked, **options})
        assert status == 200, batch
        singles = []
        for i in asked:
            status, one = await api("GET", f"datasets/scene/samples/{i}", params=options)
            assert status == 200, one
            singles.append(one)
        assert batch["samples"] == singles
    statuses = {a.get("status") for s in batch["samples"] for a in s["annotations"]}
    assert {"tp", "fp"} <= statuses  # the statuses came with the window
    status, empty = await api("POST", ROUTE, {"ids": []})
    assert (status, empty) == (200, {"samples": []})


async def test_missing_ids_and_too_many(api: Any, scene: list[int]) -> None:
    gone = [max(scene) + 7, max(scene) + 9]
    status, answer = await api("POST", ROUTE, {"ids": [scene[0], *gone]})
    assert status == 404, answer
    assert all(str(i) in answer["message"] for i in gone)
    status, answer = await api("POST", ROUTE, {"ids": scene[:1] * 65})
    assert status == 400, answer
    assert "at most 64" in answer["message"]
    status, answer = await api("POST", ROUTE, {"ids": ["1"]})
    assert status == 400, answer
    status, answer = await api("POST", ROUTE, {"ids": scene[:2], "eval_status": "nope"})
    assert status == 404, answer
    past = 19344928099265306624  # past 64 bits: no sample has it (the fuzz test's find)
    status, answer = await api("POST", ROUTE, {"ids": [scene[0], past]})
    assert status == 400 and "'ids[1]'" in answer["message"], answer  # the body's schema
    status, answer = await api("GET", f"datasets/scene/samples/{past}")
    assert status == 404, answer


async def test_unauthenticated_request_is_refused(
    scene: list[int], http_server_client: Any, jp_base_url: str
) -> None:
    response = await http_server_client.fetch(
        url_path_join(jp_base_url, "visionlens/api", ROUTE),
        method="POST",
        body=json.dumps({"ids": scene[:1]}),
        raise_error=False,
        follow_redirects=False,
    )
    assert response.code == 403


def test_at_a_version(catalog: Catalog) -> None:  # noqa: F811 - the fixture
    name = "rich"
    ds = dataset(catalog, name)
    rnd = random.Random(3)
    ids = [s["sample_id"] for s in queries.samples_page(catalog, name, {}, limit=10)["samples"]]
    edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 30), "u")
    v1 = edits.snapshot(catalog, name, "before", "u")["version"]
    before = [queries.sample_detail(catalog, name, i) for i in ids]
    edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 60), "u")
    now = queries.sample_details(catalog, name, ids)
    assert now == [queries.sample_detail(catalog, name, i) for i in ids]
    assert now != before  # the edits changed some of them
    assert queries.sample_details(catalog, name, ids, version=v1) == before
    assert any(s["annotations"] for s in now)
    with pytest.raises(NotFoundError, match=str(max(ids) + 10**6)):
        queries.sample_details(catalog, name, [ids[0], max(ids) + 10**6])
    with pytest.raises(FilterError, match="at most 64"):
        queries.sample_details(catalog, name, ids * 7)


async def test_as_many_ids_as_allowed_and_no_sample_of_another_dataset(
    api: Any, vl_app: Any, scene: list[int], tmp_path: Path
) -> None:
    """64 ids are read (the refusal is past them); a sample of another dataset is no sample
    of this one: 404 naming it, not its details."""
    asked = (scene * 6)[:64]
    status, answer = await api("POST", ROUTE, {"ids": asked})
    assert status == 200, answer
    assert [s["sample_id"] for s in answer["samples"]] == asked
    gt, _ = write_coco(make_scene(2, 0.3, 2, ["car"]), tmp_path / "other")
    ingest(vl_app.catalog, "other", gt, "coco")
    with vl_app.catalog.cursor() as cur:
        (theirs,) = cur.execute(
            "SELECT min(sample_id) FROM samples WHERE dataset_id = ?",
            [dataset(vl_app.catalog, "other")],
        ).fetchone() or (None,)
    assert theirs is not None and theirs not in scene
    status, answer = await api("POST", ROUTE, {"ids": [scene[0], theirs]})
    assert status == 404 and str(theirs) in answer["message"], answer


async def test_statuses_at_a_version_are_refused(api: Any, vl_app: Any, scene: list[int]) -> None:
    """A saved version's labels have no evaluation statuses (they judged the current
    labels): asking both is a 400 that says so, as for one sample."""
    version = edits.snapshot(vl_app.catalog, "scene", "v", "u")["version"]
    body = {"ids": scene[:2], "eval_status": MODEL, "version": version}
    status, answer = await api("POST", ROUTE, body)
    assert status == 400 and "evaluation statuses are of the current labels" in answer["message"]
    status, answer = await api("POST", ROUTE, {"ids": scene[:2], "version": version})
    assert status == 200, answer


async def test_computed_fields_as_written(api: Any, vl_app: Any, scene: list[int]) -> None:
    """Each sample's ``computed`` holds the values written for it, the others none."""
    register_computed_field("details_score", "numeric", "a score of every other sample")
    scored = scene[::2]
    values = (np.array(scored), np.array([float(i % 5) for i in scored]))
    ds = dataset(vl_app.catalog, "scene")
    write_computed(vl_app.catalog, ds, {"details_score": values}, producer="test")
    status, answer = await api("POST", ROUTE, {"ids": scene})
    assert status == 200, answer
    expected = {i: {"details_score": float(i % 5)} if i in scored else {} for i in scene}
    assert {s["sample_id"]: s["computed"] for s in answer["samples"]} == expected


async def test_each_sample_names_its_mask_sources(api: Any, vl_app: Any, tmp_path: Path) -> None:
    """A semantic dataset's samples name the sources with a mask of each, the ground truth
    first (the sample view lays those over the image), as the catalog's masks say."""
    voc, preds, _, _ = write_voc(tmp_path, 3, seed=1)
    ingest_semantic(vl_app.catalog, "seg", open_semantic(str(voc)))
    (preds / "2007_000001.png").unlink()  # the model without a mask of image 1
    ingest_semantic_predictions(vl_app.catalog, "seg", "net", str(preds))
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id, source FROM semantic_masks WHERE dataset_id = ?",
            [dataset(vl_app.catalog, "seg")],
        ).fetchall()
    sources: dict[int, list[str]] = {}
    for sample_id, source in sorted(rows, key=lambda r: (r[0], r[1] != "ground_truth", r[1])):
        sources.setdefault(int(sample_id), []).append(str(source))
    ids = sorted(sources)
    assert len(ids) == 3 and sorted(map(len, sources.values())) == [1, 2, 2]
    status, answer = await api("POST", "datasets/seg/samples/details", {"ids": ids})
    assert status == 200, answer
    assert [s["mask_sources"] for s in answer["samples"]] == [sources[i] for i in ids]
