"""The field index in memory (catalog/indexes/field_columns.py) against the SQL over ``field_values``.

Random datasets whose fields hold strings (ASCII and not), integers, floats, booleans,
numbers written as strings ("5", "5.0", " 4"), JSON nulls, nested values, NaN and infinite
numbers, missing keys, a key with a value per sample, a key of more than 200 values with
ties, and a key numeric in one subset and not in another. For random masks the facets are
those of :func:`field_facet_entries` over the same samples; for random conditions the
masks are the samples of the compiled filter; through a facets request the answer is the
SQL path's and the columns are what answered; after a write that changes the fields the
columns are rebuilt (a new token)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

import visionlens_jlab.catalog.indexes.field_columns as fc
import visionlens_jlab.catalog.sql.facet_keys as facet_keys_module
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.plan.filter_masks import filtered_mask
from visionlens_jlab.catalog.query.filter_parser import parse_condition, parse_filter
from visionlens_jlab.catalog.query.filters import compile_filter
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.sql.facet_entries import numeric_entry
from visionlens_jlab.catalog.sql.field_facets import field_facet_entries
from visionlens_jlab.catalog.tables import field_index
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource
from .random_rows import random_rows
from .test_facet_index import sql_path
from .test_result_cache import plain

N = 1500
CLASSES = [f"c{k}" for k in range(12)]


def _value(rnd: random.Random, key: str, i: int, train: bool) -> Any:
    pools: dict[str, list[Any]] = {
        "weather": ["rain", "sun", "Rain", "ñieve", "", "5", "fog"],
        "word": ["rain", "sun", "Fog", "a b", "5", "5.0"],
        "ratio": [0.5, -2.25, 1e16, 3, 3.0, 0.1, -0.0],
        "flag": [True, False, "yes", "0", "T"],  # every text casts to a boolean
        "boolish": [True, False, "maybe"],  # one does not
        "numtext": ["5", "5.0", 5, 5.0, " 4", "1e2", "abc"],
        "nulls": [None, None, "x", 1],
        "nested": [{"x": 1}, [1, 2], "[1, 2]", 7],
        "exotic": ["nan", "inf", 1, -1, "-inf", 1e308, -1e308, 2],
        "a/b~c": ["s", 1],
    }
    if key in pools:
        return rnd.choice(pools[key])
    if key == "count":
        return rnd.randint(-3, 40)
    if key == "unique":
        return f"id-{i:05d}-{rnd.random():.6f}"
    if key == "many":  # more than 200 values, skewed: ties at every count
        return f"v{min(rnd.randint(0, 300), rnd.randint(0, 300)):03d}"
    return rnd.uniform(0, 10) if train else rnd.choice([1, "n/a"])  # "mixed"


KEYS = ["weather", "word", "count", "ratio", "flag", "boolish", "numtext", "nulls",
        "nested", "exotic", "a/b~c", "unique", "many", "mixed"]  # fmt: skip


def _fields(rnd: random.Random, i: int, split: str | None, keys: list[str]) -> str | None:
    keep = 0.1 if split == "test" else 0.85
    fields = {k: _value(rnd, k, i, split == "train") for k in keys if rnd.random() < keep}
    if "exotic" in fields and rnd.random() < 0.7:
        fields["exotic"] = rnd.randint(0, 9)  # mostly finite: some masks have none else
    return None if i % 23 == 0 else json.dumps(fields)


def _dataset(rnd: random.Random, n: int) -> RowsSource:
    samples, boxes = random_rows(rnd, n)
    for i, sample in enumerate(samples):
        sample["fields"] = _fields(rnd, i, sample["split"], [k for k in KEYS if k != "exotic"])
    return RowsSource(samples, boxes, CLASSES)


def _add_exotic_numbers(cat: Catalog, name: str, rnd: random.Random) -> None:
    """Every key, NaN and infinite numbers too, written as a plain write (an ingest of them
    fails: the unfiltered facets' SQL cannot bin NaN; see the report)."""
    with cat.write() as cur:
        ds = cat.dataset_id(cur, name)
        rows = cur.execute(
            "SELECT sample_id, split FROM samples WHERE dataset_id = ? ORDER BY 1", [ds]
        ).fetchall()
        new = [_fields(rnd, i, split, KEYS) for i, (_, split) in enumerate(rows)]
        cur.register("_new", pa.table({"id": [r[0] for r in rows], "fields": new}))
        cur.execute("UPDATE samples s SET fields = n.fields FROM _new n WHERE s.sample_id = n.id")
        facet_keys_module.refresh_facet_keys(cur, ds)
        field_index.refresh_field_index(cur, ds)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    cat = Catalog(tmp_path_factory.mktemp("field_columns"), result_cache_mb=0)
    write_dataset(cat, "rich", _dataset(random.Random(31), N))
    write_dataset(cat, "odd", _dataset(random.Random(33), N))
    _add_exotic_numbers(cat, "odd", random.Random(34))
    write_dataset(cat, "other", _dataset(random.Random(32), 60))  # must not leak
    yield cat
    cat.close()


def _columns(cat: Catalog, name: str) -> tuple[int, fc.FieldColumns, np.ndarray]:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, name)
        cols = fc.field_columns(cat, cur, ds)
        ids = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [ds]
        ).fetchnumpy()["sample_id"]
    assert cols is not None
    return ds, cols, np.asarray(ids, dtype=np.int64)


