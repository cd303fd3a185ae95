"""Shape edits to the new counts (issue #51 item 4): a polygon of 500 vertices and a 1080p mask.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_edit_shapes.py \\
        [--sizes 1000000] [--runs 20] [--cli-runs 5] [--cache /tmp/vl-browse-cache] [--out FILE]

Per size, the browsing benchmark's synthetic dataset with 1920 x 1080 images
(``bench_browse.dataset_dir(..., size=(1920, 1080))``: ``n`` images, 3 ground-truth boxes
each, models ``m1`` and ``m2``, an evaluation of ``m1``) is copied to a temporary directory
and opened with a held box index (one filtered facets request). Then ``--runs`` times, each
on a random ground-truth object:

* **polygon**: ``apply_edits`` of a ``reshape`` whose ``segmentation`` is one ring of 500
  vertices (a circle inside the image, centred elsewhere each run): the shape checks (inside
  the image, area, no self-intersection), the mask's area and extent, the box moved to it,
  the touched sample matched again for the evaluation; then the next filtered facets request
  (answered from the patched index): **edit → new counts**;
* **1080p mask**: the same with a compressed COCO RLE of a 1920 x 1080 ellipse (what the
  brush or click-to-mask sends);
* **reference**: a relabel of one box (the edit path with no shape), and its next facets.

Then the catalog is closed and ``visionlens edit NAME --ops FILE --json`` runs end to end
(a new process opening the catalog) ``--cli-runs`` times per shape. Median and range in ms,
and the p95 (nearest rank) of each edit → new counts.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_browse import dataset_dir
from harness import (
    checked,
    cli_command,
    environment,
    header,
    load_average,
    run_locked,
    run_process,
    summary,
    table,
)

import visionlens_jlab.catalog.indexes.box_index as box_indexes
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan import facets
from visionlens_jlab.catalog.store.result_cache import ResultCache
from visionlens_jlab.features import load as load_features
from visionlens_jlab.records.masks import mask_answer

SIZE = (1920, 1080)
VERTICES = 500
SPEC = {"labels": {"source": "ground_truth", "classes": ["cat", "dog"]}}
"""The browsing benchmark's first filtered facets request (two ground-truth classes)."""


def ring(rnd: random.Random) -> list[float]:
    """A circle of :data:`VERTICES` points inside the image, at a random place."""
    width, height = SIZE
    r = rnd.uniform(60, 300)
    cx, cy = rnd.uniform(r + 1, width - r - 1), rnd.uniform(r + 1, height - r - 1)
    turns = np.arange(VERTICES) * 2 * math.pi / VERTICES
    xy = np.stack([cx + r * np.cos(turns), cy + r * np.sin(turns)], axis=1)
    return [round(float(v), 2) for v in xy.reshape(-1)]


def ellipse(rnd: random.Random) -> dict[str, Any]:
    """The compressed RLE of a 1920 x 1080 mask holding one ellipse at a random place."""
    width, height = SIZE
    ry, rx = rnd.uniform(40, 400), rnd.uniform(40, 700)
    cy, cx = rnd.uniform(ry, height - ry), rnd.uniform(rx, width - rx)
    yy, xx = np.ogrid[:height, :width]
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    return dict(mask_answer(inside)["mask"])


def ms(fn: Any, *args: Any) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def objects(cat: Catalog) -> list[tuple[int, str]]:
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT ann_id, label FROM annotations WHERE source = 'ground_truth'"
        ).fetchall()
    return [(int(a), str(label)) for a, label in rows]


def operations(kind: str, ann: int, label: str, rnd: random.Random) -> list[dict[str, Any]]:
    """One operation of ``kind`` on object ``ann``."""
    if kind == "polygon":
        return [{"op": "reshape", "annotation_id": ann, "segmentation": [ring(rnd)]}]
    if kind == "1080p mask":
        return [{"op": "reshape", "annotation_id": ann, "segmentation": ellipse(rnd)}]
    return [{"op": "relabel", "annotation_id": ann, "label": "dog" if label == "cat" else "cat"}]


KINDS = ("polygon", "1080p mask", "relabel (reference)")


def measure(n: int, runs: int, cli_runs: int, cache: Path) -> tuple[dict[str, list[float]], str]:
    source = dataset_dir(cache, n, size=SIZE)
    times: dict[str, list[float]] = defaultdict(list)
    rnd = random.Random(n)
    with tempfile.TemporaryDirectory(prefix=f"vl-edit-shapes-{n}-") as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        cat = Catalog(tmp, result_cache_mb=0)
        cat.results = ResultCache(0)
        facets.facets(cat, "bench", SPEC)  # the index held, as in a browsing session
        with cat.cursor() as cur:
            ds = cat.dataset_id(cur, "bench")
        pool = objects(cat)
        kept = []  # per facets request: answered from the index the edit left
        for _ in range(runs):
            for kind in KINDS:
                ann, label = rnd.choice(pool)
                ops = operations(kind, ann, label, rnd)
                edit = ms(edits.apply_edits, cat, "bench", ops, "bench")
                held = box_indexes.held_index(cat, ds)
                answer = ms(facets.facets, cat, "bench", SPEC)
                kept.append(held is not None and box_indexes.held_index(cat, ds) is held)
                times[f"{kind}: edit"].append(edit)
                times[f"{kind}: next facets"].append(answer)
                times[f"{kind}: edit → new counts"].append(edit + answer)
        cat.close()
        ops_file = Path(tmp) / "ops.json"
        for _ in range(cli_runs):
            for kind in KINDS[:2]:
                ann, label = rnd.choice(pool)
                ops_file.write_text(json.dumps(operations(kind, ann, label, rnd)))
                argv = ["edit", "bench", "--ops", str(ops_file), "--data-dir", tmp, "--json"]
                run = checked(run_process(cli_command(*argv)), f"CLI {kind}")
                times[f"CLI edit, {kind} (end to end)"].append(run.wall_s * 1000)
    note = f"facets requests answered by the index the edit left: {sum(kept)}/{len(kept)}; "
    note += f"{n:,} images of {SIZE[0]} x {SIZE[1]}: " + "; ".join(
        f"{kind} edit → new counts p95 {p95(times[f'{kind}: edit → new counts']):.1f} ms"
        for kind in KINDS
    )
    return times, note + f" (nearest rank over {runs} runs)"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(0.95 * len(ordered))) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cli-runs", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    ap.add_argument("--out", type=Path)
    opts = ap.parse_args()
    load_features()
    env, load_start = environment(), load_average()
    results = {n: measure(n, opts.runs, opts.cli_runs, opts.cache) for n in opts.sizes}
    rows = []
    for key in results[opts.sizes[0]][0]:
        rows.append([key, *(summary(results[n][0][key]).fmt(1) for n in opts.sizes)])
    text = header("Shape edits to the new counts", env, load_start, load_average())
    text += (
        f"\n{opts.runs} runs in process, {opts.cli_runs} by the CLI; median (min–max) in ms.\n\n"
    )
    text += table(["", *(f"{n:,} images" for n in opts.sizes)], rows)
    text += "\n" + "\n".join(f"- {results[n][1]}" for n in opts.sizes) + "\n"
    if opts.out:
        opts.out.write_text(text)
    print(text)


if __name__ == "__main__":
    run_locked(main)
