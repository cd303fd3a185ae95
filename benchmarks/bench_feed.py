"""The embedding job on the model jobs' pipeline (``jobs/feed.py``, ``jobs/read_ahead.py``)
against the same job before it, and a plain open_clip loop, on the same files.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_feed.py [--images N] [--runs R] [--before COMMIT]

* **before**: ``embed_stream`` of the code at ``--before`` (its ``visionlens_jlab`` folder
  extracted with ``git archive``): images decoded on a thread pool in a sliding window of
  images, its own prefetch;
* **pipeline**: ``embed_stream`` of this checkout: batches decoded on the read-ahead, as
  many ahead as the measured decode and forward times ask, within a memory budget;
* **plain loop** (the reference, same run): ``Image.open`` → open_clip's ``preprocess`` →
  ``encode_image`` under ``torch.no_grad``, batches of the same size, fp32.

Each case is a fresh process (rounds rotate the order); the figure is images per second
from the model loaded (the stream's ``meta`` message, or the plain loop's model built) to
the last vector. Model: open_clip ViT-B-32 with random weights (no download here; same
FLOPs) saved as a checkpoint, ``dtype auto`` (bf16 kept where its first batch's cosine to
fp32 is ≥ 0.99). The vectors of before and pipeline are compared (they must be equal).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
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
TITLE = "Embedding job on the pipeline"
SECTION = f"## {TITLE}"
BATCH = 32


def child(case: str, spec_json: str, files_json: str, out: str) -> None:
    """One measured case in this process: prints ``{"seconds", "dtype", "bound_by"}``."""
    files = json.loads(Path(files_json).read_text())
    if case == "plain":
        import open_clip
        import torch
        from PIL import Image

        spec = json.loads(spec_json)
        model, _, preprocess = open_clip.create_model_and_transforms(
            "ViT-B-32", pretrained=spec["checkpoint"]
        )
        model.eval()
        t0 = time.perf_counter()
        vectors = []
        with torch.no_grad():
            for i in range(0, len(files), BATCH):
                x = torch.stack([preprocess(Image.open(p)) for p in files[i : i + BATCH]])
                vectors.append(model.encode_image(x).numpy())
        print(json.dumps({"seconds": time.perf_counter() - t0, "dtype": "float32"}))
        return
    from visionlens_jlab.embed.stream import embed_stream

    items = [(i, p) for i, p in enumerate(files)]
    chunks, loaded, dtype, bound = [], 0.0, "", None
    for message in embed_stream(json.loads(spec_json), items, "cpu", BATCH, "auto"):
        if message[0] == "meta":
            loaded = time.perf_counter()
        elif message[0] == "vectors":
            chunks.append(message[2])
        elif message[0] == "stages":
            bound = message[1]["bound_by"]
        elif message[0] == "done":
            dtype = message[1]["dtype"]
    seconds = time.perf_counter() - loaded
    np.save(out, np.concatenate(chunks))
    print(json.dumps({"seconds": seconds, "dtype": dtype, "bound_by": bound}))


def extract(commit: str, into: Path) -> Path:
    """The ``visionlens_jlab`` folder of ``commit``, extracted under ``into``."""
    archive = into / "before.tar"
    with archive.open("wb") as fh:
        subprocess.run(
            ["git", "archive", commit, "visionlens_jlab"], cwd=REPO, stdout=fh, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "before", filter="data")
    return into / "before"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", default="95a277fb", help="the commit to compare with")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import open_clip
    import torch
    from media_support import make_images

    from visionlens_jlab.embed.models import parse_model

    env, load_start = environment(), load_average()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_images(tmp / "img", args.images)["640x480 q90"]
        (tmp / "files.json").write_text(json.dumps([str(p) for p in files]))
        torch.manual_seed(0)
        model = open_clip.create_model("ViT-B-32", pretrained=None)
        checkpoint = tmp / "vit-b-32-random.pt"
        torch.save(model.state_dict(), checkpoint)
        spec = json.dumps(parse_model("ViT-B-32", str(checkpoint)).to_json())
        before = extract(args.before, tmp)
        script = str(Path(__file__).resolve())

        def case(name: str, path: Path) -> Callable[[int], Run]:
            def run(r: int) -> Run:
                out = str(tmp / f"{name}-{r}.npy")
                argv = [sys.executable, script, "--child", name, spec, str(tmp / "files.json"), out]
                return run_process(argv, env=child_env(PYTHONPATH=f"{path}:{REPO / 'benchmarks'}"))

            return run

        runs = interleave(
            {
                "before": case("before", before),
                "pipeline": case("pipeline", REPO),
                "plain": case("plain", REPO),
            },
            args.runs,
        )
        for name, done in runs.items():
            for run in done:
                assert run.returncode == 0 and run.inner, (name, run.stderr[-2000:])
        equal = all(
            np.array_equal(np.load(tmp / f"before-{r}.npy"), np.load(tmp / f"pipeline-{r}.npy"))
            for r in range(args.runs)
        )
    n = len(files)
    seconds = {name: [run.inner["seconds"] for run in done] for name, done in runs.items()}
    rates = {name: [n / s for s in values] for name, values in seconds.items()}
    rows = [
        [
            name,
            runs[name][0].inner.get("dtype", ""),
            summary(rates[name]).fmt(1),
            ratios(rates[name], rates["plain"]).fmt(2, "x"),
            ", ".join(str(run.inner.get("bound_by") or "") for run in runs[name]),
        ]
        for name in ("before", "pipeline", "plain")
    ]
    text = (
        header(f"{SECTION} (ViT-B-32, {n} images, batch {BATCH})", env, load_start, load_average())
        + f"\nCommand: `python benchmarks/bench_feed.py --images {n} --runs {args.runs} "
        f"--before {args.before}`; {args.runs} rounds, order rotated; images/s from the model "
        f"loaded to the last vector, median (min–max); torch {torch.__version__}, open_clip "
        f"{open_clip.__version__}.\n\n"
        + table(["case", "dtype", "images/s", "vs plain loop (per round)", "bound by"], rows)
        + f"\n- vectors of before and pipeline equal in every round: **{equal}**\n"
    )
    print(text)
    write_section(RESULTS, SECTION, text)


if __name__ == "__main__":
    run_locked(main)
