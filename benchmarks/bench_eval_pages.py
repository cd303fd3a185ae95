"""Evaluation patches pages, this code against a reference revision's, in one process.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_eval_pages.py \\
        --data /tmp/copy/patches-1000000x5 [--ref main] [--runs 3] [--out FILE]

``--data``: a copy of :func:`bench_patches.patches_dataset_dir`'s data (1M images x 5
ground-truth boxes, 2M predictions of ``m1`` and its evaluation: 7M per-box rows; copy it,
the catalog is opened for writing). The reference's ``catalog/reads/object_pages.py`` (from
``git show REF:...``) is loaded beside the current one; each run times every case with the
two alternating (after a warm-up of each), and checks that they answer the same total and
page. Median and range in ms, wall clock and process CPU time (both threads).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from harness import bench_lock, environment, header, load_average, table  # noqa: E402

EVAL = {"kind": "evaluation", "model": "m1", "limit": 100}
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("all statuses, by IoU desc", {}, {"sort": "iou", "order": "desc"}),
    ("all statuses, by IoU, offset 600", {}, {"sort": "iou", "offset": 600}),
    ("TP + FP, by score desc", {}, {"statuses": ["tp", "fp"], "sort": "score", "order": "desc"}),
    ("FN only, by id", {}, {"statuses": ["fn"]}),
    ("all statuses, by IoU, tag 'review' (1/7 images)", {"tags": {"any": ["review"]}},
     {"sort": "iou"}),
    ("FN only, by id, class 'person'", {"labels": {"classes": ["person"]}}, {"statuses": ["fn"]}),
]  # fmt: skip


def _reference(ref: str, folder: Path) -> ModuleType:
    """The reference revision's module, loaded as a sibling of the current one."""
    rel = "visionlens_jlab/catalog/reads/object_pages.py"
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{rel}"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    path = folder / "object_pages_reference.py"
    path.write_text(text)
    name = "visionlens_jlab.catalog.reads.object_pages_reference"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _answer(page: dict[str, Any]) -> tuple[int, list[tuple[Any, ...]]]:
    return page["total"], [(o["ann_id"], o["status"], o["iou"]) for o in page["objects"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--ref", default="main")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.reads import object_pages
    from visionlens_jlab.features import load as load_features

    load_features()
    with tempfile.TemporaryDirectory() as tmp, bench_lock():
        codes = {"reference": _reference(args.ref, Path(tmp)), "this": object_pages}
        load_start = load_average()
        rows = []
        with Catalog(args.data) as catalog:
            for name, flt, body in CASES:
                wall: dict[str, list[float]] = {k: [] for k in codes}
                cpu: dict[str, list[float]] = {k: [] for k in codes}
                answers = {}
                for run in range(args.runs + 1):  # the first: the warm-up
                    for code, module in codes.items():
                        query = module.parse_patch_query({**EVAL, **body})
                        t0, c0 = time.perf_counter(), time.process_time()
                        page = module.patches_page(catalog, "bench", flt, query)
                        if run:
                            wall[code].append((time.perf_counter() - t0) * 1000)
                            cpu[code].append((time.process_time() - c0) * 1000)
                        answers[code] = _answer(page)
                if answers["reference"] != answers["this"]:
                    raise SystemExit(f"different answers for {name!r}")
                rows.append([name, f"{answers['this'][0]:,}", *(
                    f"{statistics.median(v[k]):.0f} ({min(v[k]):.0f}–{max(v[k]):.0f})"
                    for k in codes for v in (wall, cpu))])  # fmt: skip
        load_end = load_average()
    head = ["request", "total", f"`{args.ref}` wall ms", f"`{args.ref}` CPU ms",
            "this wall ms", "this CPU ms"]  # fmt: skip
    title = "Evaluation patches pages, paired with the reference, in process"
    text = header(title, environment(), load_start, load_end) + "\n" + table(head, rows)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
