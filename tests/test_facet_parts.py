"""Pre-aggregated unfiltered facets (catalog/sql/facet_parts.py): after every kind of write the
facets answered from the writer's parts equal the facets computed from the rows (the same
numbers, the same order), and a write that does not keep them drops them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.computed import register_computed_field, write_computed
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.sql.facet_keys import shown_facet_keys
from visionlens_jlab.catalog.sql.facet_parts import needed_parts
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows
from .test_result_cache import plain

N = 300
CLASSES = [f"c{k}" for k in range(12)]
MULTI_PICK = {"labels": {"source": "m1", "score": {"min": 0.5}}}  # its facet from the parts


@pytest.fixture
def catalog(tmp_path: Any) -> Iterator[Catalog]:
    rnd = random.Random(7)
    register_computed_field("test_parts_score", "numeric", "a plugin field of the test")
    cat = Catalog(tmp_path)
    samples, boxes = random_rows(rnd, N)
    write_dataset(cat, "rich", RowsSource(samples, boxes, CLASSES))
    write_predictions(cat, "rich", "m1", PredictionRowsSource(random_predictions(rnd, N, 1, False)))
    update_tags(cat, "rich", {"sample": {"split": {"in": ["val"]}}}, add=["t1"])
    ev.evaluate_model(cat, "rich", "m1")
    yield cat
    cat.close()


def dataset_id(cat: Catalog, name: str = "rich") -> int:
    with cat.cursor() as cur:
        return cat.dataset_id(cur, name)


def stored(cat: Catalog, name: str = "rich") -> set[str]:
    """The parts stored for a dataset."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT part FROM facet_parts WHERE dataset_id = ?", [dataset_id(cat, name)]
        ).fetchall()
    return {r[0] for r in rows}


def complete(cat: Catalog, name: str = "rich") -> bool:
    with cat.cursor() as cur:
        keys = shown_facet_keys(cur, dataset_id(cat, name))
    return set(needed_parts(keys)) <= stored(cat, name)


def from_rows(cat: Catalog, name: str = "rich") -> list[dict[str, Any]]:
    """The unfiltered and multi-pick facets computed from the rows: every part deleted (in a
    derived-only write, which changes no answer), every sample selected by id (the filtered
    path, joins included), nothing cached."""
    ds = dataset_id(cat, name)
    with cat.write_derived(ds) as cur:
        cur.execute("DELETE FROM facet_parts WHERE dataset_id = ?", [ds])
    with plain(cat), cat.cursor() as cur:
        ids = [r[0] for r in cur.execute("SELECT sample_id FROM samples WHERE dataset_id = ?", [ds]).fetchall()]  # fmt: skip
        every = queries.facets(cat, name, {"ids": ids})
        picked = queries.facets(cat, name, {**MULTI_PICK, "ids": ids})
    return [every, picked]


def from_parts(cat: Catalog, name: str = "rich") -> list[dict[str, Any]]:
    assert complete(cat, name)
    with plain(cat):
        return [queries.facets(cat, name, {}), queries.facets(cat, name, MULTI_PICK)]


def tag_by_filter(cat: Catalog) -> None:  # the filter matches on the tag it removes
    update_tags(cat, "rich", {"tags": {"any": ["t1"]}}, add=["t2"], remove=["t1"])


def tag_some(cat: Catalog) -> None:
    update_tags(cat, "rich", {"ids": list(range(1, N, 3))}, add=["t3", "t4"])


def new_model(cat: Catalog) -> None:  # a new source, and new attribute keys
    rows = random_predictions(random.Random(3), N, 2, True)
    write_predictions(cat, "rich", "m2", PredictionRowsSource(rows))


def replace_model(cat: Catalog) -> None:
    write_predictions(cat, "rich", "m1", PredictionRowsSource(random_predictions(random.Random(4), N, 3, False)))  # fmt: skip


def evaluation(cat: Catalog) -> None:
    ev.evaluate_model(cat, "rich", "m1", iou=0.75)


def computed_field(cat: Catalog) -> None:
    ids = np.arange(1, N + 1, dtype=np.int64)
    write_computed(cat, dataset_id(cat), {"test_parts_score": (ids, ids % 5)}, producer="test")


def other_dataset(cat: Catalog) -> None:
    samples, boxes = random_rows(random.Random(8), 50)
    write_dataset(cat, "other", RowsSource(samples, boxes, CLASSES))
    update_tags(cat, "other", None, add=["o"])
    cat.delete_dataset("other")


WRITES: list[Callable[[Catalog], None]] = [
    tag_by_filter, tag_some, new_model, replace_model, evaluation, computed_field, other_dataset
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_every_write_keeps_the_parts_exact(catalog: Catalog, write: Callable[[Catalog], None]) -> None:  # fmt: skip
    before = from_parts(catalog)
    write(catalog)
    after = from_parts(catalog)  # the parts the writer kept
    assert after == from_rows(catalog)
    if write not in (computed_field, other_dataset):
        assert after != before  # the write changed the facets: the parts followed


def test_the_parts_match_the_rows_after_a_sequence_of_writes(catalog: Catalog) -> None:
    for write in random.Random(2).sample(WRITES, len(WRITES)):
        write(catalog)
    assert from_parts(catalog) == from_rows(catalog)  # from_parts: none missing


def test_a_write_that_does_not_keep_them_drops_them_and_they_come_back(catalog: Catalog) -> None:
    samples, boxes = random_rows(random.Random(8), 50)
    write_dataset(catalog, "other", RowsSource(samples, boxes, CLASSES))
    with catalog.write() as cur:  # no module's writer: it may have changed any dataset
        cur.execute("UPDATE samples SET split = 'val' WHERE sample_id % 5 = 0")
    assert not stored(catalog) and not stored(catalog, "other")
    answer = queries.facets(catalog, "rich", {})  # from the rows, the parts rebuilt
    assert complete(catalog) and answer == from_parts(catalog)[0]
    assert from_parts(catalog) == from_rows(catalog)
    with plain(catalog):  # (the cached answers stay valid: the rows did not change)
        for name in ("rich", "other"):
            queries.facets(catalog, name, {})  # rebuilt
    assert complete(catalog) and complete(catalog, "other")
    with catalog.write(dataset_id(catalog, "other")) as cur:  # scoped: drops only its own
        cur.execute("UPDATE samples SET split = 'x' WHERE dataset_id = ?", [dataset_id(catalog, "other")])  # fmt: skip
    assert complete(catalog) and not stored(catalog, "other")
