"""Objects as a row kind of the planner (#48 item 4), in process on a DuckDB catalog: a page
of objects sorted by score is the plain query's page, kept in the page cache until a write;
a patch carries every declared label kind's fields (a rotated box's corners, a polyline's
points); a saved version's patches are read with the version as a parameter of the query,
not a state of the request's context; the sort is parsed once into a typed value that the
planner's object plan carries and checks."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.base.errors import CatalogError
from visionlens_jlab.catalog.plan.planner import Strategy, forced_sql, plan_page
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import FilterError
from visionlens_jlab.catalog.query.object_sort import SORTABLE_COLUMNS, ObjectSort
from visionlens_jlab.catalog.query.sample_sort import SampleSort
from visionlens_jlab.catalog.reads.object_pages import parse_patch_query, patches_page
from visionlens_jlab.catalog.tables import labels_view
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.evaluate.api import evaluate_model
from visionlens_jlab.records.batches import (
    ANNOTATION_LABEL_FIELDS,
    ANNOTATION_SCHEMA,
    SAMPLE_SCHEMA,
    Batch,
    ColumnBuffer,
)

from .catalog_fixtures import RowsSource
from .edit_fixtures import random_ops
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset

PLANE = [10.0, 10.0, 50.0, 20.0, 45.0, 40.0, 5.0, 30.0]  # a rotated box's four corners
LANE = [0.0, 90.0, 30.0, 60.0, 55.0, 45.0]  # a polyline's three points


def wire(page: dict[str, Any]) -> dict[str, Any]:
    """A page as the REST answer carries it (the stored JSON fragments as values)."""
    parsed: dict[str, Any] = json.loads(orjson.dumps(page))
    return parsed


def test_an_objects_page_by_score_is_the_plain_query_and_cached_until_a_write(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, "rich")
    spec = {
        "sample": {"split": {"in": ["val"]}},
        "labels": {"source": "m1", "classes": ["c1", "c2", "c5"], "score": {"min": 0.2}},
    }
    with catalog.cursor() as cur:
        plain = cur.execute(
            """SELECT a.ann_id FROM annotations a JOIN samples s USING (sample_id)
               WHERE a.dataset_id = ? AND a.source = 'm1' AND s.split = 'val'
                 AND a.label IN ('c1', 'c2', 'c5') AND a.score >= 0.2
               ORDER BY a.score DESC NULLS LAST, a.ann_id""",
            [ds],
        ).fetchall()
    want = [r[0] for r in plain]
    assert len(want) > 20
    body = {"source": "m1", "sort": "score", "order": "desc", "offset": 4, "limit": 12}
    query = parse_patch_query(body)
    hits = catalog.results.hits
    page = patches_page(catalog, "rich", spec, query)
    assert page["total"] == len(want)
    assert [o["ann_id"] for o in page["objects"]] == want[4:16]
    assert page["version"] is None and page["evaluation"] is None
    with forced_sql():  # the reference route answers alike
        assert wire(patches_page(catalog, "rich", spec, query)) == wire(page)
    # the same query again: the page cache's answer, until a write to the dataset
    again = patches_page(catalog, "rich", spec, query)
    assert catalog.results.hits > hits and again == wire(page)
    update_tags(catalog, "rich", {"ids": [page["objects"][0]["sample_id"]]}, add=["t9"])
    hits = catalog.results.hits
    after = patches_page(catalog, "rich", spec, query)  # read again after the write
    assert catalog.results.hits == hits and after["total"] == page["total"]


class KindsSource(RowsSource):
    """Objects with the label kinds' own columns (a rotated box, a polyline)."""

    def batches(self) -> Iterator[Batch]:
        samples = ColumnBuffer(SAMPLE_SCHEMA)
        for i, row in enumerate(self._samples):
            samples.append(sample_index=i, location=f"/data/images/{row['file_name']}", **row)
        kinds = [f for f in ANNOTATION_LABEL_FIELDS if f.name in ("obb", "polyline")]
        objects = ColumnBuffer(pa.schema([*ANNOTATION_SCHEMA, *kinds]))
        for box in self._boxes:
            objects.append(**box)
        yield Batch(samples.take(), objects.take())


def test_rotated_box_and_polyline_patches_carry_their_points(tmp_path: Path) -> None:
    cat = Catalog(tmp_path)
    samples = [{"file_name": "a.png", "width": 100, "height": 100}]
    objects = [
        {"sample_index": 0, "label": "plane", "x": 5.0, "y": 10.0, "w": 45.0, "h": 30.0,
         "area": 900.0, "obb": PLANE},
        {"sample_index": 0, "label": "lane", "x": 0.0, "y": 45.0, "w": 55.0, "h": 45.0,
         "area": 0.0, "polyline": LANE},
        {"sample_index": 0, "label": "car", "x": 1.0, "y": 1.0, "w": 2.0, "h": 2.0, "area": 4.0},
    ]  # fmt: skip
    write_dataset(cat, "kinds", KindsSource(samples, objects, ["plane", "lane", "car"]))
    page = wire(patches_page(cat, "kinds", {}, parse_patch_query({})))
    by_label = {o["label"]: o for o in page["objects"]}
    assert by_label["plane"]["obb"] == PLANE and "polyline" not in by_label["plane"]
    assert by_label["lane"]["polyline"] == LANE and "obb" not in by_label["lane"]
    assert "obb" not in by_label["car"] and "polyline" not in by_label["car"]
    # every object carries its box as the declared wire field too, and the plain fields
    assert (
        by_label["car"]["bbox"]
        == [1.0, 1.0, 2.0, 2.0]
        == [by_label["car"][k] for k in ("x", "y", "w", "h")]
    )
    # the rotated kind's filter word keeps its objects, with their corners
    rotated = {"labels": {"type": "rotated"}}
    page = wire(patches_page(cat, "kinds", rotated, parse_patch_query({})))
    assert [o["obb"] for o in page["objects"]] == [PLANE]


