"""The index of sample fields (catalog/tables/field_index.py) and the filters that read it.

The reference is the plain JSON path the filters compiled to before the index:
``json_extract_string(s.fields, <pointer>)`` over every sample, with the same operators.
Randomised conditions (equality, in-lists, numeric ranges, contains, missing / null, on
strings, numbers written as strings, booleans, nested values, keys needing escapes) give
the same ids and totals through the page fast path, the general filter and combined with
other conditions. Every writer keeps the index equal to a rebuild from ``samples.fields``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.computed import register_computed_field, write_computed
from visionlens_jlab.catalog.query.filter_conditions import Params, condition_sql, json_pointer
from visionlens_jlab.catalog.query.filter_parser import parse_condition
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.tables import field_index
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions

N = 400
KEYS = ["weather", "quality", "flag", "a/b~c", "nested", "sparse", "numtext"]

register_computed_field("test_index_score", "numeric", "a plugin field of the test")


def _value(rnd: random.Random, key: str) -> Any:
    if key == "weather":
        return rnd.choice(["rain", "sun", "Rain", "ñieve", "", "5"])
    if key == "quality":
        return rnd.choice([0, 1, 2, 2.5, 3.0, -1, 1e16, None])
    if key == "flag":
        return rnd.choice([True, False, "true", None])
    if key == "nested":
        return rnd.choice([{"x": 1}, [1, 2], "[1, 2]", 7])
    if key == "numtext":
        return rnd.choice(["3", "3.0", 3, "abc", "1e2", " 4"])
    return rnd.choice(["s", 1])


def _samples(rnd: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        fields = {k: _value(rnd, k) for k in KEYS if rnd.random() < (0.1 if k == "sparse" else 0.8)}
        out.append(
            {
                "file_name": f"{i:05d}.jpg",
                "width": 640,
                "height": 480,
                "split": rnd.choice(["train", "val"]),
                "source_image_id": str(i + 1),
                "fields": None if i % 17 == 0 else json.dumps(fields),
            }
        )
    return out


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    rnd = random.Random(16)
    cat = Catalog(tmp_path_factory.mktemp("field_index"), result_cache_mb=0)
    write_dataset(cat, "rich", RowsSource(_samples(rnd, N), [], ["c0"]))
    write_dataset(cat, "other", RowsSource(_samples(rnd, 50), [], ["c0"]))  # must not leak
    yield cat
    cat.close()


def _plain(cat: Catalog, dataset: str, key: str, cond: Any, split: str | None) -> list[int]:
    """The JSON path: the condition on the extracted value of every sample."""
    params = Params()  # the test's keys hold no quote: the pointer is a literal
    test = condition_sql(
        f"json_extract_string(s.fields, '{json_pointer(key)}')",
        parse_condition(cond, key).ops,
        params,
    )
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, dataset)
        more = "" if split is None else " AND s.split = ?"
        rows = cur.execute(
            f"SELECT s.sample_id FROM samples s WHERE ({test}) AND s.dataset_id = ?{more} "  # noqa: S608 - test SQL
            "ORDER BY s.sample_id",
            [*params.values, ds, *([] if split is None else [split])],
        ).fetchall()
    return [int(r[0]) for r in rows]


def random_condition(rnd: random.Random) -> dict[str, Any]:
    """A random condition on a sample field (one or two of every operator kind)."""
    ops: dict[str, Any] = {}
    for _ in range(rnd.choice([1, 1, 1, 2])):
        op = rnd.choice(["in", "eq", "min", "max", "contains", "is_null", "range"])
        if op == "in":
            pool: list[Any] = ["rain", "sun", "5", 5, 2, 2.5, 3, "3.0", True, "s", 1, "[1,2]"]
            ops["in"] = rnd.sample(pool, rnd.randint(0, 3))
        elif op == "eq":
            ops["eq"] = rnd.choice(["rain", "Rain", 2, 3.0, 2.5, "s", 1, -1, 1e16, "3"])
        elif op in ("min", "max"):
            ops[op] = rnd.choice([0, 1, 2.5, 3, -1, None])
        elif op == "range":
            lo = rnd.choice([-1, 0, 1, 2])
            ops.update(min=lo, max=lo + rnd.choice([0, 1, 2, 1e17]))
        elif op == "contains":
            ops["contains"] = rnd.choice(["ai", "R", "1", "x", ""])
        else:
            ops["is_null"] = rnd.choice([True, False])
    return ops


def test_randomised_conditions_match_the_json_path(catalog: Catalog) -> None:
    rnd = random.Random(7)
    for _ in range(100):
        key = rnd.choice([*KEYS, "absent"])
        cond = random_condition(rnd)
        expected = _plain(catalog, "rich", key, cond, None)
        spec = {"sample": {f"fields.{key}": cond}}
        page = queries.samples_page(catalog, "rich", spec, limit=50, include_annotations=False)
        assert page["total"] == len(expected), (key, cond)
        assert [s["sample_id"] for s in page["samples"]] == expected[:50], (key, cond)
        assert queries.sample_ids(catalog, "rich", spec).to_pylist() == expected, (key, cond)
        desc = queries.samples_page(
            catalog, "rich", spec, limit=7, offset=3, order="desc", include_annotations=False
        )
        assert [s["sample_id"] for s in desc["samples"]] == expected[::-1][3:10], (key, cond)
        split = rnd.choice(["train", "val"])  # with another condition: the general path
        both = {"sample": {f"fields.{key}": cond, "split": {"in": [split]}}}
        expected_both = _plain(catalog, "rich", key, cond, split)
        got = queries.samples_page(catalog, "rich", both, limit=500, include_annotations=False)
        assert [s["sample_id"] for s in got["samples"]] == expected_both, (key, cond, split)


def test_two_fields_conditions_and(catalog: Catalog) -> None:
    spec = {"sample": {"fields.weather": {"in": ["rain"]}, "fields.quality": {"min": 1}}}
    a = set(_plain(catalog, "rich", "weather", {"in": ["rain"]}, None))
    b = set(_plain(catalog, "rich", "quality", {"min": 1}, None))
    assert queries.sample_ids(catalog, "rich", spec).to_pylist() == sorted(a & b)
    assert a & b  # the data has such samples: the test can fail


def _index(cat: Catalog) -> list[tuple[Any, ...]]:
    with cat.cursor() as cur:
        return cur.execute(
            "SELECT dataset_id, key, sample_id, text, num FROM field_values "
            "ORDER BY dataset_id, key, sample_id"
        ).fetchall()


def _rebuilt(cat: Catalog) -> list[tuple[Any, ...]]:
    """The index recomputed from samples.fields in Python (json.loads of every sample)."""
    out = []
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT s.dataset_id, s.sample_id, s.fields FROM samples s "
            "JOIN datasets d USING (dataset_id)"
        ).fetchall()
    for ds, sid, text in rows:
        if text is None:
            continue
        for key, value in json.loads(text).items():
            if value is None:
                continue
            as_text = value if isinstance(value, str) else None
            out.append((ds, key, sid, as_text))
    return sorted(out, key=lambda r: (r[0], r[1], r[2]))


def _same_as_rebuilt(cat: Catalog) -> None:
    index = _index(cat)
    rebuilt = _rebuilt(cat)
    assert [(r[0], r[1], r[2]) for r in index] == [r[:3] for r in rebuilt]
    for got, want in zip(index, rebuilt, strict=True):
        if want[3] is not None:  # strings: their text exactly
            assert got[3] == want[3]
        if got[4] is not None:
            assert got[4] == pytest.approx(float(got[3]))


@pytest.mark.parametrize("listed", [64, 0])  # keys listed (one parse), or found per sample
def test_every_writer_keeps_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: int
) -> None:
    monkeypatch.setattr(field_index, "MAX_LISTED_KEYS", listed)
    rnd = random.Random(3)
    cat = Catalog(tmp_path, result_cache_mb=0)
    write_dataset(cat, "a", RowsSource(_samples(rnd, 120), [], ["c0"]))
    write_dataset(cat, "b", RowsSource(_samples(rnd, 60), [], ["c0"]))
    _same_as_rebuilt(cat)
    before = _index(cat)
    assert before
    # tags, predictions and computed (plugin) fields do not write samples.fields
    update_tags(cat, "a", {"sample": {"split": {"in": ["val"]}}}, add=["t"])
    preds = random_predictions(rnd, 120, 2, False)
    write_predictions(cat, "a", "m1", PredictionRowsSource(preds))
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "a")
        ids = np.asarray([r[0] for r in cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ?", [ds]).fetchall()])  # fmt: skip
    write_computed(cat, ds, {"test_index_score": (ids, rnd_values(len(ids)))}, producer="test")
    write_computed(  # replaced
        cat, ds, {"test_index_score": (ids[:5], rnd_values(5))}, producer="test"
    )
    assert _index(cat) == before
    spec = {"sample": {"fields.weather": {"in": ["rain"]}, "computed.test_index_score": {"min": 0}}}
    rain = _plain(cat, "a", "weather", {"in": ["rain"]}, None)
    expected = sorted(set(rain) & {int(i) for i in ids[:5]})  # the replaced field's samples
    assert queries.sample_ids(cat, "a", spec).to_pylist() == expected
    # delete: the rows go with the dataset, the other's stay
    cat.delete_dataset("a")
    _same_as_rebuilt(cat)
    assert {r[0] for r in _index(cat)} == {r[0] for r in before} - {ds}
    # a re-ingest under the same name is indexed again
    write_dataset(cat, "a", RowsSource(_samples(rnd, 30), [], ["c0"]))
    _same_as_rebuilt(cat)
    cat.close()


def rnd_values(n: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n)


def test_a_catalog_without_the_index_gets_it_on_open(tmp_path: Path) -> None:
    rnd = random.Random(4)
    cat = Catalog(tmp_path, result_cache_mb=0)
    write_dataset(cat, "a", RowsSource(_samples(rnd, 80), [], ["c0"]))
    expected = _index(cat)
    with cat.write(keeps_derived=True) as cur:  # as written before the index existed
        cur.execute("DROP TABLE field_values")
        cur.execute("DELETE FROM meta WHERE key = 'field_index'")
        cur.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")  # its release
    cat.close()
    cat = Catalog(tmp_path, result_cache_mb=0)
    assert _index(cat) == expected
    _same_as_rebuilt(cat)
    cat.close()
