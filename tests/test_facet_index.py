"""Filtered facets from the in-memory indexes (catalog/indexes/box_index.py, indexes/facet_index.py, facet_indexed.py,
evaluate/eval_facet_index.py): for random filters, and after every kind of write, the
answer equals the SQL path's (the same numbers, the same order), and the indexed path is
the one that answered."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np
import pytest

import visionlens_jlab.catalog.plan.facets as facets_module
import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.computed import register_computed_field, write_computed
from visionlens_jlab.catalog.plan.planner import forced_sql
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.tables.box_summaries import refresh_box_summaries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_labels import replace_labels
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows
from .test_result_cache import plain, random_spec

N = 400  # the samples of each dataset (random_spec picks ids in 1..400)
CLASSES = [f"c{k}" for k in range(12)]
DATASETS = ("rich", "bare")  # with fields and box attributes (their SQL), and without


def _bare_rows(rnd: random.Random, n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    samples, boxes = random_rows(rnd, n)
    for s in samples:
        s["fields"] = None
    for b in boxes:
        b["attributes"] = None
    return samples, boxes


@pytest.fixture
def catalog(tmp_path: Any) -> Iterator[Catalog]:
    rnd = random.Random(11)
    register_computed_field("test_index_score", "numeric", "a plugin field of the test")
    cat = Catalog(tmp_path)
    for name, rows in (("rich", random_rows), ("bare", _bare_rows)):
        samples, boxes = rows(rnd, N)
        write_dataset(cat, name, RowsSource(samples, boxes, CLASSES))
        write_predictions(
            cat, name, "m1", PredictionRowsSource(random_predictions(rnd, N, 1, False))
        )
        update_tags(cat, name, {"sample": {"split": {"in": ["val"]}}}, add=["t1"])
        ev.evaluate_model(cat, name, "m1")
    yield cat
    cat.close()


@contextmanager
def sql_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The reference: no index (every facet from SQL), and an ``eval`` label filter by its
    definition, the plain EXISTS over the boxes (the evaluation index reads the boxes; the
    summaries equal them whenever the writers keep them, which ``unscoped_write``'s raw
    UPDATE of labels does not)."""
    with forced_sql():
        yield


