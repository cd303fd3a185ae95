"""Label edits of one sample (catalog/writes/sample_labels.py) through the registry of
derived structures (catalog/derived/): every read after an edit equals the SQL reference
and a rebuild of every derived table from scratch, and a one-sample edit patches the held
box index instead of rebuilding it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

import visionlens_jlab.catalog.indexes.box_index as box_indexes
import visionlens_jlab.evaluate.eval_facet_index as eval_facet_index
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.base.errors import CatalogError, NotFoundError
from visionlens_jlab.catalog.derived import Change, Kind, apply_change
from visionlens_jlab.catalog.derived.registry import ordered
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.sql import box_ranges
from visionlens_jlab.catalog.writes.sample_labels import replace_labels
from visionlens_jlab.evaluate.eval_summaries import refresh_eval_summaries

from .test_facet_index import CLASSES, both, catalog  # noqa: F401 - the fixture
from .test_sorted_pages import check_one

DERIVED_TABLES = {
    "box_summaries": "sample_id, source",
    "eval_summaries": "eval_key, sample_id, source, status",
    "field_values": "key, sample_id",
    "facet_keys": "dataset_id",
    "box_value_lists": "field, source, sample_id",
    "facet_parts": "part",
}
"""Every derived table, and the columns that order its rows for a comparison."""

SPECS: list[dict[str, Any]] = [
    {"labels": {"source": "ground_truth", "classes": ["c1", "c4"]}},
    {"labels": {"source": "ground_truth", "classes": ["c2"], "eval": {"status": ["fn"]}}},
    {"labels": {"source": "ground_truth", "where": {"area": {"min": 100, "max": 900}}}},
    {"sample": {"split": {"in": ["val"]}}, "labels": {"source": "ground_truth", "classes": ["c3"]}},
    {"box_count": {"source": "ground_truth", "min": 2}},
    {"tags": {"any": ["t1"]}},
]
SORTS = ["box_count.ground_truth", "box_max.area.ground_truth", "width", None]


def dataset(cat: Catalog, name: str) -> int:
    with cat.cursor() as cur:
        return cat.dataset_id(cur, name)


def nth(cat: Catalog, ds: int, k: int) -> int:
    """The id of the dataset's ``k``-th sample."""
    with cat.cursor() as cur:
        ((first,),) = cur.execute(
            "SELECT MIN(sample_id) FROM samples WHERE dataset_id = ?", [ds]
        ).fetchall()
    return int(first) + k


def size(cat: Catalog, sample_id: int) -> tuple[int, int]:
    with cat.cursor() as cur:
        ((w, h),) = cur.execute(
            "SELECT width, height FROM samples WHERE sample_id = ?", [sample_id]
        ).fetchall()
    return w or 2000, h


