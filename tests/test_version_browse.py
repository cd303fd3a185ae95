"""Browsing a saved version: the samples page, counts, facets and one sample read the labels
as they were at the version, through the one planner; current reads stay current; a write
naming a version is refused."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.notebook_fixtures import running_kernel
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog, NotFoundError
from visionlens_jlab.catalog.plan.planner import Strategy, plan_facets, plan_page
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.labels_position import reading_position

from .edit_fixtures import random_ops
from .test_edits_server import toy, write_toy  # noqa: F401 - the fixture
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset

SPECS: list[dict[str, Any]] = [
    {},
    {"labels": {"source": "ground_truth", "classes": ["c1", "c4"]}},
    {"labels": {"source": "ground_truth", "where": {"area": {"min": 100, "max": 900}}}},
    {"box_count": {"source": "ground_truth", "min": 2}},
    {"labels": {"source": "ground_truth", "tags": ["bad"]}},
    {"sample": {"split": {"in": ["val"]}}, "labels": {"source": "m1", "score": {"min": 0.5}}},
]
SORTS = [None, "box_count.ground_truth", "box_max.area.ground_truth"]


def truth_labels(sample: dict[str, Any]) -> set[str]:
    """The classes of a sample's ground-truth objects."""
    return {a["label"] for a in sample["annotations"] if a["source"] == "ground_truth"}


def answers(cat: Catalog, name: str, version: int | None = None) -> list[Any]:
    """Every page (both orders), count and facets answer of the specs and sorts."""
    out: list[Any] = []
    for spec in SPECS:
        for sort in SORTS:
            for order in ("asc", "desc"):
                page = queries.samples_page(
                    cat, name, spec, limit=40, sort=sort, order=order, version=version
                )
                out.append(page)
        facets = queries.facets(cat, name, spec, version=version)
        judged = [f for f in facets["facets"] if f["name"].startswith("eval.")]
        # evaluations judged the current labels: a version's facets leave them out
        assert bool(judged) == (version is None)
        out.append({**facets, "facets": [f for f in facets["facets"] if f not in judged]})
    return out


def test_a_version_reads_as_the_labels_were_and_current_as_they_are(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    name = "bare"
    ds = dataset(catalog, name)
    rnd = random.Random(5)
    edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 30), "u")
    v1 = edits.snapshot(catalog, name, "before", "u")["version"]
    before = answers(catalog, name)
    sample = before[0]["samples"][0]["sample_id"]
    detail_before = queries.sample_detail(catalog, name, sample)
    for _ in range(3):  # several batches: the fold takes each object's state at the version
        edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 40), "u")
    after = answers(catalog, name)
    assert after != before  # the edits changed what the views show
    assert answers(catalog, name, v1) == before
    assert answers(catalog, name) == after  # a version's answers never stand for current
    assert queries.sample_detail(catalog, name, sample, version=v1) == detail_before
    # the version stays readable after a restore of another state, and names its number
    edits.snapshot(catalog, name, "after", "u")
    edits.restore_version(catalog, name, v1, "u")
    assert answers(catalog, name, 2) == after
    assert answers(catalog, name) == before


