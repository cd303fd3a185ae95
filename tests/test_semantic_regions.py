"""Semantic label quality's regions as rows (``semantic_regions``, migration step 29): the
stored rows are the run's regions (a flood-fill oracle), the ``semantic_regions`` sample
condition keeps exactly the samples with a matching row, a patches page of kind
``regions`` pages them exactly in score order, deletes and copies take them with their
samples, and a catalog of step 28 opens with the table."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.query.filters import FilterError
from visionlens_jlab.catalog.reads.patch_query import parse_patch_query
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.label_quality import stored
from visionlens_jlab.label_quality.region_pages import region_pixels, regions_page
from visionlens_jlab.label_quality.semantic_masks import MIN_REGION_PIXELS
from visionlens_jlab.semantic.classes import VOC_CLASSES

from .notebook_fixtures import running_kernel
from .semantic_fixtures import save_palette
from .test_label_quality_semantic import K, flood_regions, scene, write_and_score
from .test_wire_answers import assert_answers

COLUMNS = ("sample_id", "region", "class", "predicted", "pixels", "x", "y", "w", "h", "score",
           "flagged")  # fmt: skip


def rows(catalog: Catalog, dataset: str = "seg") -> list[dict[str, Any]]:
    """The stored regions of ``dataset``, as dicts."""
    with catalog.cursor() as cur:
        found = cur.execute(
            f"SELECT {', '.join(COLUMNS)} FROM semantic_regions r JOIN datasets d "  # noqa: S608 - fixed names
            "ON d.dataset_id = r.dataset_id WHERE d.name = ? AND r.model = 'net'",
            [dataset],
        ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in found]


def oracle(
    gts: list[np.ndarray], preds: list[np.ndarray], order: list[int]
) -> set[tuple[Any, ...]]:
    """Every region of at least MIN_REGION_PIXELS pixels, by flood fill: (sample, class,
    predicted, pixels, box, score rounded, flagged)."""
    out = set()
    for i, (gt, pred) in enumerate(zip(gts, preds, strict=True)):
        for region in flood_regions(gt):
            n = int(region.sum())
            if n < MIN_REGION_PIXELS:
                continue
            ys, xs = np.nonzero(region)
            score = float((pred[region] == gt[region]).mean())
            top = int(np.argmax(np.bincount(pred[region].astype(int), minlength=K)))
            out.add((order[i], VOC_CLASSES[gt[region][0]], VOC_CLASSES[top], n,
                     int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1,
                     round(score, 9), score <= 0.5))  # fmt: skip
    return out


def as_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["sample_id"], r["class"], r["predicted"], r["pixels"], r["x"], r["y"], r["w"],
            r["h"], round(r["score"], 9), r["flagged"])  # fmt: skip


@pytest.fixture
def scored(tmp_path: Path) -> Any:
    gts, preds, plants = scene(0, 16, 0.4)
    catalog, out, order = write_and_score(tmp_path, gts, preds)
    yield catalog, out, order, gts, preds, plants
    catalog.close()


def test_the_rows_are_the_runs_regions(scored: Any) -> None:
    catalog, out, order, gts, preds, _ = scored
    got = rows(catalog)
    assert {as_key(r) for r in got} == oracle(gts, preds, order)
    assert len(got) == len(oracle(gts, preds, order))  # each region once
    for sample in {r["sample_id"] for r in got}:  # numbered 0..n-1 in each image
        mine = sorted(r["region"] for r in got if r["sample_id"] == sample)
        assert mine == list(range(len(mine)))
    # the flagged rows are the run's result, and GET label-quality reads them back
    flagged = sorted((r for r in got if r["flagged"]),
                     key=lambda r: (r["score"], r["sample_id"], r["y"], r["x"]))  # fmt: skip
    want = [{k: v for k, v in r.items() if k != "region"} for r in flagged]
    assert out["regions"] == want and want
    assert stored(catalog, "seg", "net")["regions"] == want


CONDITIONS = [
    {"model": "net", "flagged": True},
    {"model": "net", "flagged": False, "score": {"max": 0.99}},
    {"model": "net", "class": ["background"]},
    {"model": "net", "class": "aeroplane", "predicted": ["aeroplane", "bicycle"]},
    {"model": "net", "score": {"min": 0.2, "max": 0.7}},
    {"model": "other"},
]


def _matches(r: dict[str, Any], cond: dict[str, Any]) -> bool:
    classes = cond.get("class")
    classes = [classes] if isinstance(classes, str) else classes
    score = cond.get("score", {})
    return (
        cond["model"] == "net"
        and (classes is None or r["class"] in classes)
        and ("predicted" not in cond or r["predicted"] in cond["predicted"])
        and ("flagged" not in cond or r["flagged"] == cond["flagged"])
        and r["score"] >= score.get("min", -1)
        and r["score"] <= score.get("max", 2)
    )


@pytest.mark.parametrize("cond", CONDITIONS)
def test_the_filter_keeps_the_samples_with_a_matching_region(scored: Any, cond: Any) -> None:
    catalog = scored[0]
    want = sorted({r["sample_id"] for r in rows(catalog) if _matches(r, cond)})
    spec = {"sample": {"semantic_regions": cond}}
    assert sample_ids(catalog, "seg", spec).to_pylist() == want
    # with another condition, each must hold
    spec = {"sample": {"semantic_regions": cond, "sample_id": {"min": scored[2][5]}}}
    assert sample_ids(catalog, "seg", spec).to_pylist() == [s for s in want if s >= scored[2][5]]


def test_bad_conditions_are_refused(scored: Any) -> None:
    for cond, message in (
        ({"class": ["x"]}, "with a 'model'"),
        ({"model": "net", "nope": 1}, "unknown sample.semantic_regions keys"),
        ({"model": "net", "flagged": 1}, "true or false"),
        ({"model": "net", "class": [1]}, "class name"),
    ):
        with pytest.raises(FilterError, match=message):
            sample_ids(scored[0], "seg", {"sample": {"semantic_regions": cond}})


def _page(catalog: Catalog, spec: Any, **body: Any) -> dict[str, Any]:
    return regions_page(catalog, "seg", spec, parse_patch_query({"kind": "regions", **body}))


def test_pages_of_regions_are_exact_and_in_score_order(scored: Any) -> None:
    catalog, _, order = scored[:3]
    every = rows(catalog)
    for spec, keep in (
        (None, lambda r: True),
        ({"sample": {"semantic_regions": {"model": "net", "flagged": True}}},
         lambda r: r["flagged"]),
        # a region condition holds for each region; other conditions select its samples
        ({"sample": {"semantic_regions": {"model": "net", "class": ["background"]},
                     "sample_id": {"max": order[7]}}},
         lambda r: r["class"] == "background" and r["sample_id"] <= order[7]),
    ):  # fmt: skip
        want = sorted((r for r in every if keep(r)),
                      key=lambda r: (r["score"], r["sample_id"], r["region"]))  # fmt: skip
        got: list[dict[str, Any]] = []
        for offset in range(0, len(want) + 7, 7):
            page = _page(catalog, spec, model="net", offset=offset, limit=7)
            assert page["total"] == len(want) and page["kind"] == "regions"
            got += page["objects"]
        assert [(o["sample_id"], o["region"]) for o in got] == [
            (r["sample_id"], r["region"]) for r in want
        ]
        assert all(o["label"] == r["class"] and o["predicted"] == r["predicted"]
                   for o, r in zip(got, want, strict=True))  # fmt: skip
    desc = _page(catalog, None, model="net", sort="score", order="desc", limit=1000)["objects"]
    assert [o["score"] for o in desc] == sorted((r["score"] for r in every), reverse=True)
    with pytest.raises(FilterError, match="need 'model'"):
        parse_patch_query({"kind": "regions"})
    with pytest.raises(FilterError, match="sort by 'score' only"):
        _page(catalog, None, model="net", sort="area")


def test_deleted_samples_take_their_regions_and_copies_keep_theirs(scored: Any) -> None:
    from visionlens_jlab import edits
    from visionlens_jlab.bulk.delete_samples import delete_view_samples
    from visionlens_jlab.bulk.subset import subset_dataset

    catalog, _, order = scored[:3]
    before = rows(catalog)
    subset_dataset(catalog, "seg", "part", {"ids": order[:5]})
    copied = rows(catalog, "part")
    assert len(copied) == sum(r["sample_id"] in order[:5] for r in before) > 0
    assert {as_key({**r, "sample_id": 0}) for r in copied} == {
        as_key({**r, "sample_id": 0}) for r in before if r["sample_id"] in order[:5]
    }
    delete_view_samples(catalog, "seg", {"ids": order[:3]}, "tester")
    assert rows(catalog) == [r for r in before if r["sample_id"] not in order[:3]]
    assert _page(catalog, None, model="net", limit=1000)["total"] == len(rows(catalog))
    edits.undo(catalog, "seg", "tester")
    assert sorted(map(as_key, rows(catalog))) == sorted(map(as_key, before))


def test_a_regions_pixels_are_found_again_in_the_label_map(scored: Any, tmp_path: Path) -> None:
    """What the crop route draws: each stored region's pixels, found again in the ground
    truth's label map, are exactly its flood-filled component; a label map changed since
    the run no longer holds them (nothing is drawn rather than the wrong pixels)."""
    catalog, _, order, gts, _, _ = scored
    position = {sid: i for i, sid in enumerate(order)}
    stored_rows = rows(catalog)
    for r in stored_rows:
        found = region_pixels(catalog, "seg", r["sample_id"], r)
        assert found is not None, r
        x, y, mask = found
        assert (x, y, mask.shape) == (r["x"], r["y"], (r["h"], r["w"]))
        own = [
            region[y : y + r["h"], x : x + r["w"]]
            for region in flood_regions(gts[position[r["sample_id"]]])
            if int(region.sum()) == r["pixels"] and region[y : y + r["h"], x : x + r["w"]].sum()
            == r["pixels"] and VOC_CLASSES[gts[position[r["sample_id"]]][region][0]] == r["class"]
        ]  # fmt: skip
        assert any(np.array_equal(mask, o) for o in own), r
    first = stored_rows[0]
    blank = np.zeros_like(gts[position[first["sample_id"]]])
    save_palette(
        blank, tmp_path / "VOC" / "SegmentationClass" / f"im_{position[first['sample_id']]:03d}.png"
    )
    assert region_pixels(catalog, "seg", first["sample_id"], first) is None


def test_a_catalog_of_step_28_gets_the_table(tmp_path: Path) -> None:
    gts, preds, _ = scene(2, 4, 0.5)
    catalog, _, order = write_and_score(tmp_path, gts, preds)
    catalog.close()
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"))
    try:  # what the code of step 28 wrote: no regions table, version 28
        con.execute("DROP TABLE semantic_regions")
        con.execute("UPDATE meta SET value = '28' WHERE key = 'schema_version'")
    finally:
        con.close()
    with Catalog(tmp_path / "data") as catalog:
        with catalog.cursor() as cur:
            version = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            n = cur.execute("SELECT count(*) FROM semantic_regions").fetchall()[0][0]
            samples = cur.execute("SELECT count(*) FROM samples").fetchall()[0][0]
        assert version == [(str(latest_version()),)] and n == 0 and samples == len(order)
        # the old run's fields stay; its regions were never stored: none made up
        answer = stored(catalog, "seg", "net")
        assert answer["regions"] == [] and len(answer["images"]) == len(order)
        from visionlens_jlab.label_quality.job import run_label_quality

        again = run_label_quality(catalog, "seg", "net")
        assert stored(catalog, "seg", "net")["regions"] == again["regions"]
        assert len(rows(catalog)) > 0


async def test_the_rest_routes(
    api: Any, jp_fetch: Any, vl_app: Any, http_server_client: Any, tmp_path: Path
) -> None:
    from visionlens_jlab.label_quality.job import run_label_quality

    from .test_label_quality_semantic import ingest_scene

    gts, preds, _ = scene(4, 6, 0.5)
    ingest_scene(vl_app.catalog, tmp_path, gts, preds)
    out = run_label_quality(vl_app.catalog, "seg", "net")
    status, answer = await api("GET", "datasets/seg/label-quality", params={"model": "net"})
    assert status == 200 and answer["regions"] == out["regions"] and out["regions"]
    assert_answers("/datasets/{name}/label-quality", "get", answer)
    # the quality view: the run's one row, its regions per class, and the patches it opens
    status, overview = await api("GET", "datasets/seg/quality")
    assert status == 200 and overview["model"] == "net", overview
    assert_answers("/datasets/{name}/quality", "get", overview)
    assert {"name": "net", "kind": "semantic", "scorable": True, "reason": None} in overview[
        "models"
    ]
    (row,) = overview["label"]["issues"]
    per_class: dict[str, int] = {}
    for r in out["regions"]:
        per_class[r["class"]] = per_class.get(r["class"], 0) + 1
    assert row["count"] == len(out["regions"])
    assert {c["class"]: c["count"] for c in row["classes"]} == per_class
    assert [c["count"] for c in row["classes"]] == sorted(per_class.values(), reverse=True)
    assert (row["kind"], row["model"], row["sort"], row["order"]) == (
        "regions",
        "net",
        "score",
        "asc",
    )
    flagged = row["filter"]
    assert flagged == {"sample": {"semantic_regions": {"model": "net", "flagged": True}}}
    body = {"kind": "regions", "model": "net", "filter": flagged, "limit": 2}
    status, page = await api("POST", "datasets/seg/patches", body)
    assert status == 200 and page["total"] == len(out["regions"])
    assert_answers("/datasets/{name}/patches", "post", page)
    worst = page["objects"][0]
    assert (worst["sample_id"], worst["label"], worst["score"]) == (
        out["regions"][0]["sample_id"], out["regions"][0]["class"], out["regions"][0]["score"],
    )  # fmt: skip
    assert worst["crop"] is not None
    status, every = await api("POST", "datasets/seg/patches", {**body, "limit": 1000})
    regions = [[o["sample_id"], o["region"]] for o in every["objects"]]
    assert status == 200 and len(regions) == len(out["regions"])
    async with running_kernel() as k:
        # the row's notebook call, exactly as its copy button copies it: the same regions
        printed = await k.check(
            f"import json\nimport visionlens_jlab as vl\ndf = {row['code']}\n"
            "print(json.dumps(df[['sample_id', 'region']].values.tolist()))"
        )
    assert json.loads(printed) == regions, row["code"]
    path = f"datasets/seg/samples/{worst['sample_id']}/regions/{worst['region']}/crop"
    status, jpeg = await api("GET", path, params={"model": "net"})
    assert status == 200 and jpeg[:2] == b"\xff\xd8"
    # the images are black: the red is the region's pixels, drawn on its crop
    assert np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))[..., 0].max() > 120
    for params, code in (
        ({}, 400),
        ({"model": "other"}, 404),
        ({"model": "net", "size": "x"}, 400),
    ):
        status, _ = await api("GET", path, params=params)
        assert status == code, params
    status, _ = await api("GET", f"datasets/seg/samples/{worst['sample_id']}/regions/9999/crop",
                          params={"model": "net"})  # fmt: skip
    assert status == 404
    status, answer = await api("POST", "datasets/seg/patches", {"kind": "regions"})
    assert status == 400 and "need 'model'" in answer["message"]
    status, answer = await api("POST", "datasets/seg/patches", {"kind": "regions", "model": "x"})
    assert status == 404
    for method, route in (("POST", "datasets/seg/patches"), ("GET", path)):
        response = await jp_fetch(
            "visionlens", "api", *route.split("/"), method=method, raise_error=False,
            headers={"Authorization": ""}, body="{}" if method == "POST" else None,
            params={"model": "net"},
        )  # fmt: skip
        assert response.code in (401, 403), (route, response.code)


def test_the_grid_pages_counts_and_facets_take_the_condition(scored: Any) -> None:
    """The quality row sets this filter on the grid: its pages, facets and id lists answer it
    (the planner's in-memory routes leave the condition to SQL, each facet keeps it)."""
    from visionlens_jlab.catalog.reads import queries

    catalog = scored[0]
    spec = {"sample": {"semantic_regions": {"model": "net", "flagged": True}}}
    want = sorted({r["sample_id"] for r in rows(catalog) if r["flagged"]})
    page = queries.samples_page(catalog, "seg", spec, limit=500)
    assert page["total"] == len(want)
    assert sorted(s["sample_id"] for s in page["samples"]) == want
    facets = queries.facets(catalog, "seg", spec)
    assert facets["total"] == len(want)
    split = next(f for f in facets["facets"] if f["name"] == "split")
    assert sum(v["count"] for v in split["values"]) == len(want)
