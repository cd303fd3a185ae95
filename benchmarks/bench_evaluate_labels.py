"""Benchmark: COCO segm and keypoints evaluation, VisionLens vs pycocotools vs faster-coco-eval.

Generates its own data (seeded) once per size, as a COCO ground-truth file and a results
file, in a temporary folder:

* ``segm``: ~7 objects per 640x480 image over 80 classes, polygon masks (a few crowd regions
  as uncompressed RLE), predictions as compressed RLE of jittered polygons for ~85% of the
  objects, class swaps, duplicates and background false positives;
* ``keypoints``: ~4 persons per image with COCO's 17 keypoints (labelled, hidden and
  unlabelled points, some persons without any labelled point), predictions near them.

Every tool runs in its own process per round, on the same files, so each peak RSS is its own:

* VisionLens: ``evaluate_model(..., iou_type=...)`` on a copy of a catalog written
  beforehand from the same dicts through the catalog writer (not timed): read the objects
  from DuckDB, match, explain every object, write the per-object rows and the report ("load":
  the imports the evaluation needs and opening the catalog);
* pycocotools / faster-coco-eval: ``evaluate() + accumulate() + summarize()`` on COCO objects
  loaded from the same files (loading is reported separately as "load").

Usage: ``python benchmarks/bench_evaluate_labels.py [--iou-types segm keypoints]
[--sizes 10000 100000] [--rounds 3] [--reference-rounds 1] [--skip faster-coco-eval]
[--cache DIR] [--code before=/tmp/old --code after=.]``
(``benchmarks/harness.py``: rounds in rotating order, median and range, the machine, commit and
load average with the table). ``--reference-rounds N`` runs pycocotools in the first ``N``
rounds only (its segm evaluation takes about half an hour at 100,000 images on 2 cores); the
other tools' ratios are then taken against the median of its rounds instead of round by round.
``--cache DIR`` keeps each size's files and catalog in ``DIR`` and reuses them in later runs
(the data is seeded: the same every time; generating 100,000 segm images takes minutes).
``--code label=checkout`` (repeatable) runs VisionLens from each checkout as its own tool
``visionlens[label]``, interleaved with the others: a paired before/after of a change; with the
references skipped, the ratios and differences are against the first checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

N_CLASSES = 80
WIDTH, HEIGHT = 640, 480
TOOLS = ("visionlens", "pycocotools", "faster-coco-eval")
ROOT = Path(__file__).resolve().parents[1]
COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
"""COCO's person category: its 17 keypoints (evaluated with COCO's sigmas) and skeleton."""
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
            [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]  # fmt: skip
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    Run,
    bench_lock,
    checked,
    child_env,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_process,
    summary,
    table,
)


def _polygons(rng: np.random.Generator, cx: np.ndarray, cy: np.ndarray, r: np.ndarray) -> Any:
    """One 8-vertex star-shaped polygon per centre, inside the image, 2-decimal coordinates."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, (len(cx), 8)), axis=1)
    radii = r[:, None] * rng.uniform(0.5, 1.0, (len(cx), 8))
    xs = np.clip(cx[:, None] + radii * np.cos(angles), 0, WIDTH - 1)
    ys = np.clip(cy[:, None] + radii * np.sin(angles), 0, HEIGHT - 1)
    return np.stack([xs, ys], axis=2).reshape(len(cx), 16).round(2)


