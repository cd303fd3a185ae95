"""A filter's samples as a mask from the box index (catalog/plan/filter_masks.py): for random
filters of every shape it answers in memory, mixed with shapes it leaves to SQL, the mask
is exactly the samples the compiled SQL filter keeps; the in-memory shapes run no SQL; a
new model's boxes are what the next mask sees."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import visionlens_jlab.catalog.plan.filter_masks as filter_masks
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.indexes.tag_lists import tag_lists
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import compile_filter
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows

N = 300
CLASSES = [f"c{k}" for k in range(12)]
GT = "ground_truth"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    rnd = random.Random(21)
    cat = Catalog(tmp_path_factory.mktemp("masks"))
    samples, boxes = random_rows(rnd, N)
    for k, box in enumerate(boxes):
        if k % 9 == 0:
            box["area"] = None  # a NULL meets no bound
    write_dataset(cat, "d", RowsSource(samples, boxes, CLASSES))
    preds = random_predictions(rnd, N, 1, False)
    for k, p in enumerate(preds):
        if k % 13 == 0:
            p["score"] = None
    write_predictions(cat, "d", "m1", PredictionRowsSource(preds))
    update_tags(cat, "d", {"ids": list(range(1, N, 4))}, add=["t1"])
    update_tags(cat, "d", {"ids": list(range(1, N, 6))}, add=["t2", "t3"])
    yield cat
    cat.close()


def sql_ids(cat: Catalog, spec: dict[str, Any]) -> set[int]:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "d")
        flt = compile_filter(ds, spec)
        rows = cur.execute(f"SELECT s.sample_id FROM samples s WHERE {flt.where}", flt.params)  # noqa: S608 - compiled
        return {int(r[0]) for r in rows.fetchall()}


def mask_ids(cat: Catalog, spec: dict[str, Any]) -> set[int]:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "d")
        boxes = box_index(cat, cur, ds)
        assert boxes is not None
        tags = tag_lists(cat, cur, ds, boxes.samples)
        mask = filter_masks.filtered_mask(cat, cur, ds, parse_filter(spec), boxes, None, tags)
        assert mask is not None
        return {int(i) for i in boxes.samples.ids[mask]}


def some_scores(cat: Catalog) -> list[float]:
    with cat.cursor() as cur:
        rows = cur.execute("SELECT DISTINCT score FROM annotations WHERE score IS NOT NULL")
        return sorted(float(r[0]) for r in rows.fetchall())


def _bound(rnd: random.Random, values: list[float]) -> float | None:
    roll = rnd.random()
    if roll < 0.2:
        return None
    if roll < 0.6:
        return rnd.choice(values)  # an existing value: the bound's equality matters
    return rnd.uniform(values[0] - 1, values[-1] + 1)


def _range(rnd: random.Random, values: list[float]) -> dict[str, Any]:
    lo, hi = _bound(rnd, values), _bound(rnd, values)
    cond = {"min": lo, "max": hi}
    return {k: v for k, v in cond.items() if v is not None or rnd.random() < 0.3} or {"min": None}


def random_part(rnd: random.Random, scores: list[float]) -> dict[str, Any]:
    """One condition of any shape, in memory or not."""
    sources = [GT, "m1", "nomodel"]
    choices: list[Callable[[], dict[str, Any]]] = [
        lambda: {"sample": {"split": {"in": rnd.sample(["train", "val", "test", "x", 5], 2)}}},
        lambda: {"sample": {rnd.choice(["width", "height"]): _range(rnd, [240, 320, 480, 641, 1280])}},
        lambda: {"labels": {"source": rnd.choice(sources), "classes": rnd.sample([*CLASSES, "zz"], 2)}},
        lambda: {"labels": {"source": rnd.choice(sources), "score": _range(rnd, scores)}},
        lambda: {"labels": {"source": rnd.choice(sources),
                            "where": {rnd.choice(["x", "y", "w", "h", "area", "score"]):
                                      _range(rnd, [0.5, 50.0, 100.0, 150.0, 2500.0, 9000.0])}}},
        lambda: {"labels": {"source": rnd.choice([GT, "m1", "predictions"]), "classes": ["c1"],
                            "score": {"min": 0.5}}},  # same-box conditions: SQL
        lambda: {"tags": {rnd.choice(["any", "all", "none"]): rnd.sample(["t1", "t2", "t3", "zz"], rnd.randint(0, 2))}},
        lambda: {"tags": {"any": ["t1", "t3"], "all": ["t2"]}},
        lambda: {"box_count": {"source": "m1", "min": rnd.randint(0, 3)}},
        lambda: {"ids": rnd.sample(range(1, N + 50), 40)},
        lambda: {"sample": {"split": {"is_null": True}}},
    ]  # fmt: skip
    return rnd.choice(choices)()


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "sample":
                spec.setdefault("sample", {}).update(value)
            elif key == "labels":
                spec.setdefault("labels", []).append(value)
            else:
                spec[key] = value
    return spec


def test_random_filters_give_the_sql_samples(catalog: Catalog) -> None:
    rnd = random.Random(3)
    scores = some_scores(catalog)
    for _ in range(250):
        spec = merged([random_part(rnd, scores) for _ in range(rnd.randint(1, 3))])
        assert mask_ids(catalog, spec) == sql_ids(catalog, spec), spec


IN_MEMORY: list[dict[str, Any]] = [
    {"sample": {"split": {"in": ["val", "test"]}}},
    {"sample": {"width": {"min": 320, "max": 641}}},
    {"labels": {"source": GT, "classes": ["c1", "c3"]}},
    {"labels": [{"source": "m1", "classes": ["c2"]}, {"source": GT, "classes": ["c2"]}]},
    {"labels": {"source": "m1", "score": {"min": 0.9}}},
    {"labels": {"source": GT, "where": {"area": {"min": 1000, "max": 5000}}}},
    {"labels": {"source": "nomodel", "classes": ["c1"]}},
    {"ids": [5, 3, 3, 10**9]},
    {"tags": {"any": ["t1", "zz"]}},
    {"tags": {"all": ["t2", "t3"], "any": []}},
]


@pytest.mark.parametrize("spec", IN_MEMORY, ids=str)
def test_in_memory_shapes_run_no_sql(
    catalog: Catalog, spec: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = sql_ids(catalog, spec)

    def no_sql(*args: Any) -> Any:
        raise AssertionError(f"SQL ran for {spec}")

    monkeypatch.setattr(filter_masks, "_sql_ids", no_sql)
    assert mask_ids(catalog, spec) == expected


def test_a_new_model_is_what_the_next_mask_sees(tmp_path: Any) -> None:
    rnd = random.Random(8)
    cat = Catalog(tmp_path)
    samples, boxes = random_rows(rnd, 60)
    write_dataset(cat, "d", RowsSource(samples, boxes, CLASSES))
    write_predictions(cat, "d", "m1", PredictionRowsSource(random_predictions(rnd, 60, 1, False)))
    specs: list[dict[str, Any]] = [
        {"labels": {"source": "m1", "score": {"min": 0.5}}},
        {"labels": {"source": "m1", "where": {"area": {"max": 900}}}},
        {"labels": {"source": "m1", "classes": ["c1"]}},
    ]
    before = [mask_ids(cat, s) for s in specs]  # builds the index and its area column
    write_predictions(cat, "d", "m1", PredictionRowsSource(random_predictions(rnd, 60, 2, False)))
    after = [mask_ids(cat, s) for s in specs]
    assert after == [sql_ids(cat, s) for s in specs]
    assert after != before
    cat.close()


def test_an_empty_filter_keeps_every_sample(catalog: Catalog) -> None:
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "d")
        boxes = box_index(catalog, cur, ds)
        assert boxes is not None
        mask = filter_masks.filtered_mask(catalog, cur, ds, parse_filter({}), boxes)
    assert mask is not None and bool(np.all(mask))
