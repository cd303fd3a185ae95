"""Patches view benchmark: a page of objects at 1M+ objects, in process.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_patches.py \\
        [--images 340000] [--runs 3] [--cache /tmp/vl-patches-cache] [--out FILE]

The dataset is :mod:`bench_browse`'s synthetic one (3 ground-truth boxes per image, two
models of 2 boxes, an evaluation of ``m1``), written once into ``--cache``: 340K images
give 1.02M ground-truth objects. Each request below is one call of
:func:`visionlens_jlab.catalog.reads.object_pages.patches_page` (what ``POST
.../patches`` runs, on a catalog without the page cache: each call runs its plan), timed
``--runs`` times after a warm-up:
median and range in ms. The first page, a deep page (offset 500K) and a filtered page,
each with the exact total.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_browse import dataset_dir
from harness import bench_lock, environment, header, load_average

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("ground truth, by id, first page", {}, {}),
    ("ground truth, by area desc, first page", {}, {"sort": "area", "order": "desc"}),
    ("ground truth, by area desc, offset 500K", {}, {"sort": "area", "order": "desc",
                                                      "offset": 500_000}),
    ("m1, by score, tag 'review' (1/7 images)", {"tags": {"any": ["review"]}},
     {"source": "m1", "sort": "score"}),
    ("ground truth of one class, by area", {"labels": {"classes": ["person"]}}, {"sort": "area"}),
    ("evaluation of m1, by IoU", {}, {"kind": "evaluation", "model": "m1", "sort": "iou"}),
    ("evaluation of m1, FN only", {}, {"kind": "evaluation", "model": "m1",
                                       "statuses": ["fn"]}),
]  # fmt: skip


def patches_dataset_dir(cache: Path, n: int, per_image: int = 5) -> Path:
    """The browser benchmark's cached data dir (``bench_patches_browser.js``): ``n`` images of
    ``per_image`` ground-truth boxes each (1M images x 5: 5M objects), a model ``m1`` of 2
    boxes per image and its evaluation, every 7th image tagged ``review``; written on first
    use through the real writers, as :func:`bench_browse.dataset_dir` writes its own."""
    path = cache / f"patches-{n}x{per_image}"
    if (path / ".complete").exists():
        return path
    from tests.notebook_fixtures import SyntheticSource
    from visionlens_jlab import evaluate
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.catalog.writes.sample_tags import update_tags
    from visionlens_jlab.features import load as load_features

    path.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    load_features()
    catalog = Catalog(path)
    write_dataset(catalog, "bench", SyntheticSource(n, per_image))
    write_predictions(catalog, "bench", "m1", SyntheticSource(n, 2, predictions=True))
    update_tags(catalog, "bench", {"ids": list(range(1, n + 1, 7))}, add=["review"])
    evaluate.evaluate_model(catalog, "bench", "m1")
    catalog.close()
    (path / ".complete").write_text(f"{time.perf_counter() - t0:.0f} s to write\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=340_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vl-patches-cache"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.reads.object_pages import parse_patch_query, patches_page
    from visionlens_jlab.features import load as load_features

    with bench_lock():
        data = dataset_dir(args.cache, args.images)
        load_features()
        load_start = load_average()
        lines = ["| request | objects (exact total) | ms median | range |", "|---|---|---|---|"]
        with Catalog(data, result_cache_mb=0) as catalog:  # every call plans and reads
            for name, flt, body in CASES:
                query = parse_patch_query({"limit": 100, **body})
                page = patches_page(catalog, "bench", flt, query)  # warm-up
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    patches_page(catalog, "bench", flt, query)
                    times.append((time.perf_counter() - t0) * 1000)
                lines.append(
                    f"| {name} | {page['total']:,} | {statistics.median(times):.0f} | "
                    f"{min(times):.0f}–{max(times):.0f} |"
                )
        title = f"Patches pages at {args.images:,} images, in process"
        top = header(title, environment(), load_start, load_average())
    text = top + "\n" + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
