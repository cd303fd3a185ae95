"""Evaluation patches pages against the statement they had before per-source parts, a
constant evaluation key and the rows read alone over an unbroken run of box ids (kept here
as the reference): the same total and page for random statuses, sorts, orders, offsets and
filters, on a catalog whose latest evaluation of one model names boxes that are gone (its
predictions were imported again), whose other model's evaluation shares the ground truth,
and (once as imported, once after a deleted box left a gap in its ids) whose ground truth's
misses are read alone or through the join."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.query.filter_model import Filter
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import Params, compile_parsed, label_match_sql
from visionlens_jlab.catalog.reads.evaluation_rows import id_range
from visionlens_jlab.catalog.reads.object_pages import parse_patch_query, patches_page
from visionlens_jlab.evaluate.api import evaluate_model

from .evaluate_fixtures import ingest, ingest_predictions
from .label_quality_fixtures import make_scene, write_coco

CLASSES = ["car", "dog", "cat"]
FILTERS: list[dict[str, Any]] = [
    {},
    {"sample": {"sample_id": {"max": 30}}},
    {"labels": {"classes": ["dog"]}},
    {"labels": {"source": "ground_truth", "classes": ["car", "cat"]}},
    {"labels": {"source": "det", "classes": ["cat"]}, "sample": {"sample_id": {"min": 10}}},
]
KEYS = {None: "a.ann_id", "iou": "e.iou", "score": "a.score", "area": "a.area"}


@pytest.fixture(scope="module", params=["runs", "gap"])
def catalog(tmp_path_factory: pytest.TempPathFactory, request: Any) -> Iterator[Catalog]:
    folder: Path = tmp_path_factory.mktemp("evalpages")
    first = make_scene(60, 0.3, 11, CLASSES)
    gt, dt = write_coco(first, folder / "a")
    _, other = write_coco(make_scene(60, 0.3, 12, CLASSES), folder / "b")
    with Catalog(folder / "catalog") as cat:
        ingest(cat, "scene", gt, "coco")
        ingest_predictions(cat, "scene", "det", dt, "coco")
        ingest_predictions(cat, "scene", "alt", other, "coco")
        evaluate_model(cat, "scene", "alt")
        evaluate_model(cat, "scene", "det")
        ingest_predictions(cat, "scene", "det", other, "coco")  # det's rows now name old boxes
        if request.param == "gap":  # a gap in the ground truth's ids: its misses need the join
            with cat.cursor() as cur:
                ((gap,),) = cur.execute(
                    "SELECT MEDIAN(ann_id)::BIGINT FROM annotations WHERE source = 'ground_truth'"
                ).fetchall()
            edits.apply_edits(cat, "scene", [{"op": "delete", "annotation_id": gap}], "tester")
        yield cat


def _reference(cat: Catalog, spec: dict[str, Any], body: dict[str, Any]) -> tuple[int, list]:
    """The total and page (ann_id, status, IoU, matched id) of the previous statement."""
    flt: Filter = parse_filter(spec)
    statuses, model = body["statuses"], body["model"]
    desc = body.get("order") == "desc"
    with cat.cursor() as cur:
        ((dataset_id,),) = cur.execute("SELECT dataset_id FROM datasets").fetchall()
        params = Params()
        joins = f"""JOIN (SELECT be.* FROM box_evaluations be JOIN evaluations ev
                ON ev.dataset_id = be.dataset_id AND ev.eval_key = be.eval_key
              WHERE be.dataset_id = {params.add(dataset_id)} AND ev.latest
                AND ev.model = {params.add(model)}) e ON e.ann_id = a.ann_id"""  # noqa: S608
        where = [f"a.dataset_id = {params.add(dataset_id)}"]
        ors = []
        positives = [s for s in statuses if s != "fn"]
        if positives:
            ors.append(f"(a.source = {params.add(model)} AND "
                       f"list_contains({params.add(positives)}::VARCHAR[], e.status))")  # fmt: skip
        if "fn" in statuses:
            ors.append("(a.source = 'ground_truth' AND e.status = 'fn')")
        where.append("(" + " OR ".join(ors) + ")")
        own = [one for one in flt.labels if any(one.matches_source(s) for s in (model, "ground_truth"))]  # fmt: skip
        match = label_match_sql(Filter(labels=tuple(own)), params)
        if match is not None:
            where.append(match)
        if not flt.whole_dataset:
            compiled = compile_parsed(dataset_id, flt)
            where.append(
                f"a.sample_id IN (SELECT s.sample_id FROM samples s WHERE {compiled.where})"  # noqa: S608
            )
            params.values.extend(compiled.params)
        direction = "DESC" if desc else "ASC"
        rows = cur.execute(
            f"""SELECT a.ann_id, e.status, e.iou, e.matched_ann_id, COUNT(*) OVER () FROM annotations a {joins}
                WHERE {" AND ".join(where)}
                ORDER BY {KEYS[body.get("sort")]} {direction} NULLS LAST, a.ann_id ASC""",  # noqa: S608
            params.values,
        ).fetchall()
    page = rows[body["offset"] : body["offset"] + body["limit"]]
    return (rows[0][4] if rows else 0), [tuple(r[:4]) for r in page]


def test_gone_boxes_are_in_the_reference(catalog: Catalog, request: Any) -> None:
    """The catalog exercises what the join decides: rows of boxes that are gone, true
    positives on both sides of a pair; the models' ids are runs, the ground truth's too
    until one of its boxes is deleted."""
    with catalog.cursor() as cur:
        ((gone, tp_gt),) = cur.execute(
            """SELECT COUNT(*) FILTER (WHERE a.ann_id IS NULL),
                      COUNT(*) FILTER (WHERE e.status = 'tp' AND a.source = 'ground_truth')
               FROM box_evaluations e JOIN evaluations v USING (dataset_id, eval_key)
               LEFT JOIN annotations a ON a.ann_id = e.ann_id
               WHERE v.latest AND v.model = 'det'"""
        ).fetchall()
    assert gone > 0 and tp_gt > 0
    with catalog.cursor() as cur:
        ((dataset_id,),) = cur.execute("SELECT dataset_id FROM datasets").fetchall()
        spans = [id_range(cur, dataset_id, s) for s in ("det", "alt", "ground_truth")]
    gap = request.node.callspec.params["catalog"] == "gap"
    assert spans[0] is not None and spans[1] is not None and (spans[2] is None) == gap


@pytest.mark.parametrize("model", ["det", "alt"])
def test_random_pages_equal_the_reference(catalog: Catalog, model: str) -> None:
    rng = random.Random(5)
    shown = 0
    subsets = [["tp"], ["fp"], ["fn"], ["tp", "fp"], ["tp", "fn"], ["fp", "fn"], ["tp", "fp", "fn"]]
    for _ in range(40):
        spec = rng.choice(FILTERS)
        body: dict[str, Any] = {
            "kind": "evaluation", "model": model, "statuses": rng.choice(subsets),
            "sort": rng.choice(list(KEYS)), "order": rng.choice(["asc", "desc"]),
            "limit": rng.randint(1, 25),
        }  # fmt: skip
        total, _ = _reference(catalog, spec, {**body, "offset": 0})
        body["offset"] = rng.randint(0, max(total - 1, 0))
        want_total, want = _reference(catalog, spec, body)
        page = patches_page(catalog, "scene", spec, parse_patch_query(body))
        got = [(o["ann_id"], o["status"], o["iou"], o["matched_ann_id"]) for o in page["objects"]]
        assert (page["total"], got) == (want_total, want), (spec, body)
        shown += bool(want)
    assert shown >= 20  # most pages hold objects: the comparison is not of empty lists
