"""The answers cache (catalog/store/result_cache.py): every cached or reused answer equals the
plain query's on randomised filters (same ids, same order, same counts, same facets), and
every kind of write makes the next answer the plain query's again."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.computed import register_computed_field, write_computed
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.result_cache import ResultCache
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows

N = 400
SORTS = [None, "width", "fields.weather", "box_count.ground_truth", "box_max.score.m1"]


@pytest.fixture
def catalog(tmp_path: Any) -> Iterator[Catalog]:
    rnd = random.Random(11)
    register_computed_field("test_cache_score", "numeric", "a plugin field of the test")
    cat = Catalog(tmp_path)
    samples, boxes = random_rows(rnd, N)
    write_dataset(cat, "rich", RowsSource(samples, boxes, [f"c{k}" for k in range(12)]))
    write_predictions(cat, "rich", "m1", PredictionRowsSource(random_predictions(rnd, N, 2, False)))
    update_tags(cat, "rich", {"sample": {"split": {"in": ["val"]}}}, add=["t1"])
    ev.evaluate_model(cat, "rich", "m1")
    yield cat
    cat.close()


@contextmanager
def plain(catalog: Catalog) -> Iterator[None]:
    """Run the plain queries: no answer cached or taken from the cache."""
    kept, catalog.results = catalog.results, ResultCache(0)
    try:
        yield
    finally:
        catalog.results = kept


def random_spec(rnd: random.Random) -> dict[str, Any]:
    """A filter of 0-3 of the typical conditions the browser sends."""
    parts: list[Callable[[], dict[str, Any]]] = [
        lambda: {"labels": {"source": "ground_truth", "classes": rnd.sample(CLASSES, 2)}},
        lambda: {"labels": {"source": "m1", "score": {"min": round(rnd.random(), 2)}}},
        lambda: {"labels": {"source": "ground_truth", "where": {"area": {"min": 500}}}},
        lambda: {"sample": {"split": {"in": rnd.sample(["train", "val", "test"], 2)}}},
        lambda: {"sample": {"fields.weather": {"in": ["rain", "fog"]}}},
        lambda: {"tags": {"any": ["t1"]}},
        lambda: {"ids": rnd.sample(range(1, N + 1), 60)},
        lambda: {"box_count": {"source": "ground_truth", "min": rnd.randint(0, 4)}},
        lambda: {"labels": {"source": "ground_truth", "classes": ["c1"], "eval": {"status": ["fn"]}}},
    ]  # fmt: skip
    spec: dict[str, Any] = {}
    for make in rnd.sample(parts, rnd.randint(0, 3)):
        for key, value in make().items():
            if key == "sample" and key in spec:
                spec[key].update(value)
            elif key in spec:
                spec[key] = [*(spec[key] if isinstance(spec[key], list) else [spec[key]]), value]
            else:
                spec[key] = value
    return spec


CLASSES = [f"c{k}" for k in range(12)]


def answers(
    catalog: Catalog, spec: dict[str, Any], sort: str | None, offset: int, dataset: str = "rich"
) -> Any:
    """A page, a count and the facets of ``spec``."""
    page = queries.samples_page(catalog, dataset, spec, offset=offset, limit=25, sort=sort)
    count = queries.samples_page(catalog, dataset, spec, limit=0)
    return page, count, queries.facets(catalog, dataset, spec)


def test_cached_answers_equal_the_plain_queries(catalog: Catalog) -> None:
    rnd = random.Random(5)
    queries.facets(catalog, "rich", {})  # the unfiltered view first, as the grid opens
    for _ in range(40):
        spec, sort, offset = random_spec(rnd), rnd.choice(SORTS), rnd.choice([0, 10, 200])
        with plain(catalog):
            expected = answers(catalog, spec, sort, offset)
        assert answers(catalog, spec, sort, offset) == expected, spec  # cold, stored
        assert answers(catalog, spec, sort, offset) == expected, spec  # warm, from the cache
        ids = [s["sample_id"] for s in expected[0]["samples"]]
        assert len(ids) == len(set(ids)) and expected[1]["total"] == expected[0]["total"]
    stats = catalog.results.stats()
    assert stats["hits"] >= 80 and 0 < stats["bytes"] <= stats["max_bytes"]


def test_multi_pick_takes_the_wider_filters_cached_answer(catalog: Catalog) -> None:
    """A facet counted without its own condition comes from the cached answer of the
    filter without it, with the numbers the plain recomputation gives."""
    spec = {"labels": {"source": "m1", "score": {"min": 0.9}}, "tags": {"any": ["t1"]}}
    wider = {"labels": {"source": "m1", "score": {"min": 0.9}}}  # spec less the tags
    with plain(catalog):
        expected = queries.facets(catalog, "rich", spec)
    queries.facets(catalog, "rich", wider)
    queries.facets(catalog, "rich", {"tags": {"any": ["t1"]}})  # spec less the score
    before = catalog.results.stats()
    assert queries.facets(catalog, "rich", spec) == expected
    after = catalog.results.stats()
    assert after["entries"] - before["entries"] == 2  # its answer and total: nothing alone
    assert after["hits"] - before["hits"] == 2  # both wider answers reused


def touch_tags(cat: Catalog) -> None:
    update_tags(cat, "rich", {"sample": {"split": {"in": ["train"]}}}, add=["t9"])


def new_predictions(cat: Catalog) -> None:
    rows = random_predictions(random.Random(3), N, 1, False)
    write_predictions(cat, "rich", "m1", PredictionRowsSource(rows))


def new_evaluation(cat: Catalog) -> None:
    ev.evaluate_model(cat, "rich", "m1", iou=0.9)


def computed_field(cat: Catalog) -> None:
    ids = np.arange(1, N + 1, dtype=np.int64)
    with cat.cursor() as cur:
        dataset_id = cat.dataset_id(cur, "rich")
    write_computed(cat, dataset_id, {"test_cache_score": (ids, ids % 7)}, producer="test")


def any_writer(cat: Catalog) -> None:
    """A write through Catalog.write no module knows about: the version still moves."""
    with cat.write() as cur:
        cur.execute("UPDATE samples SET split = 'val' WHERE sample_id % 5 = 0")


WRITES = [touch_tags, new_predictions, new_evaluation, computed_field, any_writer]
VIEWS: list[tuple[dict[str, Any], str | None]] = [
    ({}, None),
    ({"tags": {"any": ["t9"]}}, None),
    ({"labels": {"source": "m1", "score": {"min": 0.5}}}, "box_max.score.m1"),
    ({"labels": {"source": "ground_truth", "classes": ["c1"], "eval": {"status": ["fn"]}}}, None),
    ({"sample": {"split": {"in": ["val"]}}}, "computed.test_cache_score"),
]


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_every_write_invalidates(catalog: Catalog, write: Callable[[Catalog], None]) -> None:
    before = [answers(catalog, spec, sort, 0) for spec, sort in VIEWS]  # now cached
    version = catalog.version
    write(catalog)
    assert catalog.version > version
    after = [answers(catalog, spec, sort, 0) for spec, sort in VIEWS]
    with plain(catalog):
        expected = [answers(catalog, spec, sort, 0) for spec, sort in VIEWS]
    assert after == expected
    assert after != before  # the write changed what these views show: nothing stale served


def misses_of(catalog: Catalog, dataset: str) -> tuple[Any, int]:
    """Every view's answers of ``dataset``, and how many cache lookups missed for them."""
    before = catalog.results.stats()["misses"]
    got = [answers(catalog, spec, sort, 0, dataset) for spec, sort in VIEWS]
    return got, catalog.results.stats()["misses"] - before


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_a_write_to_one_dataset_keeps_the_others_answers(
    catalog: Catalog, write: Callable[[Catalog], None]
) -> None:
    rnd = random.Random(11)  # the same rows as "rich": the views show something in both
    samples, boxes = random_rows(rnd, N)
    write_dataset(catalog, "other", RowsSource(samples, boxes, CLASSES))
    for dataset in ("rich", "other"):
        misses_of(catalog, dataset)  # cold: now cached
    other, warm_misses = misses_of(catalog, "other")  # lookups that miss even when warm
    rich, _ = misses_of(catalog, "rich")
    write(catalog)  # to "rich" only, except any_writer (an unscoped write: every dataset)
    with plain(catalog):
        expected = [
            answers(catalog, spec, sort, 0, d) for spec, sort in VIEWS for d in ("rich", "other")
        ]
    rich_after, rich_misses = misses_of(catalog, "rich")
    other_after, other_misses = misses_of(catalog, "other")
    assert [x for pair in zip(rich_after, other_after, strict=True) for x in pair] == expected
    assert rich_after != rich
    assert rich_misses > warm_misses  # the written dataset's answers were computed again
    if write is any_writer:  # it changes both datasets, and says of none that it is the one
        assert other_after != other and other_misses > warm_misses
    else:
        assert other_after == other
        assert other_misses == warm_misses  # every answer of the other dataset was kept


def test_a_rolled_back_write_moves_the_version(catalog: Catalog) -> None:
    version = catalog.version
    with pytest.raises(RuntimeError), catalog.write() as cur:
        cur.execute("UPDATE samples SET split = 'x'")
        raise RuntimeError("abort")
    assert catalog.version > version
    assert queries.samples_page(catalog, "rich", {"sample": {"split": {"in": ["x"]}}})["total"] == 0


def test_the_cache_is_bounded() -> None:
    cache = ResultCache(4096)
    for i in range(100):
        cache.put(("page", i), 1, {"samples": ["x" * 100]})
    stats = cache.stats()
    assert stats["bytes"] <= 4096 and stats["entries"] < 100
    assert cache.get(("page", 99), 1) == {"samples": ["x" * 100]}  # the newest stay
    assert cache.get(("page", 0), 1) is None  # the oldest went first
    assert cache.get(("page", 99), 2) is None  # another version: never served
    cache.put(("big",), 1, "y" * 2000)  # over a quarter of the bound: not kept
    assert cache.get(("big",), 1) is None
    off = ResultCache(0)
    off.put(("page", 1), 1, {"a": 1})
    assert off.get(("page", 1), 1) is None