def test_a_version_of_patches_is_a_parameter_not_a_context(
    catalog: Catalog,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = dataset(catalog, "bare")
    body = {"sort": "area", "order": "desc", "limit": 50}
    before = patches_page(catalog, "bare", {}, parse_patch_query(body))
    version = edits.snapshot(catalog, "bare", "before", "u")["version"]
    edits.apply_edits(catalog, "bare", random_ops(random.Random(3), catalog, ds, 40), "u")
    now = patches_page(catalog, "bare", {}, parse_patch_query(body))
    assert wire(now) != wire(before)

    def no_context(position: int) -> Any:
        raise AssertionError(f"the patches path set the context's labels position {position}")

    monkeypatch.setattr(labels_view, "reading_position", no_context)
    then = patches_page(catalog, "bare", {}, parse_patch_query({**body, "version": version}))
    assert then["version"] == version
    assert wire({**then, "version": None}) == wire(before)
    # the current objects are still the current ones (the cache keys on the version)
    assert wire(patches_page(catalog, "bare", {}, parse_patch_query(body))) == wire(now)


def test_an_evaluation_colours_objects_and_names_evaluation_patches(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    evaluate_model(catalog, "rich", "m1")
    ds = dataset(catalog, "rich")
    with catalog.cursor() as cur:
        ((key,),) = cur.execute(
            "SELECT eval_key FROM evaluations WHERE dataset_id = ? AND model = 'm1' AND latest",
            [ds],
        ).fetchall()
        judged = dict(
            cur.execute(
                "SELECT ann_id, status FROM box_evaluations WHERE eval_key = ?", [key]
            ).fetchall()
        )
    body = {"sort": "area", "limit": 200}
    plain = patches_page(catalog, "rich", {}, parse_patch_query(body))
    coloured = patches_page(catalog, "rich", {}, parse_patch_query({**body, "evaluation": "m1"}))
    assert coloured["evaluation"] == key and plain["evaluation"] is None
    assert [o["ann_id"] for o in coloured["objects"]] == [o["ann_id"] for o in plain["objects"]]
    assert all("status" not in o for o in plain["objects"])
    statuses = [o["status"] for o in coloured["objects"]]
    assert statuses == [judged.get(o["ann_id"]) for o in coloured["objects"]]
    assert "fn" in statuses  # ground truth the model missed: the miss colour
    # evaluation patches of the key are those of the model's latest evaluation
    by_model = patches_page(
        catalog, "rich", {}, parse_patch_query({"kind": "evaluation", "model": "m1"})
    )
    by_key = patches_page(
        catalog, "rich", {}, parse_patch_query({"kind": "evaluation", "evaluation": key})
    )
    assert by_key == by_model and by_key["evaluation"] == key and by_key["source"] == "m1"
    with pytest.raises(CatalogError, match="evaluation statuses are of the current labels"):
        parse_patch_query({"evaluation": key, "version": 1})


def test_a_sort_is_parsed_once_and_the_object_plan_carries_it() -> None:
    typed = {
        "area": ObjectSort("column", "area", "DESC"),
        "iou": ObjectSort("iou", "iou", "DESC"),
        "lq_score": ObjectSort("lq", "score", "DESC"),
        "lq_swapped": ObjectSort("lq", "swapped", "DESC"),
        "attributes.depth": ObjectSort("attribute", "depth", "DESC"),
    }
    for word, want in typed.items():
        query = parse_patch_query(
            {"kind": "evaluation", "model": "m1", "sort": word, "order": "DESC"}
        )
        assert query.sort == want and query.sort.field == word
    assert parse_patch_query({}).sort == ObjectSort("column", "ann_id", "ASC")
    # a bad sort or order names the choices
    for body, words in (
        ({"sort": "nope"}, ["cannot sort patches by 'nope'", *map(repr, SORTABLE_COLUMNS),
                            "'iou'", "'lq_score'", "'lq_<issue>'", "'attributes.<key>'"]),
        ({"sort": "lq_nope"}, ["cannot sort patches by 'lq_nope'"]),
        ({"sort": "attributes."}, ["cannot sort patches by 'attributes.'"]),
        ({"sort": 3}, ["'sort' must be a field name"]),
        ({"order": "up"}, ["'order' must be 'asc' or 'desc'"]),
    ):  # fmt: skip
        with pytest.raises(FilterError) as refused:
            parse_patch_query(body)
        assert all(w in str(refused.value) for w in words), (body, refused.value)
    # the planner's object plan carries the typed sort and picks the route it needs
    whole = parse_filter({})
    by_iou = plan_page(whole, typed["iou"], "DESC", "objects", evaluation=True)
    assert by_iou.sort == typed["iou"]
    assert by_iou.routes[0].strategy is Strategy.EVALUATION_ROWS
    assert by_iou.routes[0].parts == (typed["iou"],)
    by_area = plan_page(whole, typed["area"], "DESC", "objects", evaluation=True)
    assert by_area.sort == typed["area"] and by_area.strategies == (Strategy.SQL,)
    assert plan_page(whole, None, "ASC", "objects").sort == ObjectSort()
    with pytest.raises(FilterError, match="sort by 'iou' needs evaluation patches"):
        plan_page(whole, typed["iou"], "DESC", "objects")
    assert plan_page(whole, "width", "ASC").sort == SampleSort("column", "width")  # typed too
