"""Where a filtered facets request spends its time, per branch, in process (issue #16).

    python benchmarks/profile_facets.py CATALOG_DIR [--reps 3]

``CATALOG_DIR``: a catalog written by ``bench_browse.py`` (``--cache``/browse-N; copy it
first: this opens it read-write). For each filter of the browsing benchmark, the best of
``--reps`` of: the SQL path's statement reading the filtered samples' columns, its
statement for the sample columns alone, the extra of the ``fields.<key>`` facets and of
each box source, each facet provider over the filtered samples, and the whole facets
request with every index turned off ("sql") and on ("indexed", its indexes built before),
the answers cache cleared before each. A development measurement (the figures of record
come from ``bench_browse.py``); the two whole answers are compared (``same``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import visionlens_jlab.catalog.extensions.computed  # noqa: F401 - registers its facet provider
import visionlens_jlab.evaluate.store as eval_store
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.plan import facets
from visionlens_jlab.catalog.query.filters import compile_filter
from visionlens_jlab.catalog.sql.facet_keys import FacetKeys, shown_facet_keys
from visionlens_jlab.catalog.sql.facet_sql import facets_sql, samples_table_sql
from visionlens_jlab.features import load as load_features


def filters(n: int) -> dict[str, dict[str, Any]]:
    """The filters of the browsing benchmark's facet rows."""
    ids = list(range(1, n + 1, 10))[:100_000]
    gt = "ground_truth"
    return {
        "two gt classes": {"labels": {"source": gt, "classes": ["cat", "dog"]}},
        "split val": {"sample": {"split": {"in": ["val"]}}},
        "m1 score >= 0.9": {"labels": {"source": "m1", "score": {"min": 0.9}}},
        "gt area 1000-5000": {
            "labels": {"source": gt, "where": {"area": {"min": 1000, "max": 5000}}}
        },  # fmt: skip
        "fields.weather rain": {"sample": {"fields.weather": {"in": ["rain"]}}},
        "tag review": {"tags": {"any": ["review"]}},
        f"id set of {len(ids):,}": {"ids": ids},
        "FN of class cat": {
            "labels": {"source": gt, "classes": ["cat"], "eval": {"status": ["fn"]}}
        },  # fmt: skip
    }


def best(fn: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def sql_branches(cat: Catalog, ds: int, keys: FacetKeys, spec: dict[str, Any], reps: int) -> dict[str, float]:  # fmt: skip
    """The SQL path's statements for ``spec``, one branch at a time (ms, best of ``reps``)."""
    res: dict[str, float] = {}
    with cat.cursor() as cur:
        flt = compile_filter(ds, spec)
        sql, params = samples_table_sql(flt.where, keys.fields)
        res["rows"] = best(lambda: cur.sql(sql, params=[*params, *flt.params]).to_arrow_table(), reps)  # fmt: skip
        samples = cur.sql(sql, params=[*params, *flt.params]).to_arrow_table()
        cur.register("_facet_samples", samples)

        def branch(n_fields: int, sources: list[str]) -> float:
            stmt, named = facets_sql(n_fields, ds, sources, [], samples.num_rows, some_sources=True)  # fmt: skip
            return best(lambda: cur.execute(stmt, named).fetchall(), reps)

        res["columns"] = branch(0, [])
        res["fields"] = branch(len(keys.fields), []) - res["columns"]
        for source in keys.sources:
            res[source] = branch(0, [source]) - res["columns"]
        for provider in facets._FACET_PROVIDERS:
            res[provider.__name__] = best(lambda p=provider: p(cur, ds, "_facet_samples"), reps)  # type: ignore[misc]  # fmt: skip
    return res


def whole(cat: Catalog, spec: dict[str, Any], indexed: bool) -> tuple[float, dict[str, Any]]:
    """The whole facets request (ms, best of 2, answers cache cleared) and its answer."""
    real = facets.box_index, eval_store.indexed_eval_rows
    if not indexed:
        facets.box_index, eval_store.indexed_eval_rows = (lambda *a: None), (lambda *a: None)
    try:
        facets.facets(cat, "bench", spec)  # indexes built if needed

        def cold() -> None:
            cat.results.clear()
            facets.facets(cat, "bench", spec)

        ms = best(cold, 2)
        cat.results.clear()
        return ms, facets.facets(cat, "bench", spec)
    finally:
        facets.box_index, eval_store.indexed_eval_rows = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    load_features()  # the features' tables, before the catalog opens
    cat = Catalog(args.catalog)
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "bench")
        keys = shown_facet_keys(cur, ds)
        n = int(cur.execute("SELECT COUNT(*) FROM samples WHERE dataset_id = ?", [ds]).fetchall()[0][0])  # fmt: skip
        t0 = time.perf_counter()
        box_index(cat, cur, ds)
    print(f"{n:,} samples; box index built in {(time.perf_counter() - t0) * 1000:.0f} ms")
    for label, spec in filters(n).items():
        res = sql_branches(cat, ds, keys, spec, args.reps)
        res["sql"], plain = whole(cat, spec, indexed=False)
        res["indexed"], fast = whole(cat, spec, indexed=True)
        cells = " ".join(f"{k}={v:.0f}" for k, v in res.items())
        print(f"{label} ({plain['total']:,}): {cells} same={fast == plain}", flush=True)


if __name__ == "__main__":
    main()
