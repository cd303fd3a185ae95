"""Caption job throughput: ``run_prediction`` with ``--task caption`` against plain
``generate``.

The model is a randomly initialised BLIP captioner (no weights can be downloaded here; the
time a pass takes depends on the shape, not on the weights) with BERT's vocabulary size
(30,522 words: the LM head's cost is a real one) and, by default, a reduced shape (ViT
384 wide, 6 layers, 224 px; text decoder 384 wide, 4 layers) that two shared cores can run
in minutes; ``--base`` gives BLIP-base's (ViT-B/16 at 384 px, a 12-layer BERT-base
decoder). Random weights rarely emit the end token, so every caption runs to the 40 new
tokens the job allows: the worst case, the same for both paths. The images are real photos
(the shared cartucho-map VOC images, 640x480 JPEGs).

Per round, in rotating order:

Both run in one process, after an untimed warm-up batch of plain generate.

* **plain generate** (the reference): ``PIL.Image.open``, the model's processor,
  ``model.generate(**inputs, max_new_tokens=40, do_sample=False, num_beams=1)`` under
  ``torch.no_grad``, ``batch_decode``, batch by batch, in this process (loading not timed);
* **job in-process**: :func:`run_prediction` with the CLI's source (what the CLI runs
  without a server: the images over single-threaded worker processes,
  ``visionlens_jlab/predict/workers.py``, one per compute thread) on a fresh catalog, images per second from the model's first batch
  (loading not timed; decoding, batching and the catalog writes are).

Outputs are compared: every image's caption, job against plain, must be identical.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO, environment, header, load_average, run_locked, summary, table

RESULTS = REPO / "benchmarks" / "results" / "caption.md"
MAX_NEW_TOKENS = 40  # the job's (predict/stream.py)
VOCAB = 30522  # BERT's, as BLIP's tokenizer


def photos_root() -> Path:
    import os

    shared = Path(os.environ.get("VISIONLENS_SHARED", "/work/shared"))
    return shared / "datasets" / "cartucho-map"


def save_blip(folder: Path, base: bool) -> Path:
    """A random BLIP captioner of the reduced shape (or BLIP-base's) and its processor."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
        BlipTextConfig,
        BlipVisionConfig,
    )

    width, vision_layers, text_layers, size = (768, 12, 12, 384) if base else (384, 6, 4, 224)
    folder.mkdir(parents=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"]
    words = specials + [f"w{i}" for i in range(VOCAB - len(specials))]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    text = BlipTextConfig(
        vocab_size=VOCAB,
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=text_layers,
        num_attention_heads=width // 64,
        encoder_hidden_size=width,
        bos_token_id=5,
        sep_token_id=3,
        pad_token_id=0,
        eos_token_id=3,
    )
    vision = BlipVisionConfig(
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=vision_layers,
        num_attention_heads=width // 64,
        image_size=size,
        patch_size=16,
    )
    config = BlipConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=256
    )
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).eval().save_pretrained(folder)
    BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": size, "width": size}),
        tokenizer=BertTokenizer(str(folder / "vocab.txt"), bos_token="[DEC]"),
    ).save_pretrained(folder)
    return folder


def plain_generate(
    model_dir: Path, files: list[Path], batch: int, device: str = "cpu"
) -> tuple[float, dict]:
    """The reference: processor + ``generate`` + ``batch_decode``, batch by batch, on
    ``device`` in float32."""
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model: Any = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True)
    model = model.to(device).eval()
    processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
    captions: dict[str, str] = {}
    t0 = time.perf_counter()
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        with torch.no_grad():
            out = model.generate(
                **processor(images=images, return_tensors="pt").to(device),
                max_new_tokens=MAX_NEW_TOKENS,
                do_sample=False,
                num_beams=1,
            )
        texts = processor.batch_decode(out, skip_special_tokens=True)
        captions.update({f.name: t.strip() for f, t in zip(chunk, texts, strict=True)})
    return time.perf_counter() - t0, captions


