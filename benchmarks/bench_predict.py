"""Model job throughput: ``visionlens predict`` against the plain transformers loop.

The model is a randomly initialised DETR of DETR-ResNet-50's shape (ResNet-50 backbone,
6+6 transformer layers, d_model 256, 100 queries, 91 classes) with the stock image
processor (shortest edge 800, longest 1333): no weights can be downloaded here, and the
time a forward pass takes depends on the shape, not on the weights. The images are real
photos (the shared cartucho-map VOC images, 640x480 JPEGs).

Per round, in rotating order:

* **plain loop** (the reference): ``PIL.Image.open``, the model's processor,
  ``model(**inputs)`` under ``torch.no_grad``, ``post_process_object_detection`` with the
  images' sizes, batch by batch, in this process (model loading not timed);
* **job in-process**: :func:`run_prediction` with the CLI's source (what the CLI runs
  without a server: the images over single-threaded worker processes,
  ``visionlens_jlab/predict/workers.py``), images per second from the model's first batch
  (loading not timed);
* **CLI end to end**: ``visionlens predict --json`` in a fresh process (start, imports,
  model loading, catalog writes included): its wall time, and its own images per second
  (``--no-cli`` leaves it out);
* **model only** (the ceiling): the same model, dtype and batch size, its forward pass and
  ``post_process_object_detection`` (on the device, results not copied back) over batches
  of ``pixel_values``/``pixel_mask`` already on the device (made once from the photos by
  the processor, at its output shape; one batch run first, untimed, as a warm-up), timed
  with ``torch.cuda.synchronize`` on CUDA. The job's images/s over this one's, per round,
  says how much of the model's speed the job's pipeline keeps.

On CUDA the job preprocesses on the GPU (the DETR fast processor's resize, normalise and
pad, ``visionlens_jlab/predict/prepare.py``); the plain loop uses the processor as a user
would, on the host.

Outputs are compared: every box of the plain loop against the job's boxes of that image
and class (best IoU ≥ 0.99 and the score within 1e-3), and the counts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    REPO,
    checked,
    child_env,
    cli_command,
    environment,
    header,
    load_average,
    run_locked,
    run_process,
    summary,
    table,
)

RESULTS = REPO / "benchmarks" / "results" / "predict.md"


def photos_root() -> Path:
    import os

    shared = Path(os.environ.get("VISIONLENS_SHARED", "/work/shared"))
    return shared / "datasets" / "cartucho-map"


def photos_dataset(
    work: Path, n_images: int
) -> tuple[list[Path], dict[str, tuple[int, int]], Path]:
    """``n_images`` photos of the shared cartucho set (past its 85, the same photos again
    under new names) copied under ``work`` and ingested as dataset ``photos`` (their ground truth) into the catalog at ``work/data``:
    the image files, each one's size by name, and the data folder."""
    from PIL import Image

    from visionlens_jlab import features
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset

    root = photos_root()
    images, truth = work / "images", work / "truth"
    images.mkdir()
    truth.mkdir()
    files = []
    photos = sorted((root / "images").glob("*.jpg"))
    for i in range(n_images):  # past the set's size, the photos again under new names
        photo, lap = photos[i % len(photos)], i // len(photos)
        stem = photo.stem if lap == 0 else f"{photo.stem}-{lap}"
        files.append(Path(shutil.copy(photo, images / f"{stem}.jpg")))
        shutil.copy(root / "ground-truth" / f"{photo.stem}.txt", truth / f"{stem}.txt")
    size = {f.name: Image.open(f).size for f in files}
    features.load()
    data_dir = work / "data"
    catalog = Catalog(data_dir)
    write_dataset(catalog, "photos", open_dataset(str(truth), "txt", images=str(images)))
    catalog.close()
    return files, size, data_dir


def untyped(options: dict[str, Any]) -> dict[str, Any]:
    """Config keyword arguments that transformers accepts but its typed signatures omit."""
    return options