def _sql_ids(cur: duckdb.DuckDBPyConnection, ds: int, sample: dict[str, Any]) -> np.ndarray:
    flt = compile_filter(ds, {"sample": sample})
    sql = f"SELECT s.sample_id FROM samples s WHERE {flt.where} ORDER BY 1"  # noqa: S608 - compiled
    return np.asarray(cur.execute(sql, flt.params).fetchnumpy()["sample_id"], dtype=np.int64)


def _random_cond(rnd: random.Random) -> dict[str, Any]:
    ops: dict[str, Any] = {}
    for _ in range(rnd.choice([1, 1, 1, 2])):
        op = rnd.choice(["in", "eq", "eq", "min", "max", "contains", "is_null", "range"])
        if op == "in":
            pool: list[Any] = ["rain", "sun", "5", 5, 2, 2.5, 3, "3.0", True, "s", 1, "v001", "x"]
            ops["in"] = rnd.sample(pool, rnd.randint(0, 3))
        elif op == "eq":
            ops["eq"] = rnd.choice(["rain", "Rain", 2, 3.0, 0.5, -0.0, "5.0", 1, 1e16, True,
                                    False, "", "nan", float("inf"), 5])  # fmt: skip
        elif op in ("min", "max"):
            ops[op] = rnd.choice([0, 1, 2.5, 3, -1, 5, None, 1e300, float("-inf")])
        elif op == "range":
            lo = rnd.choice([-1, 0, 1, 2, 4])
            ops.update(min=lo, max=lo + rnd.choice([0, 1, 2, 1e17]))
        elif op == "contains":
            ops["contains"] = rnd.choice(["ai", "R", "1", "x", "", "V0", "N"])
        else:
            ops["is_null"] = rnd.choice([True, False])
    return ops


def _declines(cols: fc.FieldColumns, key: str, cond: dict[str, Any]) -> bool:
    """The conditions the columns leave to the SQL: a boolean cast that can fail, a text
    test needing Unicode case folding."""
    col = cols.column(key)
    return (isinstance(cond.get("eq"), bool) and key != "flag") or (
        "contains" in cond and not col.ascii
    )


def test_masks_are_the_filters_samples(catalog: Catalog) -> None:
    rnd = random.Random(5)
    ds, cols, ids = _columns(catalog, "odd")
    answered = 0
    with catalog.cursor() as cur:
        for _ in range(400):
            key = rnd.choice([*KEYS, "absent"])
            cond = _random_cond(rnd)
            mask = cols.mask(key, parse_condition(cond, f"fields.{key}"))
            if mask is None:
                assert _declines(cols, key, cond), (key, cond)
                continue
            answered += 1
            assert np.array_equal(ids[mask], _sql_ids(cur, ds, {f"fields.{key}": cond})), (
                key, cond,
            )  # fmt: skip
        boxes = box_index(catalog, cur, ds)
        assert boxes is not None and boxes.token == cols.token
        for k in range(60):  # several keys ANDed, with a sample column: the filter's mask
            sample = {f"fields.{rnd.choice(KEYS)}": _random_cond(rnd) for _ in range(2)}
            if k % 3 == 0:
                sample["split"] = {"eq": "val"}
            try:
                expected = _sql_ids(cur, ds, sample)
            except duckdb.Error:  # e.g. eq true on texts that are not booleans: SQL's error
                with pytest.raises(duckdb.Error):
                    filtered_mask(catalog, cur, ds, parse_filter({"sample": sample}), boxes, cols)
                continue
            mask = filtered_mask(catalog, cur, ds, parse_filter({"sample": sample}), boxes, cols)
            assert mask is not None
            answered += 1
            assert np.array_equal(boxes.samples.ids[mask], expected), sample
    assert answered > 350  # the columns answered most conditions: the test can fail


def _masks(rnd: random.Random, cat: Catalog, ds: int, ids: np.ndarray) -> list[np.ndarray]:
    n = len(ids)
    masks = [np.zeros(n, bool), np.ones(n, bool)]
    masks += [np.asarray([rnd.random() < p for _ in range(n)]) for p in (0.01, 0.3, 0.5, 0.7, 0.97)]
    with cat.cursor() as cur:
        for sample in ({"split": {"in": ["train"]}}, {"split": {"in": ["val"]}},
                       {"fields.exotic": {"max": 9}}, {"fields.word": {"in": ["sun"]}}):  # fmt: skip
            masks.append(np.isin(ids, _sql_ids(cur, ds, sample)))
    return masks


