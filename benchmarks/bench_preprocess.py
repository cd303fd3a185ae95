"""The input side of a detector job on one CPU core: decoding and the processor's preprocessing.

Two measurements, on the cartucho-map photos (640x480 JPEG) enlarged ``--scale`` times and
saved again as JPEG (quality 90), as a camera's photos are larger than a model's input:

1. **Decode**: a full decode against the model jobs' reduced decode
   (:func:`visionlens_jlab.predict.prepare.decode_image`: the smallest DCT scale that
   still covers the DETR processor's resize, shortest edge ``--shortest``), per image;
   and what the model sees either way: the processor's ``pixel_values`` of both, and the
   detections of a random DETR-R50-shaped detector on both (boxes mapped back to the full
   image, matched query by query: DETR's queries are ordered).
2. **Preprocess**: the DETR processor's own PIL/numpy path (``backend="pil"``) against
   the jobs' path (:func:`visionlens_jlab.predict.prepare.as_tensor` and
   :func:`~visionlens_jlab.predict.prepare.presized`, then the processor's tensor path,
   ``backend="torchvision"``, what the jobs load), on the same decoded images, torch on one
   thread (per core); the tensor path's ``pixel_values`` against the PIL one's. The tensor
   path without the pre-resize is timed too (the jobs' path before it).

3+ rounds each, median and range; the reference (full decode, the PIL path) in the same
run. Writes ``benchmarks/results/predict.md``.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO, environment, header, load_average, run_locked, summary, table

RESULTS = REPO / "benchmarks" / "results" / "predict.md"


def photos(n: int, scale: float) -> list[bytes]:
    """``n`` cartucho-map photos enlarged ``scale`` times, as JPEG bytes (quality 90)."""
    import os

    from PIL import Image

    shared = Path(os.environ.get("VISIONLENS_SHARED", "/work/shared"))
    out = []
    for f in sorted((shared / "datasets" / "cartucho-map" / "images").glob("*.jpg"))[:n]:
        im = Image.open(f).convert("RGB")
        im = im.resize(
            (round(im.width * scale), round(im.height * scale)), Image.Resampling.BICUBIC
        )
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def timed_per_image(fn: Any, items: list[Any], rounds: int) -> tuple[list[float], list[Any]]:
    """Milliseconds per image of ``fn`` over ``items``, one figure per round; last outputs."""
    times, outputs = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        outputs = [fn(x) for x in items]
        times.append((time.perf_counter() - t0) * 1000 / len(items))
    return times, outputs


def iou(a: Any, b: Any) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 1.0


def detections(model: Any, processor: Any, images: list[Any], full: list[tuple]) -> list:
    """Per image: every query's box (in the full image's pixels) and score."""
    import torch

    out = []
    for image, (fw, fh) in zip(images, full, strict=True):
        with torch.inference_mode():
            o = model(**processor(images=[image], return_tensors="pt"))
        r = processor.post_process_object_detection(
            o, threshold=0.0, target_sizes=[(image.height, image.width)]
        )[0]
        fx, fy = fw / image.width, fh / image.height
        boxes = (r["boxes"].double() * torch.tensor([fx, fy, fx, fy])).tolist()
        out.append((boxes, r["scores"].tolist()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--scale", type=float, default=4.0, help="enlarge the photos by this")
    parser.add_argument("--shortest", type=int, default=800)
    parser.add_argument("--longest", type=int, default=1333)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--detector-images", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file (appended)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from bench_predict import save_detr_r50
    from transformers import AutoImageProcessor

    from visionlens_jlab.predict.input_size import edges
    from visionlens_jlab.predict.prepare import as_tensor, decode_image, presized

    torch.set_num_threads(1)  # per core
    env, load_start = environment(), load_average()
    data = photos(args.images, args.scale)
    rule = edges(float(args.shortest), float(args.longest))
    full_ms, full_images = timed_per_image(lambda d: decode_image(d)[0], data, args.runs)
    reduced_ms, reduced = timed_per_image(lambda d: decode_image(d, rule), data, args.runs)
    reduced_images = [im for im, _ in reduced]
    sizes = [size for _, size in reduced]

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = save_detr_r50(Path(tmp) / "detr", args.shortest, args.longest)
        tensor = AutoImageProcessor.from_pretrained(model_dir, backend="torchvision")
        pil = AutoImageProcessor.from_pretrained(model_dir, backend="pil")
        pil_ms, pil_out = timed_per_image(
            lambda im: pil(images=[im], return_tensors="pt")["pixel_values"],
            full_images,
            args.runs,
        )

        def jobs_path(im: Any) -> Any:
            """The decoded image as a uint8 tensor, resized, through the tensor path."""
            return tensor(images=[presized(tensor, as_tensor(im))], return_tensors="pt")

        tensor_ms, tensor_out = timed_per_image(
            lambda im: jobs_path(im)["pixel_values"], full_images, args.runs
        )
        unsized_ms, unsized_out = timed_per_image(
            lambda im: tensor(images=[as_tensor(im)], return_tensors="pt")["pixel_values"],
            full_images,
            args.runs,
        )
        assert all(a.equal(b) for a, b in zip(tensor_out, unsized_out, strict=True))
        # the whole input step of one image, from its bytes: what a job's reader does
        plain_ms, _ = timed_per_image(
            lambda d: pil(images=[decode_image(d)[0]], return_tensors="pt"), data, args.runs
        )
        ours_ms, _ = timed_per_image(lambda d: jobs_path(decode_image(d, rule)[0]), data, args.runs)
        reduced_out = [
            tensor(images=[im], return_tensors="pt")["pixel_values"] for im in reduced_images
        ]
        diff_backend = max(
            float((a - b).abs().max()) for a, b in zip(pil_out, tensor_out, strict=True)
        )
        mean_backend = float(
            np.mean([float((a - b).abs().mean()) for a, b in zip(pil_out, tensor_out, strict=True)])
        )
        same_shape = all(a.shape == b.shape for a, b in zip(tensor_out, reduced_out, strict=True))
        diff_decode = (
            max(float((a - b).abs().max()) for a, b in zip(tensor_out, reduced_out, strict=True))
            if same_shape
            else float("nan")
        )
        mean_decode = (
            float(
                np.mean(
                    [
                        float((a - b).abs().mean())
                        for a, b in zip(tensor_out, reduced_out, strict=True)
                    ]
                )
            )
            if same_shape
            else float("nan")
        )
        from transformers import AutoModelForObjectDetection

        model = AutoModelForObjectDetection.from_pretrained(model_dir).eval()
        k = args.detector_images
        full_det = detections(model, tensor, full_images[:k], sizes[:k])
        reduced_det = detections(model, tensor, reduced_images[:k], sizes[:k])
    ious = [
        iou(a, b)
        for (fb, _), (rb, _) in zip(full_det, reduced_det, strict=True)
        for a, b in zip(fb, rb, strict=True)
    ]
    dscore = [
        abs(a - b)
        for (_, fs), (_, rs) in zip(full_det, reduced_det, strict=True)
        for a, b in zip(fs, rs, strict=True)
    ]
    load_end = load_average()
    w, h = full_images[0].size
    rw, rh = reduced_images[0].size
    speed_decode = summary([a / b for a, b in zip(full_ms, reduced_ms, strict=True)])
    speed_pre = summary([a / b for a, b in zip(pil_ms, tensor_ms, strict=True)])
    speed_unsized = summary([a / b for a, b in zip(pil_ms, unsized_ms, strict=True)])
    speed_all = summary([a / b for a, b in zip(plain_ms, ours_ms, strict=True)])
    text = header(
        "Detector input on one core: reduced decode, tensor preprocessing",
        env,
        load_start,
        load_end,
    )
    text += (
        f"\n{args.images} cartucho-map photos enlarged {args.scale}x ({w}x{h}, JPEG q90), the "
        f"DETR processor at shortest edge {args.shortest} / longest {args.longest}; torch on one "
        f"thread; {args.runs} rounds, median (range) per image.\n\n"
    )
    text += table(
        ["step", "reference", "ours", "speed-up"],
        [
            [
                f"decode ({w}x{h} → {rw}x{rh})",
                f"full: {summary(full_ms).fmt(1, 'ms')}",
                f"reduced (DCT 1/{round(w / rw)}): {summary(reduced_ms).fmt(1, 'ms')}",
                speed_decode.fmt(2, "x"),
            ],
            [
                "preprocess (resize, normalise, pad)",
                f"processor's PIL path: {summary(pil_ms).fmt(1, 'ms')}",
                f"pre-resized + tensor path (the jobs'): {summary(tensor_ms).fmt(1, 'ms')}",
                speed_pre.fmt(2, "x"),
            ],
            [
                "preprocess, without the pre-resize",
                f"processor's PIL path: {summary(pil_ms).fmt(1, 'ms')}",
                f"tensor path alone: {summary(unsized_ms).fmt(1, 'ms')}",
                speed_unsized.fmt(2, "x"),
            ],
            [
                "both, from the JPEG's bytes",
                f"full decode + PIL path: {summary(plain_ms).fmt(1, 'ms')}",
                f"reduced decode + the jobs' path: {summary(ours_ms).fmt(1, 'ms')}",
                speed_all.fmt(2, "x"),
            ],
        ],
    )
    text += (
        f"\nWhat the model sees (`pixel_values`, normalised units): tensor path against the PIL "
        f"path max |Δ| {diff_backend:.3f}, mean {mean_backend:.4f}; reduced decode against full "
        f"decode (both tensor path) max |Δ| {diff_decode:.3f}, mean {mean_decode:.4f}.\n"
        f"Random DETR-R50-shaped detector on {k} images, reduced against full decode, all "
        f"{len(ious)} queries: box IoU min {min(ious):.4f}, share ≥ 0.99 "
        f"{np.mean(np.array(ious) >= 0.99):.3f}; |Δscore| max {max(dscore):.2e}, median "
        f"{float(np.median(dscore)):.2e}.\n\n"
        f"Command: `python benchmarks/bench_preprocess.py --images {args.images} --scale "
        f"{args.scale} --shortest {args.shortest} --longest {args.longest} --runs {args.runs}`\n"
    )
    print(text)
    if not args.no_write:
        with args.out.open("a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    run_locked(main)