def save_detr_r50(folder: Path, shortest: int = 800, longest: int = 1333) -> Path:
    """A random DETR of DETR-ResNet-50's shape and its processor (stock: 800 / 1333)."""
    import torch
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor, ResNetConfig

    backbone = ResNetConfig(
        **untyped({"out_features": ["stage4"]}),
        layer_type="bottleneck",
        hidden_sizes=[256, 512, 1024, 2048],
        depths=[3, 4, 6, 3],
    )
    labels = {i: f"class{i}" for i in range(91)}
    config = DetrConfig(
        **untyped({"use_timm_backbone": False, "use_pretrained_backbone": False}),
        backbone_config=backbone,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    torch.manual_seed(0)
    model = DetrForObjectDetection(config).eval()
    with torch.no_grad():  # spread boxes and scores as a trained model's are
        model.bbox_predictor.layers[-1].bias.normal_(0.0, 1.0)
        model.class_labels_classifier.weight.normal_(0.0, 0.5)
    model.save_pretrained(folder)
    DetrImageProcessor(size={"shortest_edge": shortest, "longest_edge": longest}).save_pretrained(
        folder
    )
    return folder


def plain_loop(
    model_dir: Path, files: list[Path], batch: int, min_score: float, device: str = "cpu"
) -> tuple:
    """The reference: processor + model(...) + post-processing, batch by batch, on
    ``device`` in float32."""
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForObjectDetection

    model = AutoModelForObjectDetection.from_pretrained(model_dir, local_files_only=True)
    model = model.to(device).eval()
    processor = AutoImageProcessor.from_pretrained(model_dir, local_files_only=True)
    rows = []
    t0 = time.perf_counter()
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        with torch.no_grad():
            out = model(**processor(images=images, return_tensors="pt").to(device))
        sizes = [(im.height, im.width) for im in images]
        results = processor.post_process_object_detection(out, min_score, target_sizes=sizes)
        for f, r in zip(chunk, results, strict=True):
            for box, score, label in zip(r["boxes"], r["scores"], r["labels"], strict=True):
                rows.append(
                    (f.name, model.config.id2label[int(label)], *box.tolist(), float(score))
                )
    return time.perf_counter() - t0, rows


def model_only(
    model_dir: Path, files: list[Path], batch: int, min_score: float, device: str, dtype: str
) -> float:
    """Seconds for the model alone over ``files``: forward + post-processing on batches
    already on ``device`` in ``dtype`` (the jobs' resolved one), synchronised on CUDA."""
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForObjectDetection

    from visionlens_jlab.predict.loading import pick_device

    _, torch_dtype = pick_device(device, dtype)
    model = AutoModelForObjectDetection.from_pretrained(model_dir, local_files_only=True)
    model = model.to(device=device, dtype=torch_dtype).eval()
    layout = torch.channels_last if device == "cpu" else torch.contiguous_format  # as the job
    model = model.to(memory_format=layout)
    processor = AutoImageProcessor.from_pretrained(model_dir, local_files_only=True)
    batches = []
    for start in range(0, len(files), batch):
        images = [Image.open(f).convert("RGB") for f in files[start : start + batch]]
        inputs = processor(images=images, return_tensors="pt")
        sizes = torch.tensor([(im.height, im.width) for im in images], device=device)
        pixels = inputs["pixel_values"].to(device=device, dtype=torch_dtype)
        pixels = pixels.contiguous(memory_format=layout)
        batches.append((pixels, inputs["pixel_mask"].to(device), sizes))

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    def run(pixels: Any, mask: Any, sizes: Any) -> Any:
        out = model(pixel_values=pixels, pixel_mask=mask)
        return processor.post_process_object_detection(out, min_score, target_sizes=sizes)

    with torch.inference_mode():
        run(*batches[0])  # warm-up: kernels chosen and loaded, not timed
        sync()
        t0 = time.perf_counter()
        for pixels, mask, sizes in batches:
            run(pixels, mask, sizes)
        sync()
        return time.perf_counter() - t0


def job_rows(data_dir: Path, name: str) -> list[tuple]:
    from visionlens_jlab.catalog import Catalog

    catalog = Catalog(data_dir)
    try:
        with catalog.cursor() as cur:
            return cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), a.label, a.x, a.y, "
                "a.x + a.w, a.y + a.h, a.score FROM annotations a JOIN samples s "
                "USING (sample_id) WHERE a.source = ?",
                [name],
            ).fetchall()
    finally:
        catalog.close()


