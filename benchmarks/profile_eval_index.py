"""The evaluation index's parts at scale, in process (issue #16): eval facets from a mask,
an ``eval`` label filter's mask, the index's memory and build time.

    python benchmarks/profile_eval_index.py CATALOG_DIR [--reps 5]

``CATALOG_DIR``: a catalog written by ``bench_browse.py`` (``--cache``/browse-N; copy it
first: this opens it read-write). For each filter of the browsing benchmark (its samples'
mask from the box index), the best of ``--reps`` of the eval facet rows: from the mask
(``mask``: what a facets request pays now), from the ids of a registered table (``table``:
the read and mask of before), and the SQL's join (``sql``); then, for ``eval`` label
filters, the mask from the index against the SQL's sample ids (``label mask`` / ``label
sql``). Every pair of answers is compared (``same``). A development measurement.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from profile_facets import filters

import visionlens_jlab.evaluate  # noqa: F401 - registers the eval filter
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.indexes.filtered_samples import FilteredSamples
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import compile_filter
from visionlens_jlab.evaluate.eval_facet_index import eval_index, indexed_eval_rows
from visionlens_jlab.evaluate.eval_label_mask import eval_label_mask
from visionlens_jlab.evaluate.store import EVAL_FACETS_SQL
from visionlens_jlab.features import load as load_features


def best(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), out


def rows_of(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Any:
    return cur.execute(sql, params).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("catalog")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    load_features()  # the features' tables, before the catalog opens
    cat = Catalog(args.catalog)
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "bench")
        boxes = box_index(cat, cur, ds)
        assert boxes is not None
        t0 = time.perf_counter()
        index = eval_index(cur, ds, boxes.token, boxes.samples)
        built = time.perf_counter() - t0
        assert index is not None
        m = [e.matches for e in index.evaluations]
        dense = sum(len(x.bits) for x in m)
        shared = "shared with" if index.samples is boxes.samples else "besides"
        print(f"eval index: {len(index.evaluations)} evaluation(s), built in {built:.1f} s, "
              f"sample ids {shared} the box index's, "
              f"{index.nbytes / 2**20:.1f} MB (matches {sum(x.nbytes for x in m) / 2**20:.1f} MB: "
              f"{dense} combinations as bits, {sum(len(x.dense) for x in m) - dense} as positions)")  # fmt: skip
        print("| filter | samples | mask | table | sql | same | label mask | label sql | same |")
        print("|---|---|---|---|---|---|---|---|---|")
        for label, spec in filters(boxes.samples.n).items():
            flt = compile_filter(ds, spec)
            ids = cur.execute(f"SELECT s.sample_id FROM samples s WHERE {flt.where}",  # noqa: S608 - compiled
                              flt.params).fetchnumpy()["sample_id"]  # fmt: skip
            mask = boxes.mask_of(np.asarray(ids, dtype=np.int64))
            assert mask is not None
            cur.register("_chosen", pa.table({"sample_id": boxes.samples.ids[mask]}))
            filtered = FilteredSamples(boxes.samples, mask, boxes.token)
            t_mask, a = best(partial(indexed_eval_rows, cur, ds, "_chosen", filtered), args.reps)
            t_table, b = best(partial(indexed_eval_rows, cur, ds, "_chosen"), args.reps)
            sql = EVAL_FACETS_SQL.format(join="JOIN _chosen s ON s.sample_id = b.sample_id",
                                          only_key="")  # fmt: skip
            t_sql, c = best(partial(rows_of, cur, sql, [ds]), 1)
            row = [label, f"{int(mask.sum()):,}", f"{t_mask:.2f}", f"{t_table:.1f}",
                   f"{t_sql:.0f}", str(a == b == c)]  # fmt: skip
            labels = spec.get("labels")
            if set(spec) == {"labels"} and isinstance(labels, dict) and "eval" in labels:
                condition = parse_filter(spec).labels[0]
                answer = partial(eval_label_mask, cur, ds, condition, boxes.samples, boxes.token)
                t_lm, lm = best(answer, args.reps)
                sql = f"SELECT s.sample_id FROM samples s WHERE {flt.where}"  # noqa: S608 - compiled
                t_ls, _ = best(partial(rows_of, cur, sql, flt.params), args.reps)
                same = lm is not None and bool(np.array_equal(lm, mask))
                row += [f"{t_lm:.2f}", f"{t_ls:.1f}", str(same)]
            else:
                row += ["", "", ""]
            print("| " + " | ".join(row) + " |", flush=True)
    cat.close()


if __name__ == "__main__":
    main()
