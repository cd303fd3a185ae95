"""Click-to-mask latency: the image embedding once, then each click on the prompt encoder
and mask decoder alone, against transformers' plain ``SamModel`` call.

The model is SAM ViT-B's architecture (``SamConfig()``'s defaults: a 12-layer, 768-wide
ViT at 1024 px, the 256-channel prompt encoder and two-layer mask decoder) with random
weights: nothing can be downloaded here, and the time a pass takes depends on the shape,
not on the weights. It is saved with ``save_pretrained`` and loaded by path through
:func:`~visionlens_jlab.predict.loading.load_segmenter`, as the server loads it. The image
is a real photo (the first shared cartucho-map VOC image, 640x480 JPEG).

Per round, in rotating order, in one process, after an untimed warm-up of both paths:

* **plain SamModel** (the reference): ``SamProcessor(images, input_points, input_labels)``,
  ``SamModel(pixel_values, input_points, input_labels, multimask_output=True)`` under
  ``torch.no_grad``, ``post_process_masks``, the best mask by predicted IoU: what a user
  of transformers writes for one click, the embedding and the first mask together;
* **first click** (:meth:`SegmentEngine.segment` on an image not cached): the same work
  through the engine, plus the mask's RLE; its embedding part reported alone;
* **further clicks**: :data:`CLICKS` more prompts (points, negatives, a box) on the cached
  embedding, each the engine's whole call (prompt scaling, prompt encoder, mask decoder,
  post-processing, RLE).

The first click's mask must equal the plain call's (pixel for pixel) in every round.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO, environment, header, load_average, run_locked, summary, table

RESULTS = REPO / "benchmarks" / "results" / "segment.md"
CLICKS = 10


def photo() -> Path:
    shared = Path(os.environ.get("VISIONLENS_SHARED", "/work/shared"))
    return sorted((shared / "datasets" / "cartucho-map" / "images").glob("*.jpg"))[0]


def save_sam_vit_b(folder: Path) -> Path:
    """A random SAM of ViT-B's shape and its default processor (1024 px), saved."""
    import torch
    from transformers import SamConfig, SamModel, SamProcessor
    from transformers.models.sam.image_processing_sam import SamImageProcessor

    torch.manual_seed(0)
    SamModel(SamConfig()).eval().save_pretrained(folder)
    SamProcessor(SamImageProcessor()).save_pretrained(folder)
    return folder


def plain_click(model: Any, processor: Any, image: Any, x: float, y: float) -> tuple[float, Any]:
    """Seconds of transformers' plain one-click call, and its best mask (on the model's
    device: the mask comes back to the host, which waits for the GPU's work)."""
    import torch

    start = time.perf_counter()
    inputs = processor(
        images=image, input_points=[[[[x, y]]]], input_labels=[[[1]]], return_tensors="pt"
    )
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(
            pixel_values=inputs["pixel_values"].to(device),
            input_points=inputs["input_points"].to(device),
            input_labels=inputs["input_labels"].to(device),
            multimask_output=True,
        )
    masks = processor.post_process_masks(
        out.pred_masks.cpu(), inputs["original_sizes"], inputs["reshaped_input_sizes"]
    )[0][0]
    best = masks[int(torch.argmax(out.iou_scores[0, 0]))].numpy()
    return time.perf_counter() - start, best


