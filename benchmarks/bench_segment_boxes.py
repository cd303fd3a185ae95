"""Box-to-mask job throughput against plain transformers loops over the same boxes.

The model is SAM ViT-B's encoder shape (a 12-layer, 768-wide ViT with 12 heads, ViT-B's
global-attention layers) at a **256-pixel input** (the default ``--size``) instead of 1024
(``--size 1024`` runs the real input), with random weights and the default prompt encoder and mask decoder at
that size: at 1024 px one ViT-B embedding takes ~25 s on this loaded 2-core CPU, so the
per-box reference alone would take tens of minutes. A smaller input makes the embedding
a smaller share of the work, so the job's advantage (one embedding per image) is, if
anything, understated. Saved with ``save_pretrained`` and loaded by path, as users load it.

Data: the first ``--images`` shared cartucho-map VOC photos (640x480) with their ground
truth boxes, ingested into a fresh catalog through the real parser. Per round, in rotating
order, after an untimed warm-up of every path on one image:

* **job** (:func:`~visionlens_jlab.segment.box_job.run_box_masks`, a fresh run each round):
  reading, one embedding per image, its boxes in one decoder call, RLE encoding and the
  catalog writes of the new prediction set; with its default ``dtype auto`` (the encoder in
  bf16 on a CPU with native bf16, checked on the first batch: :mod:`visionlens_jlab.segment.precision`)
  and again with ``dtype float32``, as the references run;
* **plain per box** (reference A): what a transformers user writes for one box,
  ``SamProcessor(image, input_boxes)``, ``SamModel(pixel_values, input_boxes)`` (the image
  encoder runs for every box), ``post_process_masks``, the best mask by predicted IoU;
* **plain per image** (reference B, the stronger one): the processor and
  ``get_image_embeddings`` once per image, then ``SamModel(image_embeddings, input_boxes)``
  and ``post_process_masks`` once per box.

* **CLI** (unless ``--no-cli``): ``visionlens segment-boxes DATASET --model DIR --json`` in
  a fresh process, end to end: interpreter start, imports, loading the model and the job
  (the in-process job rows above do not count the loading).

Reference A takes an encoder pass per box: ``--no-per-box`` leaves it out. The auto job's
masks are compared with the per-box reference's (reference B's without it), pixel by pixel: SAM prompts each
box on its own, but one decoder call over all boxes of an image is a batched matrix
product, whose float rounding can flip a pixel that sits on the mask threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    REPO,
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

RESULTS = REPO / "benchmarks" / "results" / "segment.md"


def subset(folder: Path, n: int) -> Path:
    """The first ``n`` cartucho-map photos and their ground truth, copied to ``folder``."""
    shared = Path(os.environ.get("VISIONLENS_SHARED", "/work/shared")) / "datasets"
    images, truth = folder / "images", folder / "ground-truth"
    images.mkdir(parents=True)
    truth.mkdir(parents=True)
    for photo in sorted((shared / "cartucho-map" / "images").glob("*.jpg"))[:n]:
        shutil.copy(photo, images / photo.name)
        gt = shared / "cartucho-map" / "ground-truth" / f"{photo.stem}.txt"
        shutil.copy(gt, truth / gt.name)
    return folder


def save_sam(folder: Path, size: int) -> Path:
    """A random SAM with ViT-B's encoder at ``size`` pixels, and its processor, saved."""
    import torch
    from transformers import (
        SamConfig,
        SamModel,
        SamProcessor,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )
    from transformers.models.sam.image_processing_sam import SamImageProcessor

    torch.manual_seed(0)
    config = SamConfig(
        vision_config=SamVisionConfig(image_size=size),
        prompt_encoder_config=SamPromptEncoderConfig(image_size=size),
    )
    SamModel(config).eval().save_pretrained(folder)
    image_processor = SamImageProcessor(
        size={"longest_edge": size}, pad_size={"height": size, "width": size}
    )
    SamProcessor(image_processor).save_pretrained(folder)
    return folder


def best_masks(processor: Any, out: Any, inputs: Any) -> Any:
    import torch

    masks = processor.post_process_masks(
        out.pred_masks, inputs["original_sizes"], inputs["reshaped_input_sizes"]
    )[0][0]
    return masks[int(torch.argmax(out.iou_scores[0, 0]))].numpy().astype(bool)


def plain_per_box(model: Any, processor: Any, work: list[tuple[Any, list[list[float]]]]) -> list:
    """Reference A: the whole model (encoder included) once per box."""
    import torch

    out_masks = []
    for image, boxes in work:
        for x1, y1, x2, y2 in boxes:
            inputs = processor(images=image, input_boxes=[[[x1, y1, x2, y2]]], return_tensors="pt")
            with torch.no_grad():
                out = model(
                    pixel_values=inputs["pixel_values"],
                    input_boxes=inputs["input_boxes"],
                    multimask_output=True,
                )
            out_masks.append(best_masks(processor, out, inputs))
    return out_masks


