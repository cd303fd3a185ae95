"""Benchmark: the views of objects under a ``track_length`` bound at 2M frames (issue #52).

The patches view's objects and the track tiles of ``{"labels": {"source": "ground_truth",
"where": {"track_length": {"max": 150}}}}``, in process on the 2M-frame catalog that
``bench_browse.py --sizes 2000000 --videos 1000`` writes into its cache (read only), each
way the condition can be compiled, in the same run:

* ``definition``: the field's SQL (under ``forced_sql``: a count of every tracked object of
  the dataset for each object the view considers), the reference;
* ``track index``: the object's track among the tracks the index holds within the bound
  (``catalog/plan/object_matches.py``).

Each request is cold (the answers cache cleared); the track index is built once before.
The answers of the two ways are compared and must be equal.

Usage: ``python benchmarks/bench_video_object_views.py [--data DIR] [--runs 7] [--out
benchmarks/results/browse.md]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import environment, header, load_average, run_locked, table, timed, write_section  # noqa: E402

from visionlens_jlab import features  # noqa: E402
from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.catalog.plan.planner import forced_sql  # noqa: E402
from visionlens_jlab.catalog.reads.object_pages import patches_page  # noqa: E402
from visionlens_jlab.catalog.reads.patch_query import PatchQuery  # noqa: E402
from visionlens_jlab.importing.track_tiles import track_tiles  # noqa: E402

SPEC = {"labels": {"source": "ground_truth", "where": {"track_length": {"max": 150}}}}
TITLE = "Views of objects under a track_length bound, 2M frames (issue #52)"


def views(catalog: Catalog, name: str) -> dict[str, Callable[[], Any]]:
    """The requests measured, by label."""
    return {
        "patches, first page": lambda: patches_page(catalog, name, SPEC, PatchQuery(limit=100)),
        "patches, offset 50,000": lambda: patches_page(
            catalog, name, SPEC, PatchQuery(offset=50_000, limit=100)
        ),
        "track tiles, first page": lambda: track_tiles(catalog, name, SPEC),
    }


def main() -> None:
    """Measure both ways of each request and print (or write) the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path("/tmp/vl-browse-cache/browse-2000000-videos-1000")
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    features.load()
    env, load_start = environment(), load_average()
    catalog = Catalog(args.data, read_only=True)
    with catalog.cursor() as cur:
        first = cur.execute("SELECT name FROM datasets ORDER BY dataset_id LIMIT 1").fetchone()
    if first is None:
        raise SystemExit(f"{args.data}: no dataset (run bench_browse.py --videos 1000 first)")
    name = str(first[0])
    rows = []
    measured = views(catalog, name)
    measured["track tiles, first page"]()  # the track index, built once
    for label, view in measured.items():

        def cold(forced: bool, view: Callable[[], Any] = view) -> Any:
            catalog.results.clear()
            with forced_sql() if forced else nullcontext():
                return view()

        times: dict[bool, list[float]] = {}
        answers: dict[bool, Any] = {}
        for forced in (True, False):
            seconds, answers[forced] = timed(partial(cold, forced), args.runs)
            times[forced] = [1000 * t for t in seconds]
        if answers[True] != answers[False]:
            raise SystemExit(f"{label}: the track index's answer differs from the definition's")
        cells = [
            f"{statistics.median(times[f]):.0f} ({min(times[f]):.0f}-{max(times[f]):.0f})"
            for f in (True, False)
        ]
        rows.append([label, *cells, f"{answers[False]['total']:,}", "yes"])
    catalog.close()
    text = (
        header(TITLE, env, load_start, load_average())
        + f"\n`python benchmarks/bench_video_object_views.py --runs {args.runs}` on "
        "`bench_browse.py`'s cached 2M-frame catalog (1,000 videos), in process, read only; "
        f"{args.runs} cold requests per way, median (min-max) ms.\n\n"
        + table(["request", "definition (SQL) ms", "track index ms", "total", "same answer"], rows)
    )
    if args.out is None:
        print(text)
    else:
        write_section(args.out, f"## {TITLE}", text, top=True)


if __name__ == "__main__":
    run_locked(main)
