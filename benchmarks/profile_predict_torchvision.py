"""Where the torchvision detector job's speed-up over the plain loop comes from.

One process, one random detector (as ``bench_predict_torchvision.py`` builds it), the same
photos and batches; per round, in rotating order, the wall time of:

* ``plain``: the benchmark's plain loop (PIL open + ``to_tensor`` + ``model(...)`` under
  ``torch.no_grad`` + the threshold);
* ``plain-inference-mode``: the same under ``torch.inference_mode`` (what the job uses);
* ``forward-no-grad`` / ``forward-inference-mode``: ``model(...)`` alone on tensors decoded
  before the clock starts (what overlapping the reading with the model could at best hide);
* ``forward-channels-last``: the same with the weights in channels-last layout (what the
  job does for transformers detectors, not for torchvision ones);
* ``first-batch``: the first forward pass of a freshly built model (one-time set-up costs
  that a loop pays once).

Prints a table (median and range over the rounds); nothing is written.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_predict import photos_root
from bench_predict_torchvision import save_detector
from harness import load_average, run_locked, summary, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builder", default="fasterrcnn_mobilenet_v3_large_320_fpn")
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import torch
    from PIL import Image
    from torchvision.models import get_model
    from torchvision.transforms.functional import to_tensor

    load_start = load_average()
    files = sorted((photos_root() / "images").glob("*.jpg"))[: args.images]
    weights = Path(tempfile.mkdtemp(prefix="vl-profile-tv-")) / "w.pth"
    save_detector(weights, args.builder)
    state = torch.load(weights, map_location="cpu", weights_only=True)

    def build() -> torch.nn.Module:
        net = get_model(args.builder, weights=None, weights_backbone=None, num_classes=91)
        net.load_state_dict(state)
        return net.eval()

    model = build()
    batches = [files[i : i + args.batch_size] for i in range(0, len(files), args.batch_size)]
    decoded = [[to_tensor(Image.open(f).convert("RGB")) for f in b] for b in batches]

    def loop(mode: Callable[[], Any]) -> float:
        t0 = time.perf_counter()
        for chunk in batches:
            tensors = [to_tensor(Image.open(f).convert("RGB")) for f in chunk]
            with mode():
                out = model(tensors)
            for r in out:
                [float(s) for s in r["scores"] if float(s) >= 0.3]
        return time.perf_counter() - t0

    channels_last = build().to(memory_format=torch.channels_last)

    def forward(mode: Callable[[], Any], net: torch.nn.Module = model) -> float:
        t0 = time.perf_counter()
        for tensors in decoded:
            with mode():
                net(tensors)
        return time.perf_counter() - t0

    def first_batch() -> float:
        fresh = build()
        t0 = time.perf_counter()
        with torch.inference_mode():
            fresh(decoded[0])
        return time.perf_counter() - t0

    cases: dict[str, Callable[[], float]] = {
        "plain": lambda: loop(torch.no_grad),
        "plain-inference-mode": lambda: loop(torch.inference_mode),
        "forward-no-grad": lambda: forward(torch.no_grad),
        "forward-inference-mode": lambda: forward(torch.inference_mode),
        "forward-channels-last": lambda: forward(torch.inference_mode, channels_last),
        "first-batch": first_batch,
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    names = list(cases)
    for run in range(args.runs):
        for name in names[run % len(names) :] + names[: run % len(names)]:
            times[name].append(cases[name]())
    rows = []
    for name, values in times.items():
        s = summary(values)
        rows.append([name, f"{s.median:.2f} s ({s.low:.2f}–{s.high:.2f})"])
    print(f"load average at the start {load_start}, at the end {load_average()}")
    print(f"torch threads {torch.get_num_threads()}, {len(files)} images, batch {args.batch_size}")
    print(table(["case", "wall (median, range)"], rows))


if __name__ == "__main__":
    run_locked(main)
