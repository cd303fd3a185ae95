"""Label quality on planted errors (Schubert et al., WACV 2024): VisionLens against cleanlab.

Accuracy: images with drop / flip / shift / spawn plants (``label_quality_data.py``) at
several error rates, three seeds each; image-level AP and AUROC (an image is positive when
it holds a plant) and object-level recall at FPR 0.1 per issue type, for VisionLens and for
``cleanlab.object_detection.rank`` on the same inputs. The default thresholds are chosen
here: per type, the one with the best F1 over the 20 % runs (printed beside the code's).

Speed: the scoring in process (arrays in, scores out) for both tools; the whole job in
process (read from DuckDB, score, store); and end to end through ``visionlens label-quality
--json`` against a fresh Python process that reads the same COCO files and runs cleanlab
(process start and imports included for both), 3 rounds, interleaved. ``--million`` adds
the scoring of 1M images / ~5M objects in a fresh process (wall and peak RSS).

    flock /tmp/vl-bench.lock python benchmarks/bench_label_quality.py \
        [--sizes 20000 100000] [--rounds 3] [--million] [--out benchmarks/results/label_quality.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import label_quality_data as data
from harness import (
    Run,
    checked,
    cli_command,
    environment,
    header,
    interleave,
    load_average,
    run_locked,
    run_process,
    summary,
    table,
)

from visionlens_jlab.evaluate.boxes import Boxes
from visionlens_jlab.label_quality.scores import (
    DEFAULT_THRESHOLDS,
    ISSUES,
    score_labels,
)

KIND_OF = {"swapped": 1, "badly_located": 2, "spurious": 3}


def boxes(image: np.ndarray, cat: np.ndarray, box: np.ndarray, score: Any = None) -> Boxes:
    """Arrays as the evaluation's :class:`Boxes`."""
    n = len(image)
    return Boxes(
        np.arange(n), image.astype(np.int64), cat.astype(np.int64), box[:, 0], box[:, 1],
        box[:, 2], box[:, 3], box[:, 2] * box[:, 3], np.ones(n) if score is None else score,
    )  # fmt: skip


def ours(p: data.Planted) -> Any:
    """VisionLens's scores of ``p``."""
    gt, dt = (
        boxes(p.gt_image, p.gt_cat, p.gt_box),
        boxes(p.dt_image, p.dt_cat, p.dt_box, p.dt_score),
    )
    return score_labels(gt, dt, p.n_images)