def plain_per_image(model: Any, processor: Any, work: list[tuple[Any, list[list[float]]]]) -> list:
    """Reference B: the embedding once per image, the decoder once per box."""
    import torch

    out_masks = []
    for image, boxes in work:
        inputs = processor(images=image, return_tensors="pt")
        with torch.no_grad():
            embedding = model.get_image_embeddings(inputs["pixel_values"])
        for x1, y1, x2, y2 in boxes:
            prompt = processor(images=image, input_boxes=[[[x1, y1, x2, y2]]], return_tensors="pt")
            with torch.no_grad():
                out = model(
                    image_embeddings=embedding,
                    input_boxes=prompt["input_boxes"],
                    multimask_output=True,
                )
            out_masks.append(best_masks(processor, out, prompt))
    return out_masks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--size", type=int, default=256, help="the model's input (1024: SAM's)")
    parser.add_argument(
        "--no-per-box", dest="per_box", action="store_false",
        help="leave out reference A (an encoder pass per box: slow); masks then compared "
        "with reference B's",
    )  # fmt: skip
    parser.add_argument(
        "--no-cli", dest="cli", action="store_false",
        help="leave out the CLI end to end (a fresh process per round)",
    )  # fmt: skip
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    import torch
    from PIL import Image
    from pycocotools import mask as mask_utils

    from visionlens_jlab import features
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset
    from visionlens_jlab.predict.loading import load_segmenter
    from visionlens_jlab.segment.box_job import BoxMaskOptions, run_box_masks
    from visionlens_jlab.segment.engine import Segmenter

    env, load_start = environment(), load_average()
    work_dir = Path(tempfile.mkdtemp(prefix="vl-bench-boxes-"))
    try:
        model_dir = str(save_sam(work_dir / "sam", args.size))
        photos = subset(work_dir / "photos", args.images)
        features.load()
        data_dir = work_dir / "data"
        catalog = Catalog(data_dir)
        parsed = open_dataset(str(photos / "ground-truth"), "txt", images=str(photos / "images"))
        write_dataset(catalog, "photos", parsed)
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT s.location, a.x, a.y, a.w, a.h FROM annotations a JOIN samples s "
                "USING (sample_id) WHERE a.source = 'ground_truth' ORDER BY s.sample_id, a.ann_id"
            ).fetchall()
        by_image: dict[str, list[list[float]]] = {}
        for location, x, y, w, h in rows:
            by_image.setdefault(location, []).append([x, y, x + w, y + h])
        work = [(Image.open(loc).convert("RGB"), boxes) for loc, boxes in by_image.items()]
        n_boxes = sum(len(b) for _, b in work)
        segmenter = Segmenter(load_segmenter(model_dir))  # loading is not timed
        model, processor = segmenter.model, segmenter.processor
        # untimed warm-up of each path on the first image
        plain_per_box(model, processor, work[:1])
        plain_per_image(model, processor, work[:1])
        for dtype in ("auto", "float32"):
            warm = BoxMaskOptions("photos", model_dir, name=f"warm-up-{dtype}", dtype=dtype)
            run_box_masks(None, catalog, warm, lambda _: segmenter)

        def cli(name: str) -> float:
            """The CLI's wall time: the catalog is closed meanwhile (one writer at a time)."""
            nonlocal catalog
            catalog.close()
            argv = cli_command(
                "segment-boxes", "photos", "--model", model_dir, "--name", name,
                "--data-dir", str(data_dir), "--json",
            )  # fmt: skip
            wall_s = checked(run_process(argv), "visionlens segment-boxes").wall_s
            catalog = Catalog(data_dir)
            return wall_s

        if args.cli:
            cli("warm-up-cli")
        paths = ["job", "job_fp32", "per_image"] + (["per_box"] if args.per_box else [])
        paths += ["cli"] if args.cli else []
        times: dict[str, list[float]] = {what: [] for what in paths}
        differ: list[list[int]] = []  # per round, per box: pixels unlike the reference's
        precision: list[tuple[str, float | None]] = []  # the job's dtype and check, per round
        for run in range(args.runs):
            shift = run % len(paths)
            for what in paths[shift:] + paths[:shift]:
                start = time.perf_counter()
                if what == "cli":
                    times[what].append(cli(f"cli-{run}"))
                    continue
                if what == "per_box":
                    reference = plain_per_box(model, processor, work)
                elif what == "per_image":
                    per_image_masks = plain_per_image(model, processor, work)
                else:
                    dtype = "auto" if what == "job" else "float32"
                    name = f"round-{run}" if what == "job" else f"fp32-{run}"
                    options = BoxMaskOptions("photos", model_dir, name=name, dtype=dtype)
                    done = run_box_masks(None, catalog, options, lambda _: segmenter)
                    if what == "job":
                        precision.append((done["dtype"], done["reduced_mask_iou"]))
                times[what].append(time.perf_counter() - start)
            if not args.per_box:
                reference = per_image_masks
            with catalog.cursor() as cur:
                stored = cur.execute(
                    "SELECT a.segmentation FROM annotations a WHERE a.source = ? "
                    "ORDER BY a.sample_id, a.source_ann_id::BIGINT",
                    [f"round-{run}"],
                ).fetchall()
            ours = [mask_utils.decode({**json.loads(s), "counts": json.loads(s)["counts"].encode()})
                    for (s,) in stored]  # fmt: skip
            assert len(ours) == len(reference)
            mask_px = [int(b.sum()) for b in reference]
            differ.append(
                [int((a.astype(bool) != b).sum()) for a, b in zip(ours, reference, strict=True)]
            )
        catalog.close()
        load_end = load_average()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    def wall(values: list[float]) -> str:
        s = summary(values)
        return f"{s.median:.1f} s ({s.low:.1f}–{s.high:.1f})"

    def rate(values: list[float]) -> str:
        s = summary([n_boxes / v for v in values])
        return f"{s.median:.2f} ({s.low:.2f}–{s.high:.2f})"

    def speedup(reference: str, job: str) -> str:
        if reference not in times or job not in times:
            return "not run"
        pairs = zip(times[reference], times[job], strict=True)
        return summary([r / j for r, j in pairs]).fmt(2)

    def row(label: str, what: str, a: str, b: str) -> list[str]:
        if what not in times:
            return [label, "not run", "", a, b]
        return [label, wall(times[what]), rate(times[what]), a, b]

    dtypes = sorted({d for d, _ in precision})
    checks = [c for _, c in precision if c is not None]
    table_rows = [
        row("plain per box (encoder per box; reference A)", "per_box", "1.00", ""),
        row("plain per image (encoder per image, decoder per box; reference B)",
            "per_image", "", "1.00"),
        row(f"box-to-mask job, dtype auto (encoder in {'/'.join(dtypes)}; one decoder call "
            "per image, RLE, catalog writes)", "job", speedup("per_box", "job"),
            speedup("per_image", "job")),
        row("box-to-mask job, dtype float32", "job_fp32", speedup("per_box", "job_fp32"),
            speedup("per_image", "job_fp32")),
        row("CLI end to end (`visionlens segment-boxes --json`: process start, imports, model "
            "loading, the auto job)", "cli", speedup("per_box", "cli"),
            speedup("per_image", "cli")),
    ]  # fmt: skip
    title = f"Box-to-mask job: random SAM, ViT-B encoder at {args.size} px"
    text = header(title, env, load_start, load_end)
    text += (
        f"\n{len(work)} cartucho-map photos (640x480), {n_boxes} ground-truth boxes, "
        f"{args.runs} rounds in rotating order, torch {torch.__version__} on the CPU, "
        f"{torch.get_num_threads()} threads; the references in float32. Speed-up = reference "
        "/ job, round by round.\n\n"
        + table(["path", "wall (median, range)", "boxes/s", "vs A", "vs B"], table_rows)
        + f"\nThe auto job's first-batch check (bf16 masks against float32's, mean IoU): "
        f"{checks or 'not made (no native bf16)'}.\n"
        + f"\nAuto job's masks identical to reference {'A' if args.per_box else 'B'}'s, per round: "
        f"{[sum(d == 0 for d in r) for r in differ]} of {n_boxes}; the others differ by at "
        f"most {max(max(r) for r in differ)} pixels (the boxes' masks hold "
        f"{min(mask_px)}–{max(mask_px)} pixels).\n\n"
        f"`python benchmarks/bench_segment_boxes.py --runs {args.runs} --images {args.images} "
        f"--size {args.size}{'' if args.per_box else ' --no-per-box'}"
        f"{'' if args.cli else ' --no-cli'}`\n"
    )
    print(text)
    out = Path(args.out)
    previous = out.read_text() if out.exists() else "# Click-to-mask (SAM in the sample view)\n"
    head, _, rest = previous.partition("\n")
    out.write_text(f"{head}\n\n{text}\n{rest.lstrip()}")


if __name__ == "__main__":
    run_locked(main)
