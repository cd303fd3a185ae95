"""Sorted pages from held orders (catalog/plan/sorted_pages.py) against the SQL path's.

Random filters x every kind of sort key x both directions x offsets: the total and the
page's ids equal the statement that sorts the filtered samples, before and after every
kind of write (a held order must never outlive the rows it was sorted from).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

import visionlens_jlab.catalog.plan.page_routes as page_routes
import visionlens_jlab.catalog.plan.sorted_pages as sorted_pages
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan.planner import Strategy, forced_sql, plan_page
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import sort_direction
from visionlens_jlab.catalog.reads import queries

from .test_facet_index import EXTRA_SPECS, WRITES, answers_of, catalog  # noqa: F401 - the fixture
from .test_result_cache import plain, random_spec

SORTS: list[str | None] = [
    None, "sample_id", "width", "height", "split", "file_name", "source_image_id", "fields.weather",
    "fields.brightness", "fields.mixed", "box_count.ground_truth", "box_count.m1",
    "box_count.predictions", "box_max.score.m1", "box_min.area.ground_truth",
    "box_max.w.predictions",
]  # fmt: skip


def page(cat: Catalog, spec: dict[str, Any], sort: str | None, order: str, offset: int) -> Any:
    out = queries.samples_page(
        cat, "bare", spec, sort=sort, order=order, offset=offset, limit=7,
        include_annotations=False,
    )  # fmt: skip
    return out["total"], [s["sample_id"] for s in out["samples"]]


def check(cat: Catalog, rnd: random.Random, mp: pytest.MonkeyPatch, n: int) -> None:
    """``n`` random (filter, sort, order, offset) pages: held == SQL."""
    for _ in range(n):
        spec = random_spec(rnd) if rnd.random() < 0.8 else {}
        check_one(cat, rnd, mp, spec, rnd.choice(SORTS), rnd.choice(["asc", "desc"]))


def check_one(
    cat: Catalog,
    rnd: random.Random | None,
    mp: pytest.MonkeyPatch,
    spec: Any,
    sort: str | None,
    order: str,
) -> None:
    """The first page and one at a random offset (``rnd``; else the middle): held == SQL."""
    with plain(cat), forced_sql():  # the reference (see test_facet_index.sql_path)
        first = page(cat, spec, sort, order, 0)
        total = first[0]
        offset = rnd.choice([3, max(total - 5, 0), total + 2]) if rnd else total // 2
        expected = [first, page(cat, spec, sort, order, offset)]
    with plain(cat), answers_of(mp, page_routes, "sorted_page") as count:
        found = [page(cat, spec, sort, order, 0), page(cat, spec, sort, order, offset)]
    routes = plan_page(parse_filter(spec), sort, sort_direction(order)).strategies
    assert count[0] == 2 * (routes[0] is Strategy.MASK), (spec, sort)
    assert found == expected, (spec, sort, order, offset)


def test_held_orders_page_as_the_sql(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811 - the fixture
    rnd = random.Random(7)
    check(catalog, rnd, monkeypatch, 120)
    for _ in range(30):  # filtered pages by sample id: the index's own order
        spec = random_spec(rnd)
        check_one(catalog, rnd, monkeypatch, spec, rnd.choice([None, "sample_id"]), rnd.choice(["asc", "desc"]))  # fmt: skip
    for spec in EXTRA_SPECS:  # ids none / unknown / repeated, no sample, SQL-only shapes
        check_one(catalog, rnd, monkeypatch, spec, rnd.choice(SORTS), rnd.choice(["asc", "desc"]))


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_every_write_keeps_the_orders_exact(
    catalog: Catalog,  # noqa: F811 - the fixture
    write: Callable[[Catalog], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rnd = random.Random(len(write.__name__))
    monkeypatch.setattr(sorted_pages, "KEPT_ORDERS", 2 * len(SORTS) + 2)  # none dropped
    for sort in SORTS:  # every order held before the write
        queries.samples_page(catalog, "bare", None, sort=sort, order="desc", limit=1)
    write(catalog)
    for sort in SORTS:  # each held order, after the write
        check_one(catalog, None, monkeypatch, {}, sort, "desc")
    check(catalog, rnd, monkeypatch, 20)


def test_page_positions_at_every_offset() -> None:
    """The chunked walk against a plain selection, across chunk borders."""
    import numpy as np

    rng = np.random.default_rng(1)
    n = sorted_pages._CHUNK * 2 + 123
    order = rng.permutation(n).astype(np.int32)
    for density in (0.0, 0.001, 0.5, 1.0):
        mask = rng.random(n) < density
        kept = order[mask[order]]
        for offset in (0, 1, len(kept) // 2, max(len(kept) - 3, 0), len(kept), len(kept) + 9):
            for limit in (0, 1, 60, sorted_pages._CHUNK + 5):
                got = sorted_pages._page_positions(order, mask, offset, limit)
                assert got.tolist() == kept[offset : offset + limit].tolist()
                ascending = np.flatnonzero(mask)  # no order: by position, either way
                got = sorted_pages._page_positions(None, mask, offset, limit)
                assert got.tolist() == ascending[offset : offset + limit].tolist()
                got = sorted_pages._page_positions(None, mask, offset, limit, reverse=True)
                assert got.tolist() == ascending[::-1][offset : offset + limit].tolist()