def copies(cat: Catalog, ds: int) -> list[int]:
    """The versions of dataset ``ds`` whose labels are copied, oldest copy first."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT version FROM version_copies WHERE dataset_id = ? ORDER BY created_at",
            [ds],
        ).fetchall()
    return [r[0] for r in rows]


def test_a_version_copy_answers_as_the_fold_after_edits_and_a_restore(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    name = "bare"
    ds = dataset(catalog, name)
    rnd = random.Random(9)
    edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 30), "u")
    v1 = edits.snapshot(catalog, name, "one", "u")["version"]
    for _ in range(2):
        edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 40), "u")
    assert copies(catalog, ds) == []
    at_v1 = answers(catalog, name, v1)  # the first browse copies the version
    assert copies(catalog, ds) == [v1]
    edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 40), "u")
    assert copies(catalog, ds) == [v1]  # an edit keeps the copy: a version never changes
    assert answers(catalog, name, v1) == at_v1
    v2 = edits.snapshot(catalog, name, "two", "u")["version"]
    edits.restore_version(catalog, name, v1, "u")
    edits.apply_edits(catalog, name, random_ops(rnd, catalog, ds, 40), "u")
    at_v2 = answers(catalog, name, v2)
    assert copies(catalog, ds) == [v1, v2]
    path = catalog.data_dir
    catalog.close()
    with Catalog(path, read_only=True) as folded:  # cannot copy: it reads the fold's views
        assert answers(folded, name, v1) == at_v1
        assert answers(folded, name, v2) == at_v2
        assert copies(folded, ds) == [v1, v2]
    with Catalog(path) as cat:
        v3 = edits.snapshot(cat, name, "three", "u")["version"]
        assert answers(cat, name, v3) == answers(cat, name)
        assert copies(cat, ds) == [v2, v3]  # the oldest copy past KEPT_COPIES is dropped
        with cat.write(ds):  # a write outside the log may change labels: copies dropped
            pass
        assert copies(cat, ds) == []
        assert answers(cat, name, v1) == at_v1 and copies(cat, ds) == [v1]
        cat.delete_dataset(name)
        with cat.cursor() as cur:
            left = cur.execute(
                "SELECT COUNT(*) FROM version_annotations WHERE dataset_id = ?", [ds]
            ).fetchall()
        assert left == [(0,)] and copies(cat, ds) == []


def test_a_version_plans_the_sql_route_alone() -> None:
    flt = parse_filter({"labels": {"source": "ground_truth", "classes": ["cat"]}})
    assert plan_page(flt, None, "ASC").strategies[0] is not Strategy.SQL
    assert plan_facets(parse_filter({})).strategies == (Strategy.STORED_PARTS,)
    with reading_position(3):
        assert plan_page(flt, None, "ASC").strategies == (Strategy.SQL,)
        assert plan_facets(parse_filter({})).strategies == (Strategy.SQL,)


def test_an_unknown_version_or_evaluation_status_is_refused(tmp_path: Any) -> None:
    with Catalog(tmp_path) as cat:
        write_toy(cat, "toy")
        with pytest.raises(NotFoundError, match="no version 4"):
            queries.samples_page(cat, "toy", {}, version=4)
        with pytest.raises(NotFoundError, match="no version 4"):
            queries.facets(cat, "toy", {}, version=4)
        edits.snapshot(cat, "toy", "", "u")
        with pytest.raises(Exception, match="evaluation statuses are of the current labels"):
            queries.samples_page(cat, "toy", {}, version=1, eval_status="m1")


async def test_rest_browse_a_version_and_refuse_its_edits(
    api: Any,
    vl_app: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    status, v1 = await api("POST", f"datasets/{toy}/versions", {"message": "start"})
    assert status == 200
    cats = {"filter": {"labels": {"source": "ground_truth", "classes": ["cat"]}}, "limit": 0}
    status, before = await api("POST", f"datasets/{toy}/samples/query", cats)
    assert status == 200 and before["total"] > 0
    with vl_app.catalog.cursor() as cur:
        ids = [
            r[0]
            for r in cur.execute(
                "SELECT ann_id FROM annotations WHERE source = 'ground_truth' AND label = 'cat'"
            ).fetchall()
        ]
    ops = [{"op": "relabel", "annotation_id": a, "label": "dog"} for a in ids]
    status, _ = await api("POST", f"datasets/{toy}/edits", {"operations": ops})
    assert status == 200
    status, now = await api("POST", f"datasets/{toy}/samples/query", cats)
    assert status == 200 and now["total"] == 0
    at = {**cats, "version": v1["version"]}
    status, then = await api("POST", f"datasets/{toy}/samples/query", at)
    assert status == 200 and then["total"] == before["total"]
    status, page = await api(
        "GET", f"datasets/{toy}/samples", params={"version": "1", "filter": '{"ids": []}'}
    )
    assert status == 200 and page["total"] == 0
    status, facets = await api("GET", f"datasets/{toy}/facets", params={"version": "1"})
    truth = next(f for f in facets["facets"] if f.get("source") == "ground_truth")
    assert status == 200 and "cat" in {v["value"] for v in truth["values"]}
    status, listed = await api("POST", f"datasets/{toy}/samples/query", {**at, "limit": 1})
    sample = listed["samples"][0]["sample_id"]
    status, one = await api("GET", f"datasets/{toy}/samples/{sample}", params={"version": "1"})
    assert status == 200 and "cat" in truth_labels(one)
    status, current = await api("GET", f"datasets/{toy}/samples/{sample}")
    assert status == 200 and "cat" not in truth_labels(current)
    status, missing = await api("GET", f"datasets/{toy}/samples", params={"version": "9"})
    assert status == 404 and "no version 9" in missing["message"]
    status, bad = await api("GET", f"datasets/{toy}/facets", params={"version": "one"})
    assert status == 400 and "'version' must be" in bad["message"]
    status, refused = await api("POST", f"datasets/{toy}/edits", {"operations": ops, "version": 1})
    assert status == 409 and "read-only" in refused["message"]
    status, refused = await api("POST", f"datasets/{toy}/edits/undo", params={"version": "1"})
    assert status == 409 and "read-only" in refused["message"]
    status, refused = await api(
        "POST", f"datasets/{toy}/tags", {"filter": {}, "add": ["x"], "version": 1}
    )
    assert status == 409 and "read-only" in refused["message"]


async def test_notebook_reads_a_version_read_only(toy: str) -> None:  # noqa: F811 - the fixture
    async with running_kernel() as k:
        out = await k.check(
            "import visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('toy')\n"
            "boxes = ds.annotations(source='ground_truth')\n"
            "cat = boxes[boxes.label == 'cat'].iloc[0]\n"
            "v = ds.snapshot('before')['version']\n"
            "cats = {'labels': {'source': 'ground_truth', 'classes': ['cat']}}\n"
            "before = ds.count(cats)\n"
            "ds.edit([{'op': 'delete', 'annotation_id': int(cat.ann_id)}])\n"
            "old = ds.version(v)\n"
            "page = old.page(cats, limit=100)\n"
            "one = old.sample(int(cat.sample_id))\n"
            "try:\n"
            "    ds.version(99)\n"
            "except vl.VisionLensError as exc:\n"
            "    missing = str(exc)\n"
            "print(old.count(cats) == before, int(cat.ann_id) not in set(ds.annotations().ann_id),\n"
            "      len(page) == before, int(cat.ann_id) in [a['ann_id'] for a in one['annotations']],\n"
            "      'no version 99' in missing, 'total' in old.facets(cats),\n"
            "      int(cat.ann_id) in set(old.patches(cats).ann_id), repr(old))\n"
        )
    assert out.split()[:7] == ["True"] * 7
    assert "read-only" in out