def prompts(width: int, height: int) -> list[tuple[list[dict[str, Any]], Any]]:
    """:data:`CLICKS` refinements: more points, negatives, a box."""
    out: list[tuple[list[dict[str, Any]], Any]] = []
    for k in range(CLICKS):
        points = [{"x": width * (k + 1) / (CLICKS + 2), "y": height / 2, "label": 1}]
        if k % 2:
            points.append({"x": width / 10, "y": height / 10 + k, "label": 0})
        box = [width / 8, height / 8, width / 2, height / 2] if k % 3 == 0 else None
        out.append((points, box))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()

    import numpy as np
    import torch
    from PIL import Image
    from pycocotools import mask as mask_utils

    from visionlens_jlab.predict.loading import load_segmenter
    from visionlens_jlab.segment.engine import SegmentEngine
    from visionlens_jlab.segment.prompts import parse_prompt

    env, load_start = environment(), load_average()
    work = Path(tempfile.mkdtemp(prefix="vl-bench-segment-"))
    try:
        model_dir = str(save_sam_vit_b(work / "sam-vit-b"))
        image = Image.open(photo()).convert("RGB")
        width, height = image.size
        engine = SegmentEngine(loader=lambda model: load_segmenter(model, args.device, "float32"))
        segmenter = engine.segmenter(model_dir)  # loading is not timed
        model, processor = segmenter.model, segmenter.processor
        x, y = width / 3, height / 2
        first_prompt = parse_prompt([{"x": x, "y": y, "label": 1}], None)
        # untimed warm-up: the process's first passes pay torch's one-off set-up
        plain_click(model, processor, image, x, y)
        engine.segment(model_dir, "warm-up", lambda: image, first_prompt)
        plain_s, first_s, embed_s, click_s, equal = [], [], [], [], []
        for run in range(args.runs):
            order = ["plain", "engine"] if run % 2 == 0 else ["engine", "plain"]
            for what in order:
                if what == "plain":
                    seconds, expected = plain_click(model, processor, image, x, y)
                    plain_s.append(seconds)
                    continue
                key = f"round-{run}"  # not cached: the first click embeds
                start = time.perf_counter()
                answer = engine.segment(model_dir, key, lambda: image, first_prompt)
                first_s.append(time.perf_counter() - start)
                embed_s.append(answer["seconds"]["embed"])
                ours = mask_utils.decode(
                    {"size": answer["mask"]["size"], "counts": answer["mask"]["counts"].encode()}
                )
                for points, box in prompts(width, height):
                    start = time.perf_counter()
                    again = engine.segment(model_dir, key, lambda: image, parse_prompt(points, box))
                    click_s.append(time.perf_counter() - start)
                    assert again["embedding"] == "cached"
            equal.append(bool(np.array_equal(ours.astype(bool), expected.astype(bool))))
        load_end = load_average()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def ms(values: list[float]) -> str:
        s = summary([v * 1000 for v in values])
        return f"{s.median:.0f} ms ({s.low:.0f}–{s.high:.0f})"

    speedup = summary([p / f for p, f in zip(plain_s, first_s, strict=True)])
    click_median = statistics.median(click_s) * 1000
    rows = [
        ["plain SamModel: embedding + first mask (reference)", ms(plain_s), "1.00"],
        ["engine, first click: embedding + first mask", ms(first_s), speedup.fmt(2)],
        ["  of which the image embedding", ms(embed_s), ""],
        [f"engine, further click ({CLICKS} per round, cached embedding)", ms(click_s), ""],
    ]
    text = header("Click-to-mask: random SAM ViT-B (SamConfig defaults, 1024 px)", env,
                  load_start, load_end)  # fmt: skip
    text += (
        f"\nOne 640x480 photo, {args.runs} rounds in alternating order, torch "
        f"{torch.__version__} on the {args.device.upper()}, float32, "
        f"{torch.get_num_threads()} threads. "
        f"Speed-up = plain / engine, round by round.\n\n"
        + table(["path", "wall (median, range)", "speed-up vs plain"], rows)
        + f"\nFirst click's mask equal to the plain call's, per round: {equal}. "
        f"Further clicks: median **{click_median:.0f} ms** (issue #51's goal: ≤ 100 ms on "
        f"a CPU, ≤ 20 ms on a GPU).\n\n"
        f"`python benchmarks/bench_segment.py --runs {args.runs} --device {args.device}`\n"
    )
    print(text)
    out = Path(args.out)
    previous = out.read_text() if out.exists() else "# Click-to-mask (SAM in the sample view)\n"
    title, _, rest = previous.partition("\n")
    out.write_text(f"{title}\n\n{text}\n{rest.lstrip()}")


if __name__ == "__main__":
    run_locked(main)
