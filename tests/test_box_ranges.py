"""Two-bound ranges on a box field (catalog/sql/box_ranges.py): the value columns and lists.

The oracle is plain Python over the boxes (no SQL shared with the code under test):
randomised ranges on every numeric box field and source, bounds that equal box values,
empty and reversed ranges give the same ids, order and totals. The lists are built on the
first range request, kept by tags and evaluations, dropped by new predictions and rebuilt,
deleted with the dataset; a read-only catalog answers from the boxes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan import page_routes
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows

N = 300
FIELDS = ["score", "area", "w", "h", "x", "y"]
SOURCES = ["ground_truth", "m1", "m2", "predictions", None]


def _write(path: Path, seed: int) -> Catalog:
    rnd = random.Random(seed)
    cat = Catalog(path, result_cache_mb=0)
    samples, boxes = random_rows(rnd, N)
    for box in boxes[::17]:  # negative positions and a zero area
        box["x"], box["area"] = -box["x"], 0.0
    write_dataset(cat, "rich", RowsSource(samples, boxes, [f"c{k}" for k in range(12)]))
    other, other_boxes = random_rows(rnd, 40)  # another dataset: must never leak in
    write_dataset(cat, "other", RowsSource(other, other_boxes, ["c0"]))
    write_predictions(cat, "rich", "m1", PredictionRowsSource(random_predictions(rnd, N, 2, False)))
    write_predictions(cat, "rich", "m2", PredictionRowsSource(random_predictions(rnd, N, 3, False)))
    return cat


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    cat = _write(tmp_path_factory.mktemp("ranges"), 5)
    yield cat
    cat.close()


def _boxes(cat: Catalog, dataset: str) -> list[dict[str, Any]]:
    cols = ["sample_id", "source", *FIELDS]
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT {', '.join(cols)} FROM annotations WHERE dataset_id = ?",  # noqa: S608 - test constants
            [ds],
        ).fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]


def _oracle(boxes: list[dict[str, Any]], source: str | None, field: str, lo: float, hi: float) -> list[int]:  # fmt: skip
    def source_ok(box: dict[str, Any]) -> bool:
        if source is None:
            return True
        if source == "predictions":
            return bool(box["source"] != "ground_truth")
        return bool(box["source"] == source)

    return sorted(
        {
            b["sample_id"]
            for b in boxes
            if source_ok(b) and b[field] is not None and lo <= b[field] <= hi
        }
    )


def _spec(source: str | None, field: str, lo: float, hi: float) -> dict[str, Any]:
    labels: dict[str, Any] = {} if source is None else {"source": source}
    if field == "score":
        labels["score"] = {"min": lo, "max": hi}
    else:
        labels["where"] = {field: {"min": lo, "max": hi}}
    return {"labels": labels}


@pytest.fixture(autouse=True)
def sql_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lists speed up the SQL path of a page; the box index's mask answers first
    whenever it can (catalog/plan/sorted_pages.py), so these tests take the SQL path."""
    monkeypatch.setattr(page_routes, "sorted_page", lambda *a: None)


def _page(cat: Catalog, spec: dict[str, Any], **kw: Any) -> tuple[int, list[int]]:
    page = queries.samples_page(cat, "rich", spec, include_annotations=False, **kw)
    return page["total"], [s["sample_id"] for s in page["samples"]]


def _built(cat: Catalog) -> list[tuple[Any, ...]]:
    with cat.cursor() as cur:
        return cur.execute("SELECT dataset_id, field FROM box_value_fields ORDER BY ALL").fetchall()


def test_randomised_ranges_match_the_boxes(catalog: Catalog) -> None:
    rnd = random.Random(11)
    boxes = _boxes(catalog, "rich")
    for _ in range(120):
        field, source = rnd.choice(FIELDS), rnd.choice(SOURCES)
        values = [b[field] for b in boxes if b[field] is not None]
        a, b = rnd.choice(values), rnd.choice(values)  # bounds equal to box values
        kind = rnd.random()
        if kind < 0.15:
            a, b = b, a  # maybe reversed: empty
        elif kind < 0.3:
            a, b = a, a  # one value
        elif kind < 0.4:
            a, b = -1e300, rnd.choice([a, 1e300])
        elif kind >= 0.7:
            a, b = min(a, b), max(a, b)
        expected = _oracle(boxes, source, field, a, b)
        spec = _spec(source, field, a, b)
        assert _page(catalog, spec, limit=40) == (len(expected), expected[:40]), spec
        got = _page(catalog, spec, limit=9, offset=2, order="desc")
        assert got == (len(expected), expected[::-1][2:11]), spec
    assert {f for _, f in _built(catalog)} == set(FIELDS)  # the lists answered
    # the data has ranges matching some but not all samples: the test can fail
    some = _oracle(boxes, "ground_truth", "area", 1000, 5000)
    assert 0 < len(some) < N


def test_writes_keep_the_lists_exact(tmp_path: Path) -> None:
    cat = _write(tmp_path, 8)
    spec = _spec("m1", "score", 0.25, 0.5)
    area = _spec("ground_truth", "area", 500, 4000)
    _page(cat, spec, limit=5)
    _page(cat, area, limit=5)
    with cat.cursor() as cur:
        rich = cat.dataset_id(cur, "rich")
    assert _built(cat) == [(rich, "area"), (rich, "score")]
    # tags and an evaluation do not touch boxes: the lists stay
    update_tags(cat, "rich", {"sample": {"split": {"in": ["val"]}}}, add=["t1"])
    ev.evaluate_model(cat, "rich", "m1")
    assert _built(cat) == [(rich, "area"), (rich, "score")]
    # new predictions of m1 replace its boxes: dropped, rebuilt on the next request, exact
    rnd = random.Random(2)
    write_predictions(cat, "rich", "m1", PredictionRowsSource(random_predictions(rnd, N, 1, False)))
    assert _built(cat) == []
    for s in (spec, area):
        expected = _oracle(_boxes(cat, "rich"), s["labels"]["source"], *_field(s))
        assert _page(cat, s, limit=N) == (len(expected), expected)
    assert _built(cat) == [(rich, "area"), (rich, "score")]
    # a delete removes the lists with the dataset; the other dataset is untouched
    cat.delete_dataset("rich")
    with cat.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM box_value_lists").fetchall() == [(0,)]
    assert _built(cat) == []
    cat.close()
    # a read-only catalog answers from the boxes
    cat = _write(tmp_path / "ro", 9)
    expected = _oracle(_boxes(cat, "rich"), "m2", "w", 10, 60)
    cat.close()
    ro = Catalog(tmp_path / "ro", read_only=True)
    assert _page(ro, _spec("m2", "w", 10, 60), limit=N) == (len(expected), expected)
    ro.close()


def _field(spec: dict[str, Any]) -> tuple[str, float, float]:
    labels = spec["labels"]
    if "score" in labels:
        return "score", labels["score"]["min"], labels["score"]["max"]
    ((field, cond),) = labels["where"].items()
    return field, cond["min"], cond["max"]
