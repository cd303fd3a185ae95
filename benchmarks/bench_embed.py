"""Embedding throughput: ours against a plain open_clip loop, and the built-in embedder.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_embed.py [--images N] [--runs R]

Images: 640x480 JPEG mosaics of real photos (``media_support.make_images``), plus their
256 px thumbnails for the built-in embedder. Model: open_clip ``ViT-B-32`` with *random*
weights (no weights can be downloaded here; same FLOPs), saved once as a checkpoint file so
ours loads it through ``--checkpoint`` exactly as a user would.

* plain loop (the reference, same run): ``Image.open`` → open_clip's own ``preprocess`` →
  ``model.encode_image`` under ``torch.no_grad``, batches of the same size, fp32;
* ours in-process: ``embed_stream`` (reduced-size JPEG decode on a thread pool with
  prefetch, batched normalisation, channels-last, inference mode, bf16 autocast where the
  CPU supports it and the first batch's cosine to fp32 is ≥ 0.99);
* ours through the CLI: ``visionlens embed NAME --model ViT-B-32 --checkpoint F --json`` in
  a fresh data dir (process start, torch import and model load included).

Cosine similarity of ours (bf16) against fp32 — ours in fp32, and the plain loop — is
reported. Each figure is the median (and range) of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import timed
from media_support import ROOT, loadavg, machine, make_images
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.models import BUILTIN, parse_model
from visionlens_jlab.embed.stream import embed_stream
from visionlens_jlab.features import load as load_features

sys.path.insert(0, str(ROOT / "tests"))
from media_fixtures import add_dataset

BATCH = 32


def plain_loop(
    model: Any, preprocess: Any, files: list[Path], device: str, batch: int = BATCH
) -> np.ndarray:
    """The reference: Image.open → open_clip's preprocess → encode_image, fp32, normalised."""
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(files), batch):
            x = torch.stack([preprocess(Image.open(p)) for p in files[i : i + batch]])
            out.append(model.encode_image(x.to(device)).cpu().numpy())
    v = np.concatenate(out)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def ours(
    spec: dict[str, Any],
    files: list[Path],
    asked: str = "auto",
    embed_seconds: list[float] | None = None,
    device: str = "cpu",
) -> tuple[np.ndarray, str]:
    """Our embedding stream over ``files``; appends to ``embed_seconds`` the time from the
    model being loaded (the stream's ``meta`` message) to the last vector, the part the
    plain loop's figure covers (its model is built before its clock starts)."""
    items = [(i, str(p)) for i, p in enumerate(files)]
    vectors, dtype, loaded = [], "", 0.0
    for message in embed_stream(spec, items, device, BATCH, asked):
        if message[0] == "meta":
            loaded = time.perf_counter()
        elif message[0] == "vectors":
            vectors.append(message[2])
        elif message[0] == "done":
            dtype = message[1]["dtype"]
    if embed_seconds is not None:
        embed_seconds.append(time.perf_counter() - loaded)
    return np.concatenate(vectors), dtype


def via_cli(
    files: list[Path],
    model: str,
    checkpoint: str | None,
    tmp: Path,
    run: int,
    device: str,
    batch: int | str = BATCH,
) -> dict[str, Any]:
    """``visionlens embed --json`` in a fresh process over a fresh catalog of ``files``:
    its wall time and its JSON result."""
    data_dir = tmp / f"cli-{model}-{run}"
    load_features()  # the features' tables, before the catalog opens
    with Catalog(data_dir) as catalog:
        add_dataset(catalog, "bench", str(files[0].parent), [str(p) for p in files])
    cmd = [sys.executable, "-m", "visionlens_jlab.cli", "embed", "bench", "--model", model,
           "--batch-size", str(batch), "--device", device, "--data-dir", str(data_dir), "--json"]  # fmt: skip
    if checkpoint:
        cmd += ["--checkpoint", checkpoint]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("VISIONLENS_DATA_DIR", None)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - t0
    result = json.loads(proc.stdout)
    assert result["embedded"] == len(files), result
    return {"wall": wall, **result}


def gpu_name(device: str) -> str:
    """``, GPU NAME`` when the run is on CUDA."""
    if device != "cuda":
        return ""
    import torch

    return f", GPU {torch.cuda.get_device_name(0)}"