def cleanlab_scores(p: data.Planted) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """cleanlab's image scores and, per type it has, (positive, negative) box scores."""
    from cleanlab.object_detection import rank

    labels, predictions, order = data.cleanlab_inputs(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = rank.get_label_quality_scores(labels, predictions, verbose=False)
        over = rank.compute_overlooked_box_scores(labels=labels, predictions=predictions)
        swap = rank.compute_swap_box_scores(labels=labels, predictions=predictions)
        loc = rank.compute_badloc_box_scores(labels=labels, predictions=predictions)
    dt_score = np.full(len(p.dt_image), np.nan)
    for idx, s in zip(order, over, strict=True):
        dt_score[idx] = s
    gt_start = np.searchsorted(p.gt_image, np.arange(p.n_images + 1))
    per_type: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    # cleanlab leaves NaN where it does not score (low confidence): counted as not flagged
    d = np.nan_to_num(dt_score, nan=1.0)
    per_type["overlooked"] = (d[p.dt_dropped], d[~p.dt_dropped])
    for name, lists in (("swapped", swap), ("badly_located", loc)):
        g = np.ones(len(p.gt_image))
        for i, s in enumerate(lists):
            g[gt_start[i] : gt_start[i + 1]] = np.nan_to_num(s, nan=1.0)
        per_type[name] = (g[p.gt_kind == KIND_OF[name]], g[p.gt_kind == -1])
    return image, per_type


def our_types(p: data.Planted, r: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per type, (positive, negative) box scores of VisionLens."""
    out = {"overlooked": (r.dt_types[p.dt_dropped, 0], r.dt_types[~p.dt_dropped, 0])}
    for name, kind in KIND_OF.items():
        col = r.gt_types[:, ISSUES.index(name)]
        out[name] = (col[p.gt_kind == kind], col[p.gt_kind == -1])
    return out


def recall_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float = 0.1) -> float:
    """Recall where the ROC curve (lower score = flagged) crosses ``fpr``, interpolated
    (ties, e.g. every unsupported box at one score, count as a linear stretch)."""
    from sklearn.metrics import roc_curve

    if not len(pos) or not len(neg):
        return float("nan")
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    false_pos, true_pos, _ = roc_curve(y, -np.r_[pos, neg])
    return float(np.interp(fpr, false_pos, true_pos))


def best_f1_threshold(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """The threshold (flag below it) with the best F1, on a 0.01 grid, and that F1."""
    best = (0.0, 0.0)
    for t in np.round(np.arange(0.01, 1.0, 0.01), 2):
        tp, fp = float(np.sum(pos < t)), float(np.sum(neg < t))
        f1 = 2 * tp / (2 * tp + fp + (len(pos) - tp)) if tp else 0.0
        if f1 > best[1]:
            best = (float(t), f1)
    return best


def accuracy(n_images: int, rates: list[float], seeds: int) -> tuple[str, dict[str, float]]:
    """The accuracy tables and the thresholds chosen from the highest rate's runs."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    rows: list[list[str]] = []
    chosen_pools: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {
        name: ([], []) for name in ISSUES
    }
    for rate in rates:
        figures: dict[str, list[float]] = {}
        for seed in range(seeds):
            p = data.make(n_images, error_rate=rate, seed=seed)
            r = ours(p)
            c_image, c_types = cleanlab_scores(p)
            y = p.image_error
            for tool, img, types in (("VisionLens", r.image_score, our_types(p, r)),
                                     ("cleanlab", c_image, c_types)):  # fmt: skip
                figures.setdefault(f"{tool} AP", []).append(average_precision_score(y, -img))
                figures.setdefault(f"{tool} AUROC", []).append(roc_auc_score(y, -img))
                for name in ISSUES:
                    pos, neg = types.get(name, (np.zeros(0), np.zeros(0)))
                    figures.setdefault(f"{tool} {name}", []).append(recall_at_fpr(pos, neg))
                    if tool == "VisionLens" and rate == max(rates):
                        chosen_pools[name][0].append(pos)
                        chosen_pools[name][1].append(neg)
        for tool in ("VisionLens", "cleanlab"):
            cells = [f"{int(rate * 100)} %", tool]
            for key in ("AP", "AUROC", *ISSUES):
                values = [v for v in figures[f"{tool} {key}"] if v == v]
                cells.append(summary(values).fmt(3) if values else "n/a (no such type)")
            rows.append(cells)
    head = ["errors", "tool", "image AP", "image AUROC",
            *(f"recall@FPR0.1 {n}" for n in ISSUES)]  # fmt: skip
    chosen = {}
    lines = []
    for name in ISSUES:
        pos, neg = (np.concatenate(chosen_pools[name][k]) for k in (0, 1))
        chosen[name], f1 = best_f1_threshold(pos, neg)
        lines.append([name, f"{chosen[name]:.2f}", f"{f1:.3f}", f"{DEFAULT_THRESHOLDS[name]:.2f}"])
    text = (
        f"### Planted errors, {n_images:,} images, {seeds} seeds (median and range)\n\n"
        + table(head, rows)
        + f"\n### Thresholds: best F1 per type at {int(max(rates) * 100)} % errors\n\n"
        + table(["type", "best-F1 threshold", "F1", "default in the code"], lines)
    )
    return text, chosen


def cleanlab_child(labels_path: str, predictions_path: str) -> None:
    """A user's cleanlab run: read the COCO files, build its inputs, score (fresh process)."""
    started = time.perf_counter()
    from cleanlab.object_detection.rank import get_label_quality_scores

    gt = json.loads(Path(labels_path).read_text())
    dets = json.loads(Path(predictions_path).read_text())
    n_images = len(gt["images"])
    n_classes = len(gt["categories"])

    def arrays(rows: list[dict[str, Any]], score: bool) -> tuple[np.ndarray, ...]:
        image = np.array([r["image_id"] - 1 for r in rows], np.int64)
        cat = np.array([r["category_id"] - 1 for r in rows], np.int64)
        box = np.array([r["bbox"] for r in rows], float).reshape(-1, 4)
        conf = np.array([r["score"] for r in rows], float) if score else np.ones(len(rows))
        return image, cat, box, conf

    gi, gc, gb, _ = arrays(gt["annotations"], False)
    di, dc, db, ds = arrays(dets, True)
    order = np.argsort(gi, kind="stable")
    planted = data.Planted(n_images, n_classes, gi[order], gc[order], gb[order],
                           np.full(len(gi), -1), di, dc, db, ds,
                           np.zeros(len(di), bool), np.zeros(n_images, bool))  # fmt: skip
    labels, predictions, _ = data.cleanlab_inputs(planted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = get_label_quality_scores(labels, predictions, verbose=False)
    print(json.dumps({"seconds": time.perf_counter() - started, "images": len(scores)}))


def speed(sizes: list[int], rounds: int, work: Path) -> str:
    """In-process and end-to-end timings at each size."""
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.features import load
    from visionlens_jlab.label_quality.job import run_label_quality

    load()
    rows, e2e_rows = [], []
    for n in sizes:
        p = data.make(n, error_rate=0.2, seed=0)
        folder = work / f"n{n}"
        gt_path, dt_path = data.write_coco(p, folder)
        env_dir = str(folder / "data")
        checked(run_process(cli_command("ingest", str(gt_path), "--name", "lq", "--data-dir",
                                        env_dir, "--json")), "ingest")  # fmt: skip
        checked(run_process(cli_command("predictions", "lq", str(dt_path), "--model", "det",
                                        "--data-dir", env_dir, "--json")), "predictions")  # fmt: skip
        ours_t, job_t, cl_t = [], [], []
        for r in range(rounds):
            t0 = time.perf_counter()
            ours(p)
            ours_t.append(time.perf_counter() - t0)
            catalog = Catalog(Path(env_dir))
            try:
                t0 = time.perf_counter()
                run_label_quality(catalog, "lq", "det")
                job_t.append(time.perf_counter() - t0)
            finally:
                catalog.close()
            labels, predictions, _ = data.cleanlab_inputs(p)
            from cleanlab.object_detection.rank import get_label_quality_scores

            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                get_label_quality_scores(labels, predictions, verbose=False)
            cl_t.append(time.perf_counter() - t0)
            print(f"  {n}: round {r + 1} ours {ours_t[-1]:.2f} s, job {job_t[-1]:.2f} s, "
                  f"cleanlab {cl_t[-1]:.2f} s, load {load_average()}", file=sys.stderr)  # fmt: skip
        objects = len(p.gt_image) + len(p.dt_image)
        speedup = summary([c / o for c, o in zip(cl_t, ours_t, strict=True)])
        rows.append([f"{n:,}", f"{objects:,}", summary(ours_t).fmt(3, "s"),
                     summary(job_t).fmt(2, "s"), summary(cl_t).fmt(2, "s"),
                     speedup.fmt(0, "x")])  # fmt: skip
        out_file = folder / "out.json"
        vl_cmd = " ".join(cli_command("label-quality", "lq", "--model", "det", "--json",
                                      "--data-dir", env_dir)) + f" > {out_file}"  # fmt: skip
        cl_cmd = [sys.executable, str(Path(__file__).resolve()), "--cleanlab-child",
                  str(gt_path), str(dt_path)]  # fmt: skip

        def visionlens_cli(_round: int, command: str = vl_cmd) -> Run:
            return checked(run_process(["sh", "-c", command]), "visionlens label-quality")

        def cleanlab_process(_round: int, command: list[str] = cl_cmd) -> Run:
            return checked(run_process(command), "cleanlab")

        runs = interleave({"visionlens": visionlens_cli, "cleanlab": cleanlab_process}, rounds)
        vl = [r.wall_s for r in runs["visionlens"]]
        cl = [r.wall_s for r in runs["cleanlab"]]
        e2e_rows.append([f"{n:,}", summary(vl).fmt(2, "s"),
                         f"{max(r.peak_rss_mb for r in runs['visionlens']):.0f} MB",
                         summary(cl).fmt(2, "s"),
                         f"{max(r.peak_rss_mb for r in runs['cleanlab']):.0f} MB",
                         summary([c / v for c, v in zip(cl, vl, strict=True)]).fmt(1, "x")])  # fmt: skip
    return (
        f"### Speed in process ({rounds} rounds, median and range; 20 % planted errors)\n\n"
        + "Scoring = arrays in, scores out (both tools); job = VisionLens reading the catalog "
        "(DuckDB), scoring and storing the object rows and the `lq_*` fields.\n\n"
        + table(
            [
                "images",
                "objects (labels + predictions)",
                "VisionLens scoring",
                "VisionLens job (read + score + store)",
                "cleanlab scoring",
                "cleanlab / VisionLens scoring",
            ],
            rows,
        )  # fmt: skip
        + "\n### End to end: `visionlens label-quality NAME --model M --json > file` against a "
        "fresh Python process reading the same COCO files and running cleanlab (process start "
        "included, interleaved rounds)\n\n"
        + table(
            [
                "images",
                "visionlens CLI",
                "peak RSS",
                "cleanlab process",
                "peak RSS",
                "cleanlab / visionlens",
            ],
            e2e_rows,
        )  # fmt: skip
    )


def million_child(n_images: int) -> None:
    """Score ``n_images`` generated images in this (fresh) process; print the figures."""
    p = data.make(n_images, error_rate=0.2, seed=0)
    t0 = time.perf_counter()
    ours(p)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "objects": len(p.gt_image) + len(p.dt_image)}))


