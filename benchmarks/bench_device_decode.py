"""nvJPEG decoding alone, and its pixels against the CPU stand-in and Pillow (issue #50).

    python benchmarks/bench_device_decode.py            # on a machine with a CUDA GPU

The photos of ``media_support.PHOTOS`` (and one unreadable item) are decoded and fitted to
224 px by :class:`~visionlens_jlab.embed.device_decode.DeviceDecoder` on CUDA and on the CPU
(torchvision's libjpeg: the tests' stand-in), and by Pillow at full size as the host path's
``fit`` does; it prints the mean and largest pixel differences per fit (centre crop,
squash), and the images/s of decoding and fitting alone, 100-image batches on one thread,
each batch queued on the side stream without waiting, compared with the CPU stand-in.
"""

from __future__ import annotations

import io
import time

import numpy as np
import torch
from harness import run_locked
from media_support import PHOTOS
from PIL import Image

from visionlens_jlab.embed.decode import InputSpec, fit
from visionlens_jlab.embed.device_decode import DeviceDecoder


def main() -> None:
    files = sorted(PHOTOS.glob("*.jpg"))[:60]
    items = [(i, p.read_bytes()) for i, p in enumerate(files)] + [(99, b"junk")]
    for mode in ("center_crop", "square"):
        spec = InputSpec(224, mode)
        gpu = DeviceDecoder(spec, "cuda").decode(items, [])
        g = gpu.array().cpu().numpy().astype(int)
        cpu = DeviceDecoder(spec, "cpu").decode(items, []).array().numpy().astype(int)
        pil = np.stack([fit(Image.open(io.BytesIO(d)), spec) for _, d in items[:-1]]).astype(int)
        print(
            f"{mode}: ids in order {gpu.ids == list(range(len(files)))}, failed "
            f"{[i for i, _ in gpu.failed]}; against the CPU stand-in: mean "
            f"{np.abs(g - cpu).mean():.3f}, max {np.abs(g - cpu).max()}, images over 2 "
            f"{int((np.abs(g - cpu).mean(axis=(1, 2, 3)) > 2).sum())}; against Pillow: "
            f"mean {np.abs(g - pil).mean():.3f}"
        )
    decoder = DeviceDecoder(InputSpec(224), "cuda")
    many = items[:-1] * 5
    reference = DeviceDecoder(InputSpec(224), "cpu").decode(many[:100], []).array().numpy()
    for _ in range(2):  # the first round loads nvJPEG and the kernels
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        queued = [decoder.decode(many[k : k + 100], []) for k in range(0, len(many), 100)]
        pixels = [batch.array() for batch in queued]
        torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
    worst = max(
        np.abs(p.cpu().numpy().astype(int) - reference[: len(p)]).mean(axis=(1, 2, 3)).max()
        for p in pixels
    )
    print(f"decode and fit alone, one thread: {len(many) / seconds:.0f} images/s; "
          f"queued batches against the CPU stand-in, worst image's mean: {worst:.3f}")  # fmt: skip


if __name__ == "__main__":
    run_locked(main)