def generate_segm(n_images: int, seed: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A COCO instances dict with polygon masks and a list of segm results."""
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(seed)
    per_image = rng.poisson(7, n_images)
    img = np.repeat(np.arange(n_images), per_image)
    n = len(img)
    r = np.exp(rng.normal(3.2, 0.8, n)).clip(3, 200)
    cx, cy = rng.uniform(0, WIDTH, n), rng.uniform(0, HEIGHT, n)
    cat = rng.integers(1, N_CLASSES + 1, n)
    crowd = rng.random(n) < 0.01
    polys = _polygons(rng, cx, cy, r)
    anns = []
    for k in range(n):
        if crowd[k]:
            m = np.zeros((HEIGHT, WIDTH), np.uint8, order="F")
            x0, y0 = int(cx[k] - r[k] / 2), int(cy[k] - r[k] / 2)
            m[max(y0, 0) : y0 + int(r[k]), max(x0, 0) : x0 + int(r[k])] = 1
            flat = m.ravel(order="F").astype(np.int8)
            edges = np.flatnonzero(np.diff(np.r_[0, flat, 1 - flat[-1]]))
            seg: Any = {"size": [HEIGHT, WIDTH], "counts": np.diff(np.r_[0, edges]).tolist()}
            rle = mask_utils.frPyObjects(seg, HEIGHT, WIDTH)
        else:
            seg = [polys[k].tolist()]
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, HEIGHT, WIDTH))
        anns.append({
            "id": k + 1, "image_id": int(img[k]) + 1, "category_id": int(cat[k]),
            "segmentation": seg, "area": float(mask_utils.area(rle)), "iscrowd": int(crowd[k]),
            "bbox": [round(float(v), 2) for v in mask_utils.toBbox(rle)],
        })  # fmt: skip
    found = np.flatnonzero((rng.random(n) < 0.85) & ~crowd)
    src = np.concatenate([found, found[rng.random(len(found)) < 0.05]])
    noise = rng.normal(0, 1, (len(src), 16)) * (
        r[src, None] * rng.uniform(0.02, 0.2, (len(src), 1))
    )
    d_polys = np.clip(polys[src] + noise, 0, WIDTH - 1).round(2)
    d_cat = np.where(
        rng.random(len(src)) < 0.05, rng.integers(1, N_CLASSES + 1, len(src)), cat[src]
    )
    n_bg = n_images * 2
    bg = _polygons(rng, rng.uniform(0, WIDTH, n_bg), rng.uniform(0, HEIGHT, n_bg),
                   np.exp(rng.normal(3.0, 0.7, n_bg)).clip(3, 150))  # fmt: skip
    d_img = np.concatenate([img[src], rng.integers(0, n_images, n_bg)])
    d_cat = np.concatenate([d_cat, rng.integers(1, N_CLASSES + 1, n_bg)])
    score = np.concatenate([rng.uniform(0.3, 1.0, len(src)), rng.uniform(0.01, 0.5, n_bg)])
    rles = mask_utils.frPyObjects(np.vstack([d_polys, bg]).tolist(), HEIGHT, WIDTH)
    dets = [
        {
            "image_id": int(i) + 1,
            "category_id": int(c),
            "score": round(float(s), 4),
            "segmentation": {"size": rle["size"], "counts": rle["counts"].decode()},
        }  # fmt: skip
        for i, c, s, rle in zip(d_img, d_cat, score, rles, strict=True)
    ]
    return _gt_dict(n_images, anns, [{"id": c, "name": f"class{c}"}
                                     for c in range(1, N_CLASSES + 1)]), dets  # fmt: skip


def generate_keypoints(n_images: int, seed: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A COCO person keypoints dict (17 points) and a list of keypoint results."""
    rng = np.random.default_rng(seed)
    per_image = rng.poisson(4, n_images)
    img = np.repeat(np.arange(n_images), per_image)
    n = len(img)
    wh = np.exp(rng.normal(4.0, 0.7, (n, 2))).clip(8, 400)
    xy = rng.uniform(0, 1, (n, 2)) * (np.array([WIDTH, HEIGHT]) - wh)
    kx = xy[:, :1] + rng.uniform(0, 1, (n, 17)) * wh[:, :1]
    ky = xy[:, 1:] + rng.uniform(0, 1, (n, 17)) * wh[:, 1:]
    v = rng.choice([0, 1, 2, 2, 2], (n, 17))
    v[rng.random(n) < 0.1] = 0  # no labelled point: ignored
    gt_kp = np.stack([np.where(v > 0, kx, 0), np.where(v > 0, ky, 0), v], 2).round(2)
    anns = [
        {"id": k + 1, "image_id": int(img[k]) + 1, "category_id": 1, "iscrowd": 0,
         "bbox": [round(float(t), 2) for t in (*xy[k], *wh[k])],
         "area": round(float(wh[k, 0] * wh[k, 1] * 0.6), 2),
         "num_keypoints": int((v[k] > 0).sum()), "keypoints": gt_kp[k].ravel().tolist()}
        for k in range(n)
    ]  # fmt: skip
    src = np.flatnonzero(rng.random(n) < 0.9)
    spread = rng.choice([1.0, 4.0, 12.0], (len(src), 1))
    dx = kx[src] + rng.normal(0, 1, (len(src), 17)) * spread
    dy = ky[src] + rng.normal(0, 1, (len(src), 17)) * spread
    d_kp = np.stack([dx, dy, np.ones_like(dx)], 2).round(2)
    score = rng.uniform(0.05, 1.0, len(src)).round(4)
    dets = [
        {"image_id": int(img[k]) + 1, "category_id": 1, "score": float(s),
         "keypoints": d_kp[j].ravel().tolist()}
        for j, (k, s) in enumerate(zip(src, score, strict=True))
    ]  # fmt: skip
    person = {"id": 1, "name": "person", "keypoints": list(COCO_KEYPOINTS), "skeleton": SKELETON}
    return _gt_dict(n_images, anns, [person]), dets


def _gt_dict(n_images: int, anns: list[dict[str, Any]], cats: list[dict[str, Any]]) -> dict:
    images = [
        {"id": i + 1, "width": WIDTH, "height": HEIGHT, "file_name": f"{i + 1}.jpg"}
        for i in range(n_images)
    ]
    return {"images": images, "categories": cats, "annotations": anns}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_reference(tool: str, iou_type: str, folder: Path) -> dict[str, Any]:
    before = peak_rss_mb()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if tool == "pycocotools":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval as Eval
        else:
            from faster_coco_eval import COCO
            from faster_coco_eval import COCOeval_faster as Eval
        coco_gt = COCO(str(folder / "gt.json"))
        coco_dt = coco_gt.loadRes(str(folder / "results.json"))
        t1 = time.perf_counter()
        ev = Eval(coco_gt, coco_dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "stats": [float(v) for v in ev.stats],
            "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def run_visionlens(iou_type: str, folder: Path, code: Path = ROOT) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "catalog"
        shutil.copytree(folder / "catalog", data)  # each round on the same untouched catalog
        # `load`, as the references' (their imports and reading the files): the imports the
        # evaluation needs (pandas is imported lazily by the report) and opening the catalog
        t_load = time.perf_counter()
        sys.path.insert(0, str(code))
        import pandas  # noqa: F401

        import visionlens_jlab.evaluate as ev
        from visionlens_jlab.catalog import Catalog
        from visionlens_jlab.features import load as load_features

        load_features()  # the features' tables, before the catalog opens
        catalog = Catalog(data)
        before = peak_rss_mb()
        t0 = time.perf_counter()
        report = ev.evaluate_model(catalog, "bench", "model", iou_type=iou_type)
        t1 = time.perf_counter()
        catalog.close()
    return {"load_s": t0 - t_load, "eval_s": t1 - t0, "stats": list(report.stats.values()),
            "rss_before_mb": before, "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def prepare(iou_type: str, n_images: int, folder: Path) -> str:
    """Write the files and the catalog of one size (not timed); the counts as text."""
    sys.path.insert(0, str(ROOT))
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.features import load as load_features

    make = generate_segm if iou_type == "segm" else generate_keypoints
    gt, dets = make(n_images)
    (folder / "gt.json").write_text(json.dumps(gt))
    (folder / "results.json").write_text(json.dumps(dets))
    load_features()
    with Catalog(folder / "catalog") as catalog:
        write_dataset(catalog, "bench", _Source(gt, gt["annotations"], False))
        write_predictions(catalog, "bench", "model", _Source(gt, dets, True))
    return f"{len(gt['annotations']):,} / {len(dets):,}"


class _Source:
    """The COCO dicts as a parsed source whose batches carry the label columns (what the
    COCO ingest stores: segmentation JSON, keypoints, num_keypoints), for the writer."""

    format, source, media_root = "coco", "generated", "/nowhere"
    json_checked = False

    def __init__(self, gt: dict[str, Any], anns: list[dict[str, Any]], predictions: bool):
        from visionlens_jlab.records.report import IngestReport

        self.report = IngestReport()
        self._gt, self._anns, self._predictions = gt, anns, predictions

    def categories(self) -> list[tuple[Any, ...]]:
        return [(c["name"], None, c["id"], c.get("keypoints")) for c in self._gt["categories"]]

    def batches(self) -> Any:
        import pyarrow as pa
        from pycocotools import mask as mask_utils

        from visionlens_jlab.records.batches import (
            ANNOTATION_LABEL_FIELDS,
            ANNOTATION_SCHEMA,
            SAMPLE_SCHEMA,
            Batch,
        )

        names = {c["id"]: c["name"] for c in self._gt["categories"]}
        rows = []
        for a in self._anns:
            kp, seg = a.get("keypoints"), a.get("segmentation")
            if "bbox" in a:
                box = a["bbox"]
            elif kp:
                xs, ys = kp[0::3], kp[1::3]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            else:
                box = [float(v) for v in mask_utils.toBbox(seg)]
            rows.append({
                "sample_index": None if self._predictions else a["image_id"] - 1,
                "image_ref": str(a["image_id"]) if self._predictions else None,
                "label": names[a["category_id"]], "x": box[0], "y": box[1], "w": box[2],
                "h": box[3], "score": a.get("score"), "area": a.get("area"),
                "iscrowd": bool(a.get("iscrowd")), "normalized": False,
                "segmentation": json.dumps(seg) if seg else None, "keypoints": kp,
                "num_keypoints": a.get("num_keypoints"),
            })  # fmt: skip
        schema = pa.schema([*ANNOTATION_SCHEMA, *ANNOTATION_LABEL_FIELDS])
        labels = pa.Table.from_pylist(rows, schema=schema)
        if self._predictions:
            yield Batch(None, labels)
            return
        samples = pa.Table.from_pylist(
            [{"sample_index": k, "file_name": im["file_name"], "location": "/nowhere",
              "width": im["width"], "height": im["height"], "source_image_id": str(im["id"])}
             for k, im in enumerate(self._gt["images"])],
            schema=SAMPLE_SCHEMA,
        )  # fmt: skip
        yield Batch(samples, labels)


def child(tool: str, iou_type: str, folder: str, code: str = str(ROOT)) -> None:
    path = Path(folder)
    result = (
        run_visionlens(iou_type, path, Path(code))
        if tool.startswith("visionlens")
        else run_reference(tool, iou_type, path)
    )
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iou-types", nargs="+", default=["segm", "keypoints"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip", nargs="*", default=[], help="tools to skip")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of every tool")
    parser.add_argument(
        "--reference-rounds", type=int, default=None,
        help="rounds of pycocotools (default: --rounds); the first N rounds only",
    )  # fmt: skip
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep and reuse each size's files and catalog in this folder",
    )
    parser.add_argument(
        "--code",
        action="append",
        default=None,
        help="label=checkout: VisionLens from this checkout (repeatable)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    codes = {t: str(ROOT) for t in TOOLS}
    if args.code:
        del codes["visionlens"]
        pairs = [c.split("=", 1) for c in args.code]
        codes = {f"visionlens[{label}]": str(Path(path).resolve()) for label, path in pairs}
        codes |= {t: str(ROOT) for t in TOOLS[1:]}
    tools = [t for t in codes if t not in args.skip]
    with bench_lock():
        load0, env = load_average(), environment()
        rows = []
        for iou_type in args.iou_types:
            for n in args.sizes:
                with data_folder(args.cache, iou_type, n) as (folder, counts):
                    cases: dict[str, Callable[[int], Run]] = {
                        t: partial(_round, t, iou_type, folder, codes[t]) for t in tools
                    }
                    runs = interleave_reference(cases, args.rounds, args.reference_rounds)
                    rows += _rows(iou_type, n, counts, runs)
        load1 = load_average()
    title = f"COCO segm / keypoints evaluation, {args.rounds} rounds"
    if args.reference_rounds is not None and args.reference_rounds < args.rounds:
        title += f" ({args.reference_rounds} of pycocotools)"
    print(header(title, env, load0, load1))
    print(table(["iou type", "images", "objects GT / pred", "tool", "load s", "eval s",
                 "eval / reference eval (paired)", "process wall s", "peak RSS MB",
                 "max abs difference of the stats"], rows))  # fmt: skip
    print(
        "Median (min–max) over the rounds, tools interleaved in rotating order. `eval` is timed "
        "inside each tool's process (VisionLens: read the objects from DuckDB, match, write "
        "the per-object rows; references: evaluate + accumulate + summarize, after loading "
        "the same files, shown as `load`); `process wall` is the whole child process; peak "
        "RSS is the process's."
    )


def interleave_reference(
    cases: dict[str, Callable[[int], Run]], rounds: int, reference_rounds: int | None
) -> dict[str, list[Run]]:
    """:func:`interleave`, with pycocotools only in the first ``reference_rounds`` rounds."""
    if reference_rounds is None or reference_rounds >= rounds or "pycocotools" not in cases:
        return interleave(cases, rounds)
    runs: dict[str, list[Run]] = {name: [] for name in cases}
    for r in range(rounds):
        active = {t: c for t, c in cases.items() if t != "pycocotools" or r < reference_rounds}
        for tool, tool_runs in interleave(active, 1).items():  # one round, its own order
            runs[tool] += tool_runs
        cases = dict(list(cases.items())[1:] + list(cases.items())[:1])  # rotate the order
    return runs


@contextlib.contextmanager
def data_folder(cache: Path | None, iou_type: str, n: int) -> Iterator[tuple[str, str]]:
    """The folder of one size's files and catalog, and their counts: prepared in a temporary
    folder, or in ``cache`` (kept, and reused when a previous run completed it)."""
    if cache is None:
        with tempfile.TemporaryDirectory(prefix="vl-bench-labels-") as tmp:
            yield tmp, prepare(iou_type, n, Path(tmp))
        return
    folder = cache / f"{iou_type}-{n}"
    done = folder / "counts.txt"  # written last: a folder without it is incomplete
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        done.write_text(prepare(iou_type, n, folder))
    yield str(folder), done.read_text()


def _round(tool: str, iou_type: str, folder: str, code: str, r: int) -> Run:
    argv = [sys.executable, __file__, "--child", tool, iou_type, folder, code]
    env = child_env(
        PYTHONPATH=os.pathsep.join([code, *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    return checked(run_process(argv, env=env), f"{tool} {iou_type}")


def _rows(iou_type: str, n: int, counts: str, runs: dict[str, list[Run]]) -> list[list[str]]:
    # pycocotools, else faster-coco-eval, else the first checkout of a before/after
    ref_name = next((t for t in ("pycocotools", "faster-coco-eval") if t in runs), next(iter(runs)))
    ref = runs.get(ref_name)
    rows = []
    for tool, tool_runs in runs.items():
        inner = [r.inner for r in tool_runs]
        diff = speed = "-"
        if ref and tool != ref_name:
            pairs = zip(inner[0]["stats"], ref[0].inner["stats"], strict=True)
            diff = f"{max(abs(a - b) for a, b in pairs):.1e} vs {ref_name}"
            ours, theirs = [i["eval_s"] for i in inner], [r.inner["eval_s"] for r in ref]
            if len(theirs) < len(ours):  # fewer reference rounds: against their median
                theirs = [summary(theirs).median] * len(ours)
            speed = ratios(ours, theirs).fmt(2)
        rows.append([iou_type, f"{n:,}", counts, tool,
                     summary([i["load_s"] for i in inner]).fmt(2),
                     summary([i["eval_s"] for i in inner]).fmt(2), speed,
                     summary([r.wall_s for r in tool_runs]).fmt(1),
                     summary([r.peak_rss_mb for r in tool_runs]).fmt(0), diff])  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