def job_captions(catalog: Any) -> dict[str, str]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT regexp_replace(s.file_name, '^.*/', ''), v.text FROM computed_values v "
            "JOIN samples s USING (sample_id) WHERE v.field = 'caption'"
        ).fetchall()
    return {name: text for name, text in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--base", action="store_true", help="BLIP-base's shape")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--dtype", default="auto", help="the job's dtype (plain: float32)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    from visionlens_jlab import features
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset
    from visionlens_jlab.predict.base import PredictOptions
    from visionlens_jlab.predict.job import run_prediction
    from visionlens_jlab.predict.workers import sharded_source

    env, load_start = environment(), load_average()
    work = Path(tempfile.mkdtemp(prefix="vl-bench-caption-"))
    try:
        root = photos_root()
        images, truth = work / "images", work / "truth"
        images.mkdir()
        truth.mkdir()
        files = []
        for photo in sorted((root / "images").glob("*.jpg"))[: args.images]:
            files.append(Path(shutil.copy(photo, images / photo.name)))
            shutil.copy(root / "ground-truth" / f"{photo.stem}.txt", truth / f"{photo.stem}.txt")
        model_dir = save_blip(work / "blip", args.base)
        features.load()

        # untimed: the process's first generate pays torch's one-off set-up (~5 s here),
        # which would otherwise land on whichever path ran first
        plain_generate(model_dir, files[: args.batch_size], args.batch_size, args.device)
        plain_s, job_s, job_ips, mismatches = [], [], [], []
        ran_in: set[str] = set()
        for run in range(args.runs):
            for what in ["plain", "job"] if run % 2 == 0 else ["job", "plain"]:
                if what == "plain":
                    seconds, plain = plain_generate(model_dir, files, args.batch_size, args.device)
                    plain_s.append(seconds)
                    continue
                catalog = Catalog(work / f"data{run}")  # fresh: a rerun would skip them all
                try:
                    write_dataset(
                        catalog, "photos", open_dataset(str(truth), "txt", images=str(images))
                    )
                    options = PredictOptions(
                        "photos",
                        str(model_dir),
                        task="caption",
                        device=args.device,
                        dtype=args.dtype,
                        batch_size=args.batch_size,
                    )
                    result = run_prediction(None, catalog, options, sharded_source(None))
                    ours = job_captions(catalog)
                finally:
                    catalog.close()
                job_ips.append(result["images_per_second"])
                job_s.append(len(files) / result["images_per_second"])
                ran_in.add(
                    f"{result['device']} {result['dtype']}, {result.get('workers', 1)} worker(s)"
                )
            mismatches.append(
                sum(plain[f.name] != ours.get(f.name) for f in files) + abs(len(ours) - len(files))
            )
        load_end = load_average()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def fmt(values: list[float], unit: str = "s") -> str:
        s = summary(values)
        return f"{s.median:.2f} {unit} ({s.low:.2f}–{s.high:.2f})"

    n = len(files)
    ratio = summary([p / j for p, j in zip(plain_s, job_s, strict=True)]).median
    rows = [
        [
            "plain generate (reference)",
            fmt(plain_s),
            fmt([n / s for s in plain_s], "img/s"),
            "1.00",
        ],
        ["caption job in-process", fmt(job_s), fmt(job_ips, "img/s"), f"{ratio:.2f}"],
    ]
    shape = "BLIP-base's shape" if args.base else "reduced shape (ViT 384x6 at 224 px, text 384x4)"
    text = header(f"Caption job: random BLIP, {shape}", env, load_start, load_end)
    text += (
        f"\n{n} photos (640x480 JPEG), batch {args.batch_size}, greedy, {MAX_NEW_TOKENS} new "
        f"tokens at most, {args.runs} rounds in alternating order; the job ran on "
        f"{', '.join(sorted(ran_in))} (`--dtype {args.dtype}`), plain generate in float32. "
        "Speed-up = plain wall / the job's (its images/s from the first batch).\n\n"
    )
    text += table(["path", "wall (median, range)", "images/s", "speed-up vs plain"], rows)
    text += f"\nCaptions differing from plain generate's, per round: {mismatches} (of {n} each).\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = (
        out.read_text()
        if out.exists()
        else "# Caption jobs (`visionlens predict --task caption`)\n\n"
    )
    out.write_text(previous.rstrip() + "\n\n" + text)
    print(json.dumps({"mismatches": mismatches}))


if __name__ == "__main__":
    run_locked(main)
