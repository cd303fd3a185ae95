"""The box-to-mask job on the model jobs' pipeline (``jobs/feed.py``) against the same job
before it and a plain transformers loop, on the same photos and boxes.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_segment_feed.py [--images N] [--runs R] [--before COMMIT] [--size PX]

* **before**: ``run_box_masks`` of the code at ``--before`` (its ``visionlens_jlab`` folder
  extracted with ``git archive``): one image at a time, read, processed, embedded and its
  boxes decoded in turn;
* **pipeline**: ``run_box_masks`` of this checkout: images read and run through the
  processor on producer threads while the encoder embeds the batch before, encoder batches
  of ``--batch-size`` (default ``auto``: the warm-up's size);
* **plain loop** (the reference, same run): per image ``Image.open`` → ``SamProcessor`` →
  ``get_image_embeddings`` → one ``SamModel`` call over the image's boxes →
  ``post_process_masks``, the best of three masks by predicted IoU; nothing written.

Each case is a fresh process (rounds rotate the order); the figure is images per second of
the timed part: the job's call (reading, embedding, decoding, RLE, catalog writes) or the
plain loop; the catalog's ingest and the model's load are not timed. The model is
``bench_segment_boxes.py``'s random SAM with ViT-B's encoder at ``--size`` pixels (256 by
default: at 1024 one ViT-B embedding takes ~25 s on this 2-core CPU). The masks of before,
pipeline and plain are compared box by box.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_feed import extract
from bench_segment_boxes import save_sam, subset
from harness import (
    REPO,
    Run,
    child_env,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_locked,
    run_process,
    summary,
    table,
    write_section,
)

RESULTS = REPO / "benchmarks" / "results" / "feed.md"
TITLE = "Box-to-mask job on the pipeline"
SECTION = f"## {TITLE}"


def plain(model_dir: str, photos: Path, boxes: dict[str, list[list[float]]]) -> list[Any]:
    """The plain transformers loop over the photos: the masks, as RLE, in box order."""
    import numpy as np
    import torch
    from PIL import Image
    from pycocotools import mask as mask_utils
    from transformers import SamModel, SamProcessor

    model, processor = (
        SamModel.from_pretrained(model_dir).eval(),
        SamProcessor.from_pretrained(model_dir),
    )
    t0 = time.perf_counter()
    out: list[Any] = []
    for name, corners in boxes.items():
        image = Image.open(photos / name).convert("RGB")
        inputs = processor(images=image, input_boxes=[corners], return_tensors="pt")
        with torch.inference_mode():
            embedding = model.get_image_embeddings(inputs["pixel_values"])
            result = model(
                image_embeddings=embedding, input_boxes=inputs["input_boxes"], multimask_output=True
            )
        masks = processor.post_process_masks(
            result.pred_masks, inputs["original_sizes"], inputs["reshaped_input_sizes"]
        )[0]
        best = torch.argmax(result.iou_scores[0], dim=1)
        for i in range(len(corners)):
            mask = np.asfortranarray(masks[i, int(best[i])].numpy().astype(np.uint8))
            out.append(mask_utils.encode(mask)["counts"].decode())
    return [time.perf_counter() - t0, out]


def child(case: str, model_dir: str, photos: str, out: str, batch: str) -> None:
    """One measured case in this process: prints ``{"seconds", "batch_size"}``."""
    from visionlens_jlab import features
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset
    from visionlens_jlab.predict.loading import load_segmenter
    from visionlens_jlab.segment.box_job import BoxMaskOptions, run_box_masks
    from visionlens_jlab.segment.engine import Segmenter

    features.load()
    folder = Path(photos)
    catalog = Catalog(Path(out).with_suffix(".data"))
    parsed = open_dataset(str(folder / "ground-truth"), "txt", images=str(folder / "images"))
    write_dataset(catalog, "photos", parsed)
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, a.x, a.y, a.w, a.h FROM annotations a JOIN samples s "
            "USING (sample_id) ORDER BY s.sample_id, a.ann_id"
        ).fetchall()
    boxes: dict[str, list[list[float]]] = {}
    for name, x, y, w, h in rows:
        boxes.setdefault(name, []).append([x, y, x + w, y + h])
    if case == "plain":
        seconds, masks = plain(model_dir, folder / "images", boxes)
        Path(out).write_text(json.dumps(masks))
        print(json.dumps({"seconds": seconds, "batch_size": 1, "images": len(boxes)}))
        return
    segmenter = Segmenter(load_segmenter(model_dir))  # loading is not timed
    extra = {} if case == "before" else {"batch_size": int(batch) if batch.isdigit() else batch}
    options = BoxMaskOptions("photos", model_dir, name="masks", **extra)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    result = run_box_masks(None, catalog, options, lambda _: segmenter)
    seconds = time.perf_counter() - t0
    with catalog.cursor() as cur:
        stored = cur.execute(
            "SELECT segmentation FROM annotations WHERE source = 'masks' "
            "ORDER BY sample_id, source_ann_id::BIGINT"
        ).fetchall()
    Path(out).write_text(json.dumps([json.loads(s)["counts"] for (s,) in stored]))
    print(
        json.dumps(
            {"seconds": seconds, "batch_size": result.get("batch_size", 1), "images": len(boxes)}
        )
    )


def differing(a: list[str], b: list[str], size: tuple[int, int]) -> list[int]:
    """Pixels that differ between the masks ``a`` and ``b`` (RLE counts), box by box."""
    from pycocotools import mask as mask_utils

    def decode(counts: str) -> Any:
        return mask_utils.decode({"size": list(size), "counts": counts.encode()}).astype(bool)

    return [int((decode(x) != decode(y)).sum()) for x, y in zip(a, b, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=256, help="the model's input (1024: SAM's)")
    parser.add_argument("--batch-size", default="auto", help="the pipeline's (a number or auto)")
    parser.add_argument("--before", default="48a6f0e9", help="the commit to compare with")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import torch

    env, load_start = environment(), load_average()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model_dir = str(save_sam(tmp / "sam", args.size))
        photos = subset(tmp / "photos", args.images)
        before = extract(args.before, tmp)
        script = str(Path(__file__).resolve())

        def case(name: str, path: Path) -> Callable[[int], Run]:
            def run(r: int) -> Run:
                out = str(tmp / f"{name}-{r}.json")
                argv = [sys.executable, script, "--child", name, model_dir, str(photos), out,
                        args.batch_size]  # fmt: skip
                return run_process(argv, env=child_env(PYTHONPATH=f"{path}:{REPO / 'benchmarks'}"))

            return run

        cases = {"before": case("before", before), "pipeline": case("pipeline", REPO)}
        runs = interleave({**cases, "plain": case("plain", REPO)}, args.runs)
        for name, done in runs.items():
            for run in done:
                assert run.returncode == 0 and run.inner, (name, run.stderr[-3000:])
        size = (480, 640)  # the cartucho-map photos
        masks = {
            name: [json.loads((tmp / f"{name}-{r}.json").read_text()) for r in range(args.runs)]
            for name in runs
        }
        vs_before = [differing(masks["pipeline"][r], masks["before"][r], size) for r in range(args.runs)]  # fmt: skip
        vs_plain = [differing(masks["pipeline"][r], masks["plain"][r], size) for r in range(args.runs)]  # fmt: skip
    n = runs["plain"][0].inner["images"]
    seconds = {name: [run.inner["seconds"] for run in done] for name, done in runs.items()}
    rates = {name: [n / s for s in values] for name, values in seconds.items()}
    rows = [
        [
            name,
            ", ".join(str(run.inner.get("batch_size")) for run in runs[name]),
            summary(rates[name]).fmt(2),
            ratios(rates[name], rates["plain"]).fmt(2, "x"),
            ratios(rates[name], rates["before"]).fmt(2, "x"),
        ]
        for name in ("before", "pipeline", "plain")
    ]
    boxes = len(vs_before[0])

    def same(diffs: list[list[int]]) -> str:
        equal = [sum(d == 0 for d in r) for r in diffs]
        return f"{equal} of {boxes} per round (the others: at most {max(max(r) for r in diffs)} pixels)"

    text = (
        header(
            f"{TITLE} (SAM ViT-B at {args.size} px, {n} photos)", env, load_start, load_average()
        )
        + f"\nCommand: `python benchmarks/bench_segment_feed.py --images {args.images} --runs "
        f"{args.runs} --size {args.size} --batch-size {args.batch_size} --before {args.before}`; "
        f"{args.runs} rounds, order rotated, each case a fresh process; images/s of the job's "
        f"call (or the plain loop), median (min–max); torch {torch.__version__}, CPU, float32; "
        f"{boxes} boxes.\n\n"
        + table(["case", "batch size (per round)", "images/s", "vs plain loop", "vs before"], rows)
        + f"\n- pipeline masks equal to before's: {same(vs_before)}\n"
        f"- pipeline masks equal to the plain loop's: {same(vs_plain)}\n"
    )
    print(text)
    write_section(RESULTS, SECTION, text)


if __name__ == "__main__":
    run_locked(main)