def million(rounds: int) -> str:
    """The 1M-image scoring in a fresh process per round: its time and the process's peak."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--million-child", "1000000"]
    runs = [checked(run_process(cmd), "1M") for _ in range(rounds)]
    secs = [r.inner["seconds"] for r in runs]
    return (
        f"\n### 1M images / {runs[0].inner['objects']:,} objects (labels + predictions), "
        f"scoring in a fresh process, {rounds} round(s)\n\n"
        + table(
            ["scoring", "peak RSS of the process (generation included)"],
            [[summary(secs).fmt(2, "s"), f"{max(r.peak_rss_mb for r in runs):.0f} MB"]],
        )  # fmt: skip
    )


def main() -> None:
    """Parse the options, run the parts, print and write the markdown."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--accuracy-images", type=int, default=20_000)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--cleanlab-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--million-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cleanlab_child:
        cleanlab_child(*args.cleanlab_child)
        return
    if args.million_child:
        million_child(args.million_child)
        return
    load_start = load_average()
    parts, _ = accuracy(args.accuracy_images, args.rates, args.rounds)
    print(parts, flush=True)
    if not args.skip_speed:
        with tempfile.TemporaryDirectory(prefix="vl-lq-") as tmp:
            parts += "\n" + speed(args.sizes, args.rounds, Path(tmp))
    if args.million:
        parts += million(1)
    text = header("Label quality", environment(), load_start, load_average()) + "\n" + parts
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        previous = args.out.read_text() if args.out.exists() else ""
        args.out.write_text(text + ("\n" + previous if previous else ""))


if __name__ == "__main__":
    run_locked(main)