def iou(a: tuple, b: tuple) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 1.0


def compare(plain: list[tuple], ours: list[tuple], size: dict[str, tuple[int, int]]) -> dict:
    """Every plain box against our boxes of its image and class (ours are clipped to the
    image, so the plain box is clipped the same way first)."""
    by_key: dict[tuple, list[tuple]] = {}
    for r in ours:
        by_key.setdefault((r[0], r[1]), []).append(r)
    worst_iou, worst_score, matched, outside = 1.0, 0.0, 0, 0
    for f, label, x1, y1, x2, y2, score in plain:
        w, h = size[f]
        box = (min(max(x1, 0), w), min(max(y1, 0), h), min(max(x2, 0), w), min(max(y2, 0), h))
        if box[2] <= box[0] or box[3] <= box[1]:
            outside += 1  # wholly outside the image: the job drops it
            continue
        best = max(by_key.get((f, label), []), key=lambda r: iou(box, r[2:6]), default=None)
        if best is None:
            worst_iou = 0.0
            continue
        matched += 1
        worst_iou = min(worst_iou, iou(box, best[2:6]))
        worst_score = max(worst_score, abs(best[6] - score))
    return {
        "plain": len(plain),
        "ours": len(ours),
        "matched": matched,
        "outside": outside,
        "min_iou": worst_iou,
        "max_score_diff": worst_score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=0.02)
    parser.add_argument(
        "--shortest", type=int, default=480, help="the processor's shortest edge (stock: 800)"
    )
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", default="auto", help="the jobs' dtype (the plain loop: float32)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--no-cli", action="store_true", help="leave out the CLI end to end")
    args = parser.parse_args()

    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.predict.base import PredictOptions
    from visionlens_jlab.predict.job import run_prediction
    from visionlens_jlab.predict.workers import sharded_source

    env, load_start = environment(), load_average()
    work = Path(tempfile.mkdtemp(prefix="vl-bench-predict-"))
    try:
        files, size, data_dir = photos_dataset(work, args.images)
        model_dir = save_detr_r50(work / "detr-r50", args.shortest, args.shortest * 1333 // 800)

        plain_s, job_s, job_ips, cli_s, cli_ips, checks = [], [], [], [], [], []
        model_s: list[float] = []
        ran_in: set[str] = set()  # the jobs' device and dtype (auto: float32 on a CPU)
        for run in range(args.runs):
            order = ["plain", "job", "model"] + ([] if args.no_cli else ["cli"])
            order = order[run % len(order) :] + order[: run % len(order)]
            for what in order:
                if what == "model":
                    model_s.append(
                        model_only(
                            model_dir,
                            files,
                            args.batch_size,
                            args.min_score,
                            args.device,
                            args.dtype,
                        )
                    )
                elif what == "plain":
                    seconds, plain = plain_loop(
                        model_dir, files, args.batch_size, args.min_score, args.device
                    )
                    plain_s.append(seconds)
                elif what == "job":
                    catalog = Catalog(data_dir)
                    options = PredictOptions(
                        "photos",
                        str(model_dir),
                        name=f"job{run}",
                        device=args.device,
                        dtype=args.dtype,
                        batch_size=args.batch_size,
                        min_score=args.min_score,
                    )
                    result = run_prediction(None, catalog, options, sharded_source(None))
                    catalog.close()
                    job_ips.append(result["images_per_second"])
                    job_s.append(len(files) / result["images_per_second"])
                    ran_in.add(
                        f"{result['device']} {result['dtype']}, {result.get('workers', 1)} worker(s)"
                    )
                else:
                    done = checked(
                        run_process(
                            cli_command(
                                *("predict", "photos", "--model", str(model_dir)),
                                *("--name", f"cli{run}", "--batch-size", str(args.batch_size)),
                                *("--min-score", str(args.min_score)),
                                *("--device", args.device, "--dtype", args.dtype),
                                *("--data-dir", str(data_dir), "--json"),
                            ),
                            env=child_env(),
                        ),
                        "visionlens predict",
                    )
                    cli_s.append(done.wall_s)
                    cli_ips.append(float(done.inner["images_per_second"]))
                    ran_in.add(f"{done.inner['device']} {done.inner['dtype']}")
            checks.append(compare(plain, job_rows(data_dir, f"job{run}"), size))
        load_end = load_average()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def fmt(values: list[float], unit: str = "s") -> str:
        s = summary(values)
        return f"{s.median:.2f} {unit} ({s.low:.2f}–{s.high:.2f})"

    n = len(files)
    kept = summary([ips * s / n for ips, s in zip(job_ips, model_s, strict=True)])
    rows = [
        ["plain loop (reference)", fmt(plain_s), fmt([n / s for s in plain_s], "img/s"), "1.00"],
        [
            "job in-process",
            fmt(job_s),
            fmt(job_ips, "img/s"),
            f"{summary([p / j for p, j in zip(plain_s, job_s, strict=True)]).median:.2f}",
        ],
        [
            "model only (forward + post-process, inputs on the device)",
            fmt(model_s),
            fmt([n / s for s in model_s], "img/s"),
            f"{summary([p / m for p, m in zip(plain_s, model_s, strict=True)]).median:.2f}",
        ],
    ]
    if cli_s:
        rows.append(
            [
                "`visionlens predict` end to end",
                fmt(cli_s),
                fmt(cli_ips, "img/s"),
                f"{summary([p / c for p, c in zip(plain_s, cli_s, strict=True)]).median:.2f}",
            ]
        )
    text = header("Model job: random DETR-R50-shaped detector", env, load_start, load_end)
    text += (
        f"\n{n} photos (640x480 JPEG) at the processor's shortest edge {args.shortest}, batch "
        f"{args.batch_size}, min score {args.min_score}, "
        f"{args.runs} rounds in rotating order; the jobs ran on {', '.join(sorted(ran_in))} "
        f"(`--dtype {args.dtype}`; the model only in the same dtype), the plain loop in float32. Speed-up = plain wall / ours "
        "(the CLI's includes process start, imports, model loading and catalog writes).\n\n"
    )
    text += table(["path", "wall (median, range)", "images/s", "speed-up vs plain"], rows)
    text += (
        f"\nJob in-process / model only (images/s, per round): **{kept.median:.2f}** "
        f"({kept.low:.2f}–{kept.high:.2f}).\n"
    )
    text += "\nOutputs, job vs plain loop, per round:\n\n"
    text += table(
        [
            "round",
            "plain boxes",
            "job boxes",
            "matched",
            "outside image",
            "min IoU",
            "max |Δscore|",
        ],
        [
            [
                str(i),
                str(c["plain"]),
                str(c["ours"]),
                str(c["matched"]),
                str(c["outside"]),
                f"{c['min_iou']:.4f}",
                f"{c['max_score_diff']:.2e}",
            ]  # fmt: skip
            for i, c in enumerate(checks)
        ],
    )
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.read_text() if out.exists() else "# Model jobs (`visionlens predict`)\n\n"
    out.write_text(previous.rstrip() + "\n\n" + text)
    print(json.dumps({"checks": checks}))


if __name__ == "__main__":
    run_locked(main)