def random_boxes(rnd: random.Random, w: int, h: int, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        bw, bh = rnd.uniform(1, w / 2), rnd.uniform(1, h / 2)
        x, y = rnd.uniform(0, w - bw), rnd.uniform(0, h - bh)
        box: dict[str, Any] = {"label": rnd.choice(CLASSES), "x": x, "y": y, "w": bw, "h": bh}
        if rnd.random() < 0.3:
            box["attributes"] = {rnd.choice(["occluded", "edited"]): True}
        out.append(box)
    return out


def table_rows(cat: Catalog, ds: int) -> dict[str, list[Any]]:
    """Every derived table's rows of the dataset (tokens left out: renewed by design)."""
    out = {}
    with cat.cursor() as cur:
        for table, order in DERIVED_TABLES.items():
            where = "dataset_id = ?" + (
                " AND part NOT IN ('index', 'tags_token')" if table == "facet_parts" else ""
            )
            sql = f"SELECT * FROM {table} WHERE {where} ORDER BY {order}"  # noqa: S608 - test constants
            out[table] = sorted(cur.execute(sql, [ds]).fetchall(), key=repr)
    return out


def rebuilt_rows(cat: Catalog, ds: int) -> dict[str, list[Any]]:
    """The derived tables rebuilt from the rows, every structure from scratch (the whole
    dataset's refreshes, the value lists listed again), then read."""
    with cat.cursor() as cur:
        fields = [
            r[0]
            for r in cur.execute(
                "SELECT field FROM box_value_fields WHERE dataset_id = ?", [ds]
            ).fetchall()
        ]
    with cat.write(ds) as cur:
        apply_change(cat, cur, Change(ds, Kind.SAMPLES_ADDED))
        refresh_eval_summaries(cur, ds)
        box_ranges.drop(cur, ds)
    for field in fields:
        with cat.cursor() as cur:
            box_ranges.ensure(cat, cur, ds, field)
    return table_rows(cat, ds)


def counted_builds(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[int]:
    """How many times ``module._build`` (a whole index) runs from now on."""
    count = [0]
    real = module._build

    def counting(*args: Any) -> Any:
        count[0] += 1
        return real(*args)

    monkeypatch.setattr(module, "_build", counting)
    return count


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times a whole box index was built."""
    yield counted_builds(monkeypatch, box_indexes)


def test_the_registry_orders_by_declared_dependencies() -> None:
    names = [s.name for s in ordered(Kind.LABELS)]
    assert names.index("box summaries") < names.index("evaluation summaries")
    assert names.index("facet keys") < names.index("box index") < names.index("facet parts")
    assert names.index("box index") < names.index("evaluation index")
    assert "field index" not in names  # samples.fields is not changed by a label edit
    assert [s.name for s in ordered(Kind.TAGS)] == ["facet parts", "tag lists"]


def test_random_edits_read_as_a_rebuild_and_the_sql(
    catalog: Catalog,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    builds: list[int],
) -> None:
    rnd = random.Random(3)
    ds = dataset(catalog, "rich")
    with catalog.cursor() as cur:  # the two-bound lists of area, kept across the edits
        box_ranges.ensure(catalog, cur, ds, "area")  # SPECS[2]'s field
    for spec in SPECS:  # the indexes held before the edits
        both(catalog, "rich", spec, monkeypatch)
    assert builds[0] == 1
    for _ in range(4):
        for _ in range(5):
            sample = rnd.randint(1, 400)
            w, h = size(catalog, sample)
            replace_labels(
                catalog, ds, sample, "ground_truth", random_boxes(rnd, w, h, rnd.randint(0, 6))
            )
        for spec in SPECS:
            fast, slow = both(catalog, "rich", spec, monkeypatch)
            assert fast == slow, spec
        for sort in SORTS:
            check_one_rich(catalog, monkeypatch, rnd.choice(SPECS), sort)
        patched = table_rows(catalog, ds)
        assert patched == rebuilt_rows(catalog, ds)
        for spec in SPECS:  # reads after the rebuild: the same answers
            both(catalog, "rich", spec, monkeypatch)
    assert builds[0] == 5  # one per rebuild of the test, none per edit


def check_one_rich(cat: Catalog, mp: pytest.MonkeyPatch, spec: Any, sort: str | None) -> None:
    """A sorted page of "rich" as the SQL pages it (test_sorted_pages.check_one on it)."""
    mp.setattr("tests.test_sorted_pages.page", lambda c, s, so, o, off: rich_page(c, s, so, o, off))
    check_one(cat, None, mp, spec, sort, "desc")


def rich_page(cat: Catalog, spec: Any, sort: str | None, order: str, offset: int) -> Any:
    out = queries.samples_page(
        cat, "rich", spec, sort=sort, order=order, offset=offset, limit=7,
        include_annotations=False,
    )  # fmt: skip
    return out["total"], [s["sample_id"] for s in out["samples"]]


def test_an_edit_patches_the_held_index(
    catalog: Catalog,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    builds: list[int],
) -> None:
    ds = dataset(catalog, "bare")
    spec = SPECS[1]  # with an eval label filter: the evaluation index is held too
    evaluation_builds = counted_builds(monkeypatch, eval_facet_index)
    both(catalog, "bare", spec, monkeypatch)
    held = box_indexes.held_index(catalog, ds)
    assert held is not None and builds[0] == 1 and evaluation_builds[0] == 1
    sample = nth(catalog, ds, 7)
    w, h = size(catalog, sample)
    box = {"label": "c4", "x": 0, "y": 0, "w": w / 2, "h": h / 2}
    replace_labels(catalog, ds, sample, "ground_truth", [box, box])
    now = box_indexes.held_index(catalog, ds)
    assert now is not None and now.token != held.token  # relabelled: current, not stale
    assert now.samples is held.samples and now.width is held.width  # shared, not rebuilt
    fast, slow = both(catalog, "bare", spec, monkeypatch)
    assert fast == slow
    assert builds[0] == 1 and evaluation_builds[0] == 1  # both patched, neither built


def test_invalid_boxes_write_nothing(catalog: Catalog) -> None:  # noqa: F811 - the fixture
    ds = dataset(catalog, "bare")
    before = table_rows(catalog, ds)
    with catalog.cursor() as cur:
        boxes_before = cur.execute("SELECT * FROM annotations ORDER BY ann_id").fetchall()
    sample = nth(catalog, ds, 3)
    w, h = size(catalog, sample)
    good = {"label": "c1", "x": 1, "y": 1, "w": 5, "h": 5}
    cases = [
        ({"label": "cat", "x": 1, "y": 1, "w": 5, "h": 5}, "label 'cat' is not a class"),
        ({**good, "w": 0}, "w and h must be positive"),
        ({**good, "x": w}, f"past the image width {w}"),
        ({**good, "y": float("nan")}, "y must be a finite number"),
        ({**good, "score": 0.5}, "ground-truth boxes have no score"),
        ({**good, "colour": "red"}, "unknown keys ['colour']"),
    ]
    for bad, message in cases:
        with pytest.raises(CatalogError, match=message.replace("[", r"\[").replace("]", r"\]")):
            replace_labels(catalog, ds, sample, "ground_truth", [good, bad])  # box 1 is bad
    with pytest.raises(NotFoundError, match="no model"):
        replace_labels(catalog, ds, sample, "m9", [good])
    with pytest.raises(NotFoundError, match="no sample"):
        replace_labels(catalog, ds, 10**9, "ground_truth", [good])
    with catalog.cursor() as cur:
        assert cur.execute("SELECT * FROM annotations ORDER BY ann_id").fetchall() == boxes_before
    assert table_rows(catalog, ds) == before


def test_an_edit_keeps_the_counts(catalog: Catalog) -> None:  # noqa: F811 - the fixture
    ds = dataset(catalog, "bare")
    sample = nth(catalog, ds, 5)
    with catalog.cursor() as cur:
        ((had,),) = cur.execute(
            "SELECT COUNT(*) FROM annotations WHERE sample_id = ? AND source = 'm1'", [sample]
        ).fetchall()
    before = {d["name"]: d for d in catalog.list_datasets()}["bare"]
    w, h = size(catalog, sample)
    box = {"label": "c2", "x": 0, "y": 0, "w": w, "h": h, "score": 0.9}
    assert replace_labels(catalog, ds, sample, "m1", [box] * 3) == 3
    assert replace_labels(catalog, ds, sample, "ground_truth", []) == 0
    after = {d["name"]: d for d in catalog.list_datasets()}["bare"]
    m1 = {m["name"]: m["num_predictions"] for m in after["models"]}["m1"]
    m1_before = {m["name"]: m["num_predictions"] for m in before["models"]}["m1"]
    assert m1 == m1_before + 3 - had
    assert after["num_annotations"] <= before["num_annotations"]