@contextmanager
def answers_of(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Iterator[list[int]]:
    """How many calls of ``module.<name>`` gave an answer (not None) inside the block."""
    answered = [0]
    real = getattr(module, name)

    def counting(*args: Any) -> Any:
        out = real(*args)
        answered[0] += out is not None
        return out

    with monkeypatch.context() as m:
        m.setattr(module, name, counting)
        yield answered


def counted(monkeypatch: pytest.MonkeyPatch) -> AbstractContextManager[list[int]]:
    """How many built-in answers the indexed path gave."""
    return answers_of(monkeypatch, facets_module, "indexed_facets")


def both(cat: Catalog, name: str, spec: dict[str, Any], mp: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(indexed answer, SQL answer), neither from the answers cache."""
    with plain(cat), counted(mp) as answered:
        fast = queries.facets(cat, name, spec)
    if not spec.get("ids") == [] and spec:
        assert answered[0] >= 1, f"the index did not answer {spec}"
    with plain(cat), sql_path(mp):
        slow = queries.facets(cat, name, spec)
    return fast, slow


EXTRA_SPECS: list[dict[str, Any]] = [
    {"labels": [{"source": "ground_truth", "classes": ["c1"]}]},  # a one-element list
    {"labels": {"source": "m1", "classes": ["c2"], "score": {"min": 0.3}}},  # not summarised
    {"labels": {"source": "ground_truth", "where": {"area": {"min": 100, "max": 900}}}},
    {"ids": []},
    {"ids": [3, 1, 2, 2, 10**6]},  # unsorted, repeated, not a member
    {"sample": {"width": {"min": 2000}}},  # no sample
    {"box_count": {"source": "m1", "max": 0}},  # samples without a prediction
]


@pytest.mark.parametrize("name", DATASETS)
def test_random_filters_answer_as_the_sql_path(
    catalog: Catalog, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = random.Random(5)
    specs = [random_spec(rnd) for _ in range(40)] + EXTRA_SPECS
    for spec in specs:
        fast, slow = both(catalog, name, spec, monkeypatch)
        assert fast == slow, spec


def tag_some(cat: Catalog) -> None:
    update_tags(cat, "bare", {"ids": list(range(N, 2 * N, 3))}, add=["t3"])


def new_model(cat: Catalog) -> None:
    rows = random_predictions(random.Random(3), N, 2, False)
    write_predictions(cat, "bare", "m2", PredictionRowsSource(rows))


def replace_model(cat: Catalog) -> None:
    rows = random_predictions(random.Random(4), N, 3, False)
    write_predictions(cat, "bare", "m1", PredictionRowsSource(rows))


def evaluation(cat: Catalog) -> None:
    ev.evaluate_model(cat, "bare", "m1", iou=0.75)


def computed_field(cat: Catalog) -> None:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "bare")
        ids = cur.execute("SELECT sample_id FROM samples WHERE dataset_id = ?", [ds]).fetchnumpy()
    sample_ids = np.asarray(ids["sample_id"], dtype=np.int64)
    write_computed(cat, ds, {"test_index_score": (sample_ids, sample_ids % 5)}, producer="test")


def other_dataset(cat: Catalog) -> None:
    update_tags(cat, "rich", None, add=["o"])
    cat.delete_dataset("rich")


def unscoped_write(cat: Catalog) -> None:  # no module's writer: may have changed anything
    with cat.write() as cur:
        cur.execute("UPDATE samples SET split = 'val' WHERE sample_id % 5 = 0")
        cur.execute("UPDATE annotations SET label = 'c0' WHERE ann_id % 4 = 0")
        # what every writer of boxes does (box_summaries.py): the SQL reference's label
        # filters read the summaries, while the index reads the boxes
        for (ds,) in cur.execute("SELECT dataset_id FROM datasets").fetchall():
            refresh_box_summaries(cur, ds)


def label_edit(cat: Catalog) -> None:  # a few samples' ground truth, one at a time
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "bare")
        rows = cur.execute(
            "SELECT sample_id, width, height FROM samples WHERE dataset_id = ? "
            "AND width IS NOT NULL ORDER BY sample_id LIMIT 6",
            [ds],
        ).fetchall()
    for k, (sample, w, h) in enumerate(rows):
        box = {"label": ["c1", "c4", "c11"][k % 3], "x": 0, "y": 0, "w": w / 3, "h": h / 3}
        replace_labels(cat, ds, sample, "ground_truth", [box] * (k % 3))


def recreated(cat: Catalog) -> None:  # the same name again, other rows
    cat.delete_dataset("bare")
    samples, boxes = _bare_rows(random.Random(9), N // 2)
    write_dataset(cat, "bare", RowsSource(samples, boxes, CLASSES))


WRITES: list[Callable[[Catalog], None]] = [
    tag_some, new_model, replace_model, evaluation, computed_field, other_dataset,
    unscoped_write, recreated, label_edit,
]  # fmt: skip
SPECS: list[dict[str, Any]] = [
    {"labels": {"source": "ground_truth", "classes": ["c1", "c4"]}},
    {"labels": {"source": "ground_truth", "classes": ["c1"], "eval": {"status": ["fn"]}}},
    {"sample": {"split": {"in": ["val"]}}},
    {"tags": {"any": ["t1", "t3"]}},
]


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_every_write_keeps_the_indexes_exact(
    catalog: Catalog, write: Callable[[Catalog], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec in SPECS:  # the indexes built before the write
        fast, slow = both(catalog, "bare", spec, monkeypatch)
        assert fast == slow
    before = [both(catalog, "bare", s, monkeypatch)[0] for s in SPECS]
    write(catalog)
    after = [both(catalog, "bare", s, monkeypatch) for s in SPECS]
    for spec, (fast, slow) in zip(SPECS, after, strict=True):
        assert fast == slow, spec
    if write not in (computed_field, other_dataset):
        assert [fast for fast, _ in after] != before  # the write changed the answers


def _rows_read(cur: Any, dataset_id: int, samples_table: str) -> list[dict[str, Any]]:
    """A plain provider (no ``takes_filtered``): how many rows the samples table holds."""
    [(n,)] = cur.execute(f"SELECT COUNT(*) FROM {samples_table}").fetchall()  # noqa: S608 - the catalog's name
    return [{"name": "test.rows", "type": "categorical", "values": [{"value": "n", "count": n}]}]


def test_a_plain_provider_reads_the_filtered_samples(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexed path registers the samples table only on demand: a provider that reads
    it finds the filter's samples there, as on the SQL path."""
    facets_module.register_facet_provider(_rows_read)
    try:
        for spec in [*SPECS, *EXTRA_SPECS]:
            fast, slow = both(catalog, "bare", spec, monkeypatch)
            assert fast == slow, spec
            rows = next(f for f in fast["facets"] if f["name"] == "test.rows")
            assert rows["values"][0]["count"] == fast["total"], spec
    finally:
        facets_module.unregister_facet_provider(_rows_read)