def rate(n: int, times: list[float]) -> str:
    rates = sorted(n / t for t in times)
    return f"{statistics.median(rates):.1f} ({rates[0]:.1f}-{rates[-1]:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, help="append the markdown table to this file")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    device = args.device
    import open_clip
    import torch

    lines = [
        f"## Embedding benchmark, {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"- machine: {machine()}{gpu_name(device)}; torch {torch.__version__} ({torch.get_num_threads()} threads), open_clip {open_clip.__version__}",
        f"- load average before: {loadavg()}",
        f"- {args.images} images 640x480 JPEG q90 (mosaics of real photos), batch {BATCH}, {args.runs} runs each: median (min-max) images/s",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_images(tmp / "img", args.images)["640x480 q90"]
        torch.manual_seed(0)
        model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
        model.eval().to(device)
        checkpoint = tmp / "vit-b-32-random.pt"
        torch.save(model.cpu().state_dict(), checkpoint)
        model.to(device)
        spec = parse_model("ViT-B-32", str(checkpoint)).to_json()

        plain_t, plain_v = timed(lambda: plain_loop(model, preprocess, files, device), args.runs)
        ours_e: list[float] = []
        fp32_e: list[float] = []
        ours_t, (ours_v, dtype) = timed(
            lambda: ours(spec, files, "auto", ours_e, device), args.runs
        )
        fp32_t, (fp32_v, _) = timed(lambda: ours(spec, files, "float32", fp32_e, device), args.runs)
        cli = [
            via_cli(files, "ViT-B-32", str(checkpoint), tmp, r, device) for r in range(args.runs)
        ]
        cos_fp32 = (ours_v * fp32_v).sum(axis=1)
        cos_plain = (ours_v * plain_v).sum(axis=1)
        cos_pipeline = (fp32_v * plain_v).sum(axis=1)
        n = len(files)
        plain_med = statistics.median(plain_t)
        speedup = plain_med / statistics.median(ours_e)
        lines += [
            f"| ViT-B-32 (random weights), {device.upper()} | images/s | vs plain loop |",
            "|---|---|---|",
            f"| plain open_clip loop (PIL open → preprocess → encode_image, fp32; model built before the clock starts) | {rate(n, plain_t)} | 1.00x |",
            f"| ours in-process, {dtype} (from the model loaded: decode, preprocess, precision check, forward) | {rate(n, ours_e)} | **{speedup:.2f}x** |",
            f"| ours in-process, {dtype}, model load from the checkpoint included | {rate(n, ours_t)} | {plain_med / statistics.median(ours_t):.2f}x |",
            f"| ours in-process, fp32 (from the model loaded) | {rate(n, fp32_e)} | {plain_med / statistics.median(fp32_e):.2f}x |",
            f"| ours via CLI (embedding part) | {rate(n, [n / c['images_per_second'] for c in cli])} | |",
            f"| ours via CLI, end to end (process start, torch import, model load) | {rate(n, [c['wall'] for c in cli])} | {plain_med / statistics.median(c['wall'] for c in cli):.2f}x |",
            "",
            f"- cosine, ours {dtype} vs ours fp32: min {cos_fp32.min():.4f}, median {np.median(cos_fp32):.4f}",
            f"- cosine, ours {dtype} vs plain loop fp32: min {cos_plain.min():.4f}, median {np.median(cos_plain):.4f}",
            f"- cosine, ours fp32 vs plain loop fp32 (reduced-size decode only): min {cos_pipeline.min():.4f}, median {np.median(cos_pipeline):.4f}",
            f"- runtime check on the first batch (reduced_cosine): dtype chosen {dtype}",
            "",
        ]

        # The built-in embedder, from full JPEGs and from 256 px thumbnails.
        thumbs = []
        for p in files:
            im = Image.open(p)
            im.thumbnail((256, 256))
            thumbs.append(tmp / "img" / f"thumb-{p.name}")
            im.save(thumbs[-1], "JPEG", quality=80)
        builtin = BUILTIN.to_json()  # numpy: it runs on the CPU whatever --device says
        many_full, many_thumbs = files * 10, thumbs * 10
        full_t, _ = timed(lambda: ours(builtin, many_full), args.runs)
        thumb_t, _ = timed(lambda: ours(builtin, many_thumbs), args.runs)
        cli_b = [via_cli(many_thumbs, BUILTIN.name, None, tmp, r, "cpu") for r in range(args.runs)]
        lines += [
            f"| builtin-color-gradient ({len(many_full)} images) | images/s |",
            "|---|---|",
            f"| in-process, from 640x480 JPEGs | {rate(len(many_full), full_t)} |",
            f"| in-process, from 256 px thumbnails | {rate(len(many_thumbs), thumb_t)} |",
            f"| via CLI, thumbnails (embedding part) | {rate(len(many_thumbs), [len(many_thumbs) / c['images_per_second'] for c in cli_b])} |",
            f"| via CLI, thumbnails, end to end | {rate(len(many_thumbs), [c['wall'] for c in cli_b])} |",
            "",
            f"- load average after: {loadavg()}",
            "",
        ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
