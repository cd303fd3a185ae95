"""The index warmer (catalog/indexes/index_warmer.py): after a write that changes a dataset's boxes,
the held box index is rebuilt in the background, so the next filtered facets request
builds nothing and answers as the SQL path; a dataset never indexed is left alone; a
deleted one gets no token; close stops the thread."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

import visionlens_jlab.catalog.indexes.box_index as box_indexes
import visionlens_jlab.catalog.plan.sorted_pages as sorted_pages
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.index_warmer import IndexWarmer
from visionlens_jlab.catalog.plan.planner import forced_sql
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows
from .test_result_cache import plain

CLASSES = [f"c{k}" for k in range(12)]
SPEC = {"labels": {"source": "m1", "score": {"min": 0.5}}}


def held(cat: Catalog, name: str) -> box_indexes.BoxIndex | None:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, name)
    return box_indexes.held_index(cat, ds)


@pytest.fixture
def warmed(tmp_path: Any) -> Iterator[tuple[Catalog, IndexWarmer]]:
    rnd = random.Random(4)
    cat = Catalog(tmp_path)
    for name in ("a", "b"):
        samples, boxes = random_rows(rnd, 80)
        write_dataset(cat, name, RowsSource(samples, boxes, CLASSES))
        write_predictions(
            cat, name, "m1", PredictionRowsSource(random_predictions(rnd, 80, 1, False))
        )
    warmer = IndexWarmer(cat)
    with plain(cat):
        queries.facets(cat, "a", SPEC)  # "a" is browsed: its index is held
    yield cat, warmer
    cat.close()


def test_a_model_import_is_indexed_before_the_next_request(
    warmed: tuple[Catalog, IndexWarmer], monkeypatch: pytest.MonkeyPatch
) -> None:
    cat, warmer = warmed
    before = held(cat, "a")
    assert before is not None
    rows = random_predictions(random.Random(5), 80, 2, False)
    write_predictions(cat, "a", "m1", PredictionRowsSource(rows))
    assert warmer.idle(30)
    after = held(cat, "a")
    assert after is not None and after.token != before.token
    assert held(cat, "b") is None  # never browsed: not built

    def no_build(*args: Any) -> Any:
        raise AssertionError("the request rebuilt the index")

    monkeypatch.setattr(box_indexes, "_build", no_build)
    with plain(cat):
        fast = queries.facets(cat, "a", SPEC)
    with plain(cat), monkeypatch.context() as m:
        m.setattr("visionlens_jlab.catalog.plan.facets.box_index", lambda *a: None)
        slow = queries.facets(cat, "a", SPEC)
    assert fast == slow


def test_a_tag_write_keeps_the_index_and_schedules_nothing(
    warmed: tuple[Catalog, IndexWarmer], monkeypatch: pytest.MonkeyPatch
) -> None:
    cat, warmer = warmed
    before = held(cat, "a")
    scheduled: list[int | None] = []
    monkeypatch.setattr(warmer, "_rebuild", lambda pending: scheduled.extend(pending))
    update_tags(cat, "a", {"ids": [1, 2, 3]}, add=["t"])
    assert warmer.idle(30)
    assert held(cat, "a") is before
    assert scheduled == []  # no statement runs beside the next requests
    write_predictions(
        cat, "a", "m2", PredictionRowsSource(random_predictions(random.Random(6), 80, 2, False))
    )
    assert warmer.idle(30)
    assert scheduled  # while a model import is rebuilt


def test_a_deleted_dataset_gets_no_token(warmed: tuple[Catalog, IndexWarmer]) -> None:
    cat, warmer = warmed
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "a")
    cat.delete_dataset("a")
    assert warmer.idle(30)
    with cat.cursor() as cur:
        rows = cur.execute("SELECT * FROM facet_parts WHERE dataset_id = ?", [ds]).fetchall()
    assert rows == []


def test_close_stops_the_thread(tmp_path: Any) -> None:
    cat = Catalog(tmp_path)
    warmer = IndexWarmer(cat)
    cat.close()
    assert not warmer._thread.is_alive()


def test_a_model_import_sorts_the_held_orders_again(
    warmed: tuple[Catalog, IndexWarmer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page sorted by a box summary after a model import: its order was sorted again in
    the background (catalog/plan/sorted_pages.py), and the page is the SQL's."""
    cat, warmer = warmed

    def sorted_page() -> dict[str, Any]:
        return queries.samples_page(cat, "a", SPEC, sort="box_max.score.m1", order="desc", limit=9)

    with plain(cat):
        sorted_page()  # the order is held
    rows = random_predictions(random.Random(6), 80, 2, False)
    write_predictions(cat, "a", "m1", PredictionRowsSource(rows))
    assert warmer.idle(30)

    def no_sort(*args: Any) -> Any:
        raise AssertionError("the request sorted again")

    with plain(cat), monkeypatch.context() as m:
        m.setattr(sorted_pages, "_sorted", no_sort)
        fast = sorted_page()
    with plain(cat), forced_sql():
        slow = sorted_page()
    assert fast == slow
