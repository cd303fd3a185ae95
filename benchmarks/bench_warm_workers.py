"""A model job's start: cold worker processes against workers kept warm from the job before.

The server's process runner keeps its model workers between jobs of the same model and
settings (``visionlens_jlab/jobs/warm_workers.py``, ``c.VisionLensApp.model_worker_idle_s``).
This measures what that saves on a short job, the case where start-up dominates (a user
re-running a detector on a new view, a few dozen images):

* **cold job**: :func:`run_prediction` with the process runner's source and no warm
  workers (what every job paid before, and still pays in the CLI): spawned workers, torch's
  import, the model's load, then the images; wall time from the call to its result;
* **warm job**: the same job on :class:`WarmWorkers` after one job of that model ran on them
  (not timed): the workers and their model are already there;
* **plain loop** (the reference, in this process): load the model with transformers and
  run the processor, the model and the post-processing over the same images, load included.

The model is the random DETR of DETR-ResNet-50's shape of ``bench_predict.py`` with a
480-pixel shortest edge, on the shared cartucho photos. Rounds rotate the order.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench_predict import photos_dataset, plain_loop, save_detr_r50
from harness import REPO, environment, header, load_average, run_locked, summary, table

RESULTS = REPO / "benchmarks" / "results" / "warm_workers.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--shortest", type=int, default=480)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.jobs.warm_workers import WarmWorkers
    from visionlens_jlab.predict.base import PredictOptions
    from visionlens_jlab.predict.job import run_prediction
    from visionlens_jlab.predict.workers import sharded_source

    env, load_start = environment(), load_average()
    work = Path(tempfile.mkdtemp(prefix="vl-bench-warm-"))
    warm = WarmWorkers(3600)
    try:
        files, _, data_dir = photos_dataset(work, args.images)
        model_dir = save_detr_r50(work / "detr-r50", args.shortest, args.shortest * 1333 // 800)
        catalog = Catalog(data_dir)

        def job(name: str, workers: WarmWorkers | None) -> tuple[float, dict]:
            options = PredictOptions(
                "photos", str(model_dir), name=name, batch_size=args.batch_size, min_score=0.02
            )
            t0 = time.perf_counter()
            result = run_prediction(None, catalog, options, sharded_source(None, None, workers))
            return time.perf_counter() - t0, result

        job("warm-up", warm)  # the workers the warm rounds find
        cold_s: list[float] = []
        warm_s: list[float] = []
        plain_s: list[float] = []
        counts: set[tuple[str, int, int | None]] = set()
        for run in range(args.runs):
            order = ["cold", "warm", "plain"]
            for what in order[run % 3 :] + order[: run % 3]:
                if what == "plain":
                    t0 = time.perf_counter()
                    plain_loop(model_dir, files, args.batch_size, 0.02)
                    plain_s.append(time.perf_counter() - t0)
                    continue
                seconds, result = job(f"{what}{run}", warm if what == "warm" else None)
                (cold_s if what == "cold" else warm_s).append(seconds)
                counts.add((what, result["predictions"], result.get("warm_workers")))
        catalog.close()
        load_end = load_average()
    finally:
        warm.close()
        shutil.rmtree(work, ignore_errors=True)

    cold, warmed, plain = summary(cold_s), summary(warm_s), summary(plain_s)
    rows = [
        ["cold job (spawn, import, load, run)", cold.fmt(2, "s"), "1.00x"],
        ["warm job (workers kept from a job before)", warmed.fmt(2, "s"),
         f"{cold.median / warmed.median:.2f}x"],
        ["plain transformers loop, load included", plain.fmt(2, "s"),
         f"{cold.median / plain.median:.2f}x"],
    ]  # fmt: skip
    report = "\n".join(
        [
            header("Model job start: cold against warm workers", env, load_start, load_end),
            f"{args.images} photos (640x480), batch {args.batch_size}, random DETR-R50 shape at "
            f"{args.shortest} px, CPU; {args.runs} rounds, median [min - max] wall time.",
            "",
            table(["what", "wall time", "speed-up over the cold job"], rows),
            "",
            "Prediction counts per job (name, boxes, warm workers): "
            + ", ".join(str(c) for c in sorted(counts, key=str)),
            "",
            "Reproduce: `python benchmarks/bench_warm_workers.py`",
            "",
        ]
    )
    Path(args.out).write_text(report)
    print(report)


if __name__ == "__main__":
    run_locked(main)
