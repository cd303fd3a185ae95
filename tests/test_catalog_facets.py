"""Facets against a plain reference implementation, and the writer-maintained facet keys."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog, compile_filter
from visionlens_jlab.catalog.plan.facets import MAX_FIELD_FACETS
from visionlens_jlab.catalog.query.facet_places import described
from visionlens_jlab.catalog.query.filter_model import Filter
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.sql.facet_exclusion import own_conditions
from visionlens_jlab.catalog.sql.facet_keys import facet_keys
from visionlens_jlab.catalog.sql.facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.config import CATALOG_FILE

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows

SPECS: list[dict[str, Any] | None] = [
    None,
    {},
    {"labels": {"classes": ["c3"]}},
    {"sample": {"split": {"in": ["val"]}}},
    {"ids": []},
    {"ids": [2, 5, 10**9]},
    {"sample": {"fields.mixed": {"min": 0}}},  # numeric only in this subset
    {"tags": {"any": ["t1"]}},
    {"labels": {"source": "m1", "score": {"min": 0.8}}},
    {"box_count": {"source": "ground_truth", "max": 0}},
    {"box_count": {"min": 2, "max": 5, "classes": ["c1", "c4"]}},
    {"sample": {"width": {"min": 600}}, "labels": {"where": {"attributes.pose": {"eq": "left"}}}},
    {"sample": {"fields.weather": {"in": ["fog"]}}},
    {
        "labels": [
            {"source": "ground_truth", "classes": ["c1", "c2"]},
            {"source": "m2", "classes": ["c3"]},
        ]
    },
    {"box_count": [{"source": "ground_truth", "min": 1}, {"source": "m1", "max": 1}]},
    {"sample": {"split": {"in": ["val", "test"]}}, "tags": {"any": ["t2"]}},
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    rnd = random.Random(7)
    cat = Catalog(tmp_path_factory.mktemp("facets"))
    samples, boxes = random_rows(rnd, 600)
    write_dataset(cat, "rich", RowsSource(samples, boxes, [f"c{k}" for k in range(12)]))
    write_predictions(
        cat, "rich", "m1", PredictionRowsSource(random_predictions(rnd, 600, 2, False))
    )
    write_predictions(
        cat, "rich", "m2", PredictionRowsSource(random_predictions(rnd, 600, 3, True))
    )
    other, other_boxes = random_rows(rnd, 50)  # a second dataset, which must never leak in
    write_dataset(cat, "other", RowsSource(other, other_boxes, ["c0"]))
    update_tags(cat, "rich", {"sample": {"split": {"in": ["val"]}}}, add=["t1", "z"])
    update_tags(cat, "rich", {"labels": {"classes": ["c2"]}}, add=["t2"])
    ev.evaluate_model(cat, "rich", "m1")
    yield cat
    cat.close()


@pytest.mark.parametrize("spec", SPECS, ids=json.dumps)
def test_facets_match_the_reference(catalog: Catalog, spec: dict[str, Any] | None) -> None:
    assert queries.facets(catalog, "rich", spec) == multi_pick_reference(catalog, "rich", spec)


def multi_pick_reference(catalog: Catalog, dataset: str, spec: dict[str, Any] | None) -> Any:
    """The reference facets with multi-pick semantics: a facet the filter conditions on
    (by :func:`own_conditions`, whose reductions test_catalog_browse checks by hand) takes
    its reference values over the filter without that condition."""
    out = reference_facets(catalog, dataset, spec)
    for own in own_conditions(parse_filter(spec)):
        wider = reference_facets(catalog, dataset, own.reduced)["facets"]
        same = [f for f in wider if (f["name"], f.get("source")) == (own.name, own.source)]
        out["facets"] = [
            same[0] if same and (f["name"], f.get("source")) == (own.name, own.source) else f
            for f in out["facets"]
        ]
    return out


def test_facets_cover_every_kind(catalog: Catalog) -> None:
    result = queries.facets(catalog, "rich", None)
    kinds = {(f["name"], f.get("source")): f["type"] for f in result["facets"]}
    assert kinds[("fields.mixed", None)] == "categorical"  # one "x" among the numbers
    assert kinds[("fields.brightness", None)] == "numeric"
    assert kinds[("attributes.occluded", None)] == "numeric"
    assert kinds[("attributes.pose", None)] == "categorical"
    assert kinds[("score", "m2")] == "numeric" and ("score", "ground_truth") not in kinds
    assert ("eval.status", "m1") in kinds
    uniq = next(f for f in result["facets"] if f["name"] == "fields.uniq")
    assert len(uniq["values"]) == MAX_CATEGORICAL_VALUES
    # samples 2..36 (i = 1..35) have no "x"; a condition on fields.mixed itself would
    # leave the facet over every sample (multi-pick)
    subset = queries.facets(catalog, "rich", {"ids": list(range(2, 37))})
    mixed = next(f for f in subset["facets"] if f["name"] == "fields.mixed")
    assert mixed["type"] == "numeric"


def test_facet_keys_follow_the_writer(tmp_path: Path) -> None:
    cat = Catalog(tmp_path)
    rnd = random.Random(1)
    samples, boxes = random_rows(rnd, 40)
    write_dataset(cat, "ds", RowsSource(samples, boxes, ["c0"]))
    with cat.cursor() as cur:
        keys = facet_keys(cur, cat.dataset_id(cur, "ds"))
    assert keys.fields == sorted(keys.fields) and "uniq" in keys.fields
    assert set(keys.attributes) == {"occluded", "pose", "truncated"}
    assert keys.sources == ["ground_truth"]
    write_predictions(cat, "ds", "m2", PredictionRowsSource(random_predictions(rnd, 40, 1, True)))
    with cat.cursor() as cur:
        keys = facet_keys(cur, cat.dataset_id(cur, "ds"))
    assert keys.sources == ["ground_truth", "m2"] and "track" in keys.attributes
    # replacing the model's boxes with ones without attributes drops its key
    write_predictions(cat, "ds", "m2", PredictionRowsSource(random_predictions(rnd, 40, 1, False)))
    with cat.cursor() as cur:
        assert "track" not in facet_keys(cur, cat.dataset_id(cur, "ds")).attributes
    cat.delete_dataset("ds")
    with cat.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM facet_keys").fetchall() == [(0,)]
    cat.close()


def test_catalogs_without_stored_keys(tmp_path: Path) -> None:
    """A catalog written before ``facet_keys`` existed: served on the fly, filled on open."""
    cat = Catalog(tmp_path)
    samples, boxes = random_rows(random.Random(2), 60)
    write_dataset(cat, "ds", RowsSource(samples, boxes, ["c0"]))
    expected = queries.facets(cat, "ds", {"sample": {"split": {"in": ["val"]}}})
    with cat.write() as cur:
        cur.execute("DELETE FROM facet_keys")
    assert queries.facets(cat, "ds", {"sample": {"split": {"in": ["val"]}}}) == expected
    cat.close()
    with Catalog(tmp_path, read_only=True) as ro:  # read-only: nothing can be stored
        assert queries.facets(ro, "ds", {"sample": {"split": {"in": ["val"]}}}) == expected
    with duckdb.connect(str(tmp_path / CATALOG_FILE)) as con:  # as its release stamped it
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with Catalog(tmp_path) as cat:  # migration step 3 stores the keys
        with cat.cursor() as cur:
            assert cur.execute("SELECT COUNT(*) FROM facet_keys").fetchall() == [(1,)]
        assert queries.facets(cat, "ds", {"sample": {"split": {"in": ["val"]}}}) == expected


def test_whole_dataset_flag() -> None:
    assert compile_filter(1, None).whole_dataset
    assert compile_filter(1, {"tags": {}, "ids": None}).whole_dataset
    assert not compile_filter(1, {"ids": []}).whole_dataset
    assert not compile_filter(1, {"sample": {"split": {"in": ["a"]}}}).whole_dataset


# --------------------------------------------------------------------------- reference


def reference_facets(catalog: Catalog, dataset: str, spec: dict[str, Any] | Filter | None) -> Any:
    """Facets the slow, obvious way: every facet's values fetched into Python and counted
    there. Key lists come from the rows, not from ``facet_keys``."""
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, dataset)
        flt = compile_filter(ds, spec)
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE ref_s AS SELECT * FROM samples s WHERE {flt.where}",  # noqa: S608
            flt.params,
        )
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE ref_b AS SELECT a.* FROM annotations a "
            "WHERE a.dataset_id = ? AND a.sample_id IN (SELECT sample_id FROM ref_s)",
            [ds],
        )

        def values(sql: str, params: list[Any] | None = None) -> list[Any]:
            return [r[0] for r in cur.execute(sql, params or []).fetchall()]

        def keys(column: str, table: str) -> list[str]:
            return values(
                f"SELECT DISTINCT unnest(json_keys({column})) AS k FROM {table} "  # noqa: S608
                f"WHERE dataset_id = ? AND {column} IS NOT NULL ORDER BY k LIMIT ?",
                [ds, MAX_FIELD_FACETS],
            )

        def json_facet(name: str, table: str, column: str, key: str) -> dict[str, Any]:
            pointer = "/" + key.replace("~", "~0").replace("/", "~1")
            rows = cur.execute(
                f"SELECT json_extract_string({column}, ?) AS v FROM {table}",  # noqa: S608
                [pointer],
            ).fetchall()
            text = [r[0] for r in rows]
            numbers = values(
                f"SELECT TRY_CAST(json_extract_string({column}, ?) AS DOUBLE) FROM {table}",  # noqa: S608
                [pointer],
            )
            present = [v for v in text if v is not None]
            if present and len(present) == len([v for v in numbers if v is not None]):
                return _ref_numeric(name, numbers)
            return _ref_categorical(name, text)

        out = [
            _ref_categorical("split", values("SELECT split FROM ref_s")),
            _ref_numeric("width", values("SELECT width FROM ref_s")),
            _ref_numeric("height", values("SELECT height FROM ref_s")),
            _ref_categorical("tags", values("SELECT unnest(tags) FROM ref_s")),
        ]
        out += [json_facet(f"fields.{k}", "ref_s", "fields", k) for k in keys("fields", "samples")]
        per_sample = Counter(cur.execute("SELECT sample_id, source FROM ref_b").fetchall())
        ids = values("SELECT sample_id FROM ref_s")
        sources = values(
            "SELECT DISTINCT source FROM annotations WHERE dataset_id = ? ORDER BY source", [ds]
        )
        for source in sources:
            labels = values("SELECT label FROM ref_b WHERE source = ?", [source])
            out.append({**_ref_categorical("label", labels), "source": source})
            counts = [per_sample[(i, source)] for i in ids]
            out.append({**_ref_numeric("box_count", counts), "source": source})
            if source != "ground_truth":
                scores = values("SELECT score FROM ref_b WHERE source = ?", [source])
                out.append({**_ref_numeric("score", scores), "source": source})
        out += [
            json_facet(f"attributes.{k}", "ref_b", "attributes", k)
            for k in keys("attributes", "annotations")
        ]
        out += ev.eval_facet_entries(cur, ds, "ref_s")
        cur.execute("DROP TABLE ref_s")
        cur.execute("DROP TABLE ref_b")
    # the places are declarations, not counts: the answer's own (test_facet_places.py)
    return {"total": len(ids), "facets": [described(f) for f in out]}


def _ref_categorical(name: str, values: list[Any]) -> dict[str, Any]:
    # count desc, then value asc with NULL last: Python's str order is code-point order,
    # which is DuckDB's (byte-wise UTF-8) order
    ranked = sorted(Counter(values).items(), key=lambda c: (-c[1], c[0] is None, c[0] or ""))
    top = ranked[:MAX_CATEGORICAL_VALUES]
    return {
        "name": name,
        "type": "categorical",
        "values": [{"value": v, "count": n} for v, n in top],
    }


def _ref_numeric(name: str, values: list[Any]) -> dict[str, Any]:
    present = [float(v) for v in values if v is not None]
    if not present:
        return {
            "name": name,
            "type": "numeric",
            "min": None,
            "max": None,
            "count": 0,
            "histogram": [],
        }
    lo, hi = min(present), max(present)
    width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
    counts = Counter(min(math.floor((v - lo) / width), FACET_HISTOGRAM_BINS - 1) for v in present)
    n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
    bins = [
        {"lo": lo + i * width, "hi": lo + (i + 1) * width if hi > lo else hi, "count": counts[i]}
        for i in range(n_bins)
    ]
    return {
        "name": name,
        "type": "numeric",
        "min": lo,
        "max": hi,
        "count": len(present),
        "histogram": bins,
    }
