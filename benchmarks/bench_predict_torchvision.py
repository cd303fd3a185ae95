"""torchvision detector job throughput: ``visionlens predict --model torchvision:...`` against
the plain torchvision loop.

The model is a randomly initialised torchvision detector (default
``fasterrcnn_mobilenet_v3_large_320_fpn``, 91 COCO classes, built with ``weights=None,
weights_backbone=None``) saved as a ``state_dict`` the job loads by path: nothing can be
downloaded here, and the time a forward pass takes depends on the shape, not on the weights.
Its class head is spread (as the tests' ``save_spread_faster``) so that boxes clear the
score threshold as a trained model's do. The images are real photos (the shared
cartucho-map VOC images, 640x480 JPEGs).

Per round, in rotating order:

* **plain loop** (the reference): ``PIL.Image.open``, the weights' own transform
  (``torchvision.transforms.functional.to_tensor``: what ``Weights.transforms()`` does for
  detection), ``model(list_of_tensors)`` under ``torch.no_grad``, the score threshold,
  batch by batch, in this process (model loading not timed);
* **job in-process**: :func:`run_prediction` with the CLI's source (what the CLI runs
  without a server: the images over single-threaded worker processes,
  ``visionlens_jlab/predict/workers.py``, one per compute thread), images per second from the model's first batch (loading not timed).

Outputs are compared as in ``bench_predict.py``: every box of the plain loop against the
job's boxes of that image and class (best IoU ≥ 0.99, score within 1e-3), and the counts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench_predict import RESULTS, compare, job_rows, photos_dataset
from harness import environment, header, load_average, run_locked, summary, table


def save_detector(path: Path, builder: str, seed: int = 0) -> list[str]:
    """A random torchvision detector with COCO's 91 classes saved as a state_dict; returns
    the class names the job reads from the weights enum."""
    import torch
    from torchvision.models import get_model, get_model_weights

    torch.manual_seed(seed)
    model = get_model(builder, weights=None, weights_backbone=None, num_classes=91)
    with torch.no_grad():  # spread class scores, as a trained head's are
        head = model.roi_heads.box_predictor.cls_score
        head.weight.normal_(0.0, 20.0)
        head.bias.zero_()
        head.bias[0] = -1.0
    torch.save(model.eval().state_dict(), path)
    return list(get_model_weights(builder).DEFAULT.meta["categories"])


def plain_loop(
    builder: str,
    weights: Path,
    names: list[str],
    files: list[Path],
    batch: int,
    min_score: float,
    device: str = "cpu",
) -> tuple[float, list[tuple]]:
    """The reference: the weights' transform + ``model(...)`` + the threshold, per batch, on
    ``device`` in float32."""
    import torch
    from PIL import Image
    from torchvision.models import get_model
    from torchvision.transforms.functional import to_tensor

    model = get_model(builder, weights=None, weights_backbone=None, num_classes=91)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model = model.to(device).eval()
    rows = []
    t0 = time.perf_counter()
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        with torch.no_grad():
            out = model([to_tensor(im).to(device) for im in images])
        for f, r in zip(chunk, out, strict=True):
            for box, score, label in zip(r["boxes"], r["scores"], r["labels"], strict=True):
                if float(score) >= min_score:
                    rows.append((f.name, names[int(label)], *box.tolist(), float(score)))
    return time.perf_counter() - t0, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builder", default="fasterrcnn_mobilenet_v3_large_320_fpn")
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--min-score", type=float, default=0.3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", default="auto", help="the job's dtype (the plain loop: float32)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.predict.base import PredictOptions
    from visionlens_jlab.predict.job import run_prediction
    from visionlens_jlab.predict.workers import sharded_source

    env, load_start = environment(), load_average()
    work = Path(tempfile.mkdtemp(prefix="vl-bench-predict-tv-"))
    try:
        files, size, data_dir = photos_dataset(work, args.images)
        weights = work / f"{args.builder}.pth"
        names = save_detector(weights, args.builder)

        plain_s, job_s, job_ips, checks = [], [], [], []
        ran_in: set[str] = set()  # the job's device and dtype (auto: float32 on a CPU)
        for run in range(args.runs):
            order = ["plain", "job"] if run % 2 == 0 else ["job", "plain"]
            for what in order:
                if what == "plain":
                    seconds, plain = plain_loop(
                        *(args.builder, weights, names, files),
                        *(args.batch_size, args.min_score, args.device),
                    )
                    plain_s.append(seconds)
                else:
                    catalog = Catalog(data_dir)
                    options = PredictOptions(
                        "photos",
                        f"torchvision:{args.builder}={weights}",
                        name=f"tv{run}",
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
            checks.append(compare(plain, job_rows(data_dir, f"tv{run}"), size))
        load_end = load_average()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def fmt(values: list[float], unit: str = "s") -> str:
        s = summary(values)
        return f"{s.median:.2f} {unit} ({s.low:.2f}–{s.high:.2f})"

    n = len(files)
    paired = summary([p / j for p, j in zip(plain_s, job_s, strict=True)])
    rows = [
        ["plain loop (reference)", fmt(plain_s), fmt([n / s for s in plain_s], "img/s"), "1.00"],
        [
            "job in-process",
            fmt(job_s),
            fmt(job_ips, "img/s"),
            f"{paired.median:.2f} ({paired.low:.2f}–{paired.high:.2f})",
        ],
    ]
    text = header(f"Model job: random torchvision {args.builder}", env, load_start, load_end)
    text += (
        f"\n{n} photos (640x480 JPEG), batch {args.batch_size}, min score {args.min_score}, "
        f"{args.runs} rounds in alternating order; the job ran on {', '.join(sorted(ran_in))} "
        f"(`--dtype {args.dtype}`), the plain loop in float32. "
        "Speed-up = plain wall / ours, paired per round (median, range).\n\n"
    )
    text += table(["path", "wall (median, range)", "images/s", "speed-up vs plain"], rows)
    text += "\nOutputs, job vs plain loop, per round:\n\n"
    head = ["round", "plain boxes", "job boxes", "matched", "outside image", "min IoU"]
    text += table(
        [*head, "max |Δscore|"],
        [
            [
                *(str(i), str(c["plain"]), str(c["ours"]), str(c["matched"]), str(c["outside"])),
                *(f"{c['min_iou']:.4f}", f"{c['max_score_diff']:.2e}"),
            ]
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
