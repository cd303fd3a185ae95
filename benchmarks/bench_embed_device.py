"""The embedding job on a GPU against the model alone: where JPEGs are decoded (issue #50).

    flock /tmp/vl-bench.lock python benchmarks/bench_embed_device.py --device cuda \
        [--images 6000] [--runs 3] [--out benchmarks/results/embed.md]

Model: open_clip ``ViT-B-32`` with random weights (the FLOPs of the real one), saved as a
checkpoint that the job loads as a user's. Images: ``--unique`` 640x480 JPEG mosaics of
real photos (``media_support.make_images``), linked under ``--images`` names. Per round, in
rotating order:

* **model only**: the job's own model (its dtype, channels-last) on batches already on the
  device, at the batch size the job settled on: the physical limit of that model there;
* **job, decode on the device**: ``embed_stream(decode="device")``: the host reads the
  files, nvJPEG decodes each batch, resizing and cropping on the GPU (``embed/device_decode``);
* **job, decode on the host**: ``embed_stream(decode="host")``: DCT-scaled decoding on the
  host's threads (``embed/decode``), pixels copied up;
* **plain open_clip loop** (the reference): ``PIL.Image.open`` → open_clip's ``preprocess`` →
  ``encode_image`` in float32, batches of 256, on ``--plain-images`` of the images.

The jobs' images/s count from the model loaded (the stream's ``meta``) to the last vector;
then the CLI (``visionlens embed --json``, process start and model load included) end to
end. Vectors are compared: device decode against host decode, and each against the plain
loop (cosine). ``--device cpu`` runs the same cases on a CPU (small ``--images``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_embed import plain_loop, via_cli
from harness import environment, header, load_average, run_locked, table, write_section
from media_support import make_images

from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.registry import load_embedder
from visionlens_jlab.embed.stream import embed_stream

RESULTS = Path(__file__).resolve().parent / "results" / "embed.md"
SECTION = "## Embedding job on a GPU against the model alone"


def linked(files: list[Path], folder: Path, n: int) -> list[Path]:
    """``n`` names for the ``files`` (hard links, round robin): each is a file on disk."""
    folder.mkdir()
    out = []
    for i in range(n):
        path = folder / f"{i:06d}.jpg"
        os.link(files[i % len(files)], path)
        out.append(path)
    return out


def job(spec: dict[str, Any], files: list[Path], device: str, decode: str) -> dict[str, Any]:
    """One embedding job over ``files``: seconds from the model loaded to the last vector,
    its vectors, batch size and dtype."""
    items = [(i, str(p)) for i, p in enumerate(files)]
    vectors, done, stages, loaded = [], {}, {}, 0.0
    for message in embed_stream(spec, items, device, "auto", "auto", decode=decode):
        if message[0] == "meta":
            loaded = time.perf_counter()
        elif message[0] == "vectors":
            vectors.append(message[2])
        elif message[0] == "stages":
            stages = message[1]
        elif message[0] == "done":
            done = message[1]
    seconds = time.perf_counter() - loaded
    return {"seconds": seconds, "vectors": np.concatenate(vectors), "stages": stages, **done}


def model_only(embedder: Any, files: list[Path], n: int, batch: int) -> float:
    """Seconds for the job's model to embed ``n`` images in batches of ``batch`` already
    on its device (normalised pixels of the first photos, repeated)."""
    import torch

    from visionlens_jlab.embed.decode import decode

    pixels = np.stack([decode(p.read_bytes(), embedder.input_spec) for p in files[:batch]])
    x = torch.from_numpy(np.resize(pixels, (batch, *pixels.shape[1:]))).to(embedder.device)
    x = x.permute(0, 3, 1, 2).float().div(255.0)
    mean = embedder.mean.to(x.device).view(1, 3, 1, 1)  # the model's own normalisation
    std = embedder.std.to(x.device).view(1, 3, 1, 1)
    x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
    model = embedder.model
    dtype = next(model.parameters()).dtype
    x = x.to(dtype)
    sync = torch.cuda.synchronize if embedder.device == "cuda" else (lambda: None)
    with torch.inference_mode():
        model.encode_image(x)  # warm-up: kernels chosen, memory taken
        sync()
        t0 = time.perf_counter()
        for _ in range(max(1, n // batch)):
            model.encode_image(x)
        sync()
    return (time.perf_counter() - t0) * n / (max(1, n // batch) * batch)


def rates(n: int, seconds: list[float]) -> str:
    """Median (min–max) images/s."""
    r = sorted(n / s for s in seconds)
    return f"{statistics.median(r):,.0f} ({r[0]:,.0f}–{r[-1]:,.0f})"


def cosine(a: np.ndarray, b: np.ndarray) -> str:
    c = (a * b).sum(axis=1)
    return f"min {c.min():.4f}, median {np.median(c):.4f}, below 0.99: {int((c < 0.99).sum())}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    parser.add_argument("--images", type=int, default=6000)
    parser.add_argument("--unique", type=int, default=200)
    parser.add_argument("--plain-images", type=int, default=1024)
    parser.add_argument("--host-images", type=int, default=None, help="the host-decode job's")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    import open_clip
    import torch

    env, load_start = environment(), load_average()
    device, n = args.device, args.images
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        unique = make_images(tmp / "unique", args.unique)["640x480 q90"]
        files = linked(unique, tmp / "img", n)
        torch.manual_seed(0)
        model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
        checkpoint = tmp / "vit-b-32-random.pt"
        torch.save(model.state_dict(), checkpoint)
        plain_model = model.eval().to(device)
        spec = parse_model("ViT-B-32", str(checkpoint)).to_json()
        embedder = load_embedder(parse_model("ViT-B-32", str(checkpoint)), device, "auto")
        embedder.embed_images(np.zeros((2, 224, 224, 3), np.uint8))  # settles its dtype
        plain_files = files[: args.plain_images]
        host_files = files[: args.host_images or n]
        times: dict[str, list[float]] = {k: [] for k in ("model", "device", "host", "plain")}
        kept: dict[str, Any] = {}
        for r in range(args.runs):
            order = ["device", "host", "plain"]
            for case in order[r % 3 :] + order[: r % 3]:
                if case == "plain":
                    t0 = time.perf_counter()
                    kept["plain"] = plain_loop(plain_model, preprocess, plain_files, device, 256)
                    times["plain"].append(time.perf_counter() - t0)
                else:
                    kept[case] = job(spec, host_files if case == "host" else files, device, case)
                    times[case].append(kept[case]["seconds"])
            batch = int(kept["device"]["batch_size"])
            times["model"].append(model_only(embedder, unique, n, batch))
        cli = [via_cli(files, "ViT-B-32", str(checkpoint), tmp, r, device, batch="auto")
               for r in range(args.cli_runs)]  # fmt: skip
    m = len(plain_files)
    model_med = statistics.median(times["model"])
    rows = [
        ["model only (batches on the device)", rates(n, times["model"]), "1.00x", ""],
        *(
            [
                f"job, decode on the {case}",
                rates(n, times[case]),
                f"{model_med / statistics.median(times[case]):.2f}x",
                f"{kept[case]['dtype']}, batch {kept[case]['batch_size']}",
            ]
            for case in ("device",)
        ),
        [
            "job, decode on the host",
            rates(len(host_files), times["host"]),
            f"{model_med * len(host_files) / n / statistics.median(times['host']):.2f}x",
            f"{kept['host']['dtype']}, batch {kept['host']['batch_size']}, {len(host_files)} images",
        ],
        ["plain open_clip loop (fp32, batch 256)", rates(m, times["plain"]),
         f"{model_med * m / n / statistics.median(times['plain']):.2f}x", f"{m} images"],
        ["`visionlens embed --json`, end to end", rates(n, [c["wall"] for c in cli]),
         f"{model_med / statistics.median(c['wall'] for c in cli):.2f}x", "process start, model load"],
        ["`visionlens embed`, its embedding part", rates(n, [n / c["images_per_second"] for c in cli]),
         f"{model_med / statistics.median(n / c['images_per_second'] for c in cli):.2f}x", ""],
    ]  # fmt: skip
    device_v, host_v, plain_v = kept["device"]["vectors"], kept["host"]["vectors"], kept["plain"]
    text = "\n".join(
        [
            header(SECTION.removeprefix("## ") + f" ({device})", env, load_start, load_average()),
            f"`{' '.join(['python', *sys.argv])}`; ViT-B-32 with random weights, {n} 640x480 "
            f"JPEGs ({args.unique} distinct photos' mosaics), {args.runs} rounds in rotating "
            "order, images/s median (min–max); share = model only's time / the case's.",
            "",
            table(["case", "images/s", "share of model only", "settings"], rows),
            "",
            f"- cosine, decode on the device vs on the host: {cosine(device_v[: len(host_v)], host_v)}",
            f"- cosine, decode on the device vs the plain loop (fp32): {cosine(device_v[:m], plain_v)}",
            f"- cosine, decode on the host vs the plain loop (fp32): {cosine(host_v[:m], plain_v)}",
            *(
                f"- the last {case}-decode job: bound by {kept[case]['stages'].get('bound_by')}, "
                f"GPU busy {kept[case]['stages'].get('gpu_busy')}, stage seconds "
                f"{ {k: round(v, 2) for k, v in kept[case]['stages'].get('seconds', {}).items()} }, "
                f"warm-up {kept[case].get('warm_up')}"
                for case in ("device", "host")
            ),
        ]
    )
    print(text)
    if args.out:
        write_section(args.out, SECTION, text, top=True)


if __name__ == "__main__":
    run_locked(main)