def test_entries_are_the_field_index_facets(catalog: Catalog) -> None:
    rnd = random.Random(8)
    ds, cols, ids = _columns(catalog, "odd")
    kinds: dict[str, set[str]] = {}
    masks = _masks(rnd, catalog, ds, ids)
    with catalog.cursor() as cur:
        keys = facet_keys_module.facet_keys(cur, ds).fields
        assert len(keys) == len(KEYS)
        for mask in masks:
            cur.register("_picked", pa.table({"sample_id": ids[mask]}))
            # "exotic" too: NaN and inf are texts, ±1e308 a range past the largest double
            entries = cols.entries(keys, mask, numeric_entry)
            assert entries == field_facet_entries(cur, ds, keys, "_picked")
            for entry in entries:
                kinds.setdefault(entry["name"], set()).add(entry["type"])
            cur.unregister("_picked")
    assert kinds["fields.mixed"] == {"numeric", "categorical"}  # numeric on the train split
    assert kinds["fields.count"] == {"numeric", "categorical"}  # the empty mask: categorical


def test_top_values_over_many_values(catalog: Catalog) -> None:
    """More than 200 values, ties at the cut, the no-value count among them."""
    ds, cols, ids = _columns(catalog, "odd")
    mask = np.ones(len(ids), bool)
    (many, unique) = cols.entries(["many", "unique"], mask, numeric_entry) or []
    assert len(many["values"]) == len(unique["values"]) == 200
    counts = [v["count"] for v in many["values"]]
    assert counts == sorted(counts, reverse=True) and counts[-1] == counts[-2]
    assert len(cols.column("unique").texts) > 800  # a value per sample that has the key
    with catalog.cursor() as cur:
        cur.register("_picked", pa.table({"sample_id": ids}))
        assert [many, unique] == field_facet_entries(cur, ds, ["many", "unique"], "_picked")


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"entries": 0, "mask": 0}
    for name in calls:
        real = getattr(fc.FieldColumns, name)

        def counting(self: fc.FieldColumns, *a: Any, _real: Any = real, _n: str = name) -> Any:
            out = _real(self, *a)
            calls[_n] += out is not None
            return out

        monkeypatch.setattr(fc.FieldColumns, name, counting)
    return calls


REQUESTS: list[dict[str, Any]] = [
    {"sample": {"fields.word": {"in": ["rain", "5"]}}},
    {"sample": {"fields.count": {"min": 3}, "fields.flag": {"eq": True}}},
    {"sample": {"fields.mixed": {"is_null": True}}},
    {"labels": {"source": "ground_truth", "classes": ["c1", "c4"]}},
    {"sample": {"split": {"in": ["train"]}}},
    {"sample": {"fields.word": {"eq": "sun"}, "split": {"in": ["val"]}}, "tags": {"any": ["t"]}},
]


def test_facets_requests_answer_as_the_sql_path(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec in REQUESTS:
        with plain(catalog), monkeypatch.context() as m:
            calls = _count_calls(m)
            fast = queries.facets(catalog, "rich", spec)
        assert calls["entries"] >= 1, spec  # the columns answered the fields facets
        has_fields = any(name.startswith("fields.") for name in spec.get("sample", {}))
        assert (calls["mask"] >= 1) == has_fields, spec  # and the fields conditions
        with plain(catalog), sql_path(monkeypatch):
            slow = queries.facets(catalog, "rich", spec)
        assert fast == slow, spec


def test_a_write_of_the_fields_rebuilds_the_columns(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, before, _ = _columns(catalog, "other")
    spec = {"sample": {"fields.word": {"in": ["sun"]}}}
    with plain(catalog):
        old = queries.facets(catalog, "other", spec)
    with catalog.write() as cur:  # what an ingest of other fields leaves: a new index
        cur.execute(
            "UPDATE samples SET fields = json_object('word', 'sun', 'count', sample_id % 4) "
            "WHERE dataset_id = ?",
            [ds],
        )
        field_index.refresh_field_index(cur, ds)
    _, after, ids = _columns(catalog, "other")
    assert after.token != before.token
    sun = after.mask("word", parse_condition({"eq": "sun"}, "fields.word"))
    assert sun is not None and bool(sun.all()) and len(sun) == len(ids)
    with plain(catalog):
        new = queries.facets(catalog, "other", spec)
    with plain(catalog), sql_path(monkeypatch):
        assert new == queries.facets(catalog, "other", spec)
    assert new != old
