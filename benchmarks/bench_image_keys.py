"""Matching image names at 1M images (issue #49 item 1): a commit before against this
checkout, paired round by round.

    python benchmarks/bench_image_keys.py [--before COMMIT] [--sizes 100000 1000000]
        [--rounds 3] [--out FILE]

The dataset has N images ``train/000000000123.jpg``; the predictions name every image by a
FiftyOne-style absolute path (``/data/coco/train/000000000123.jpg``), so every name goes
through ``PathKeys`` (a located name matched by its path's suffix).

``--before`` is by default :data:`BEFORE`, the last commit resolving names one at a time.

- **CLI**: ``visionlens predictions bench preds.parquet --model m --data-dir COPY --json`` as
  a user runs it (a classification Parquet of ``filepath``, ``label``, ``score``), a fresh
  process on a fresh copy of the catalog, once with the ``visionlens_jlab`` folder of
  ``--before`` (``git archive``) first on the path, once with this checkout's; both trees
  byte-compiled first. Wall, CPU, peak RSS; the reports and the written labels (count and a
  hash of file name and label) must be equal every round.
- **in process**: ``create_image_keys`` and ``PathKeys.add`` (batches of 65,536) on an
  in-memory DuckDB ``samples`` of N rows, in a child process of each tree; their seconds and
  the child's CPU seconds, and a hash of the keys made (equal, or the row says so).

Rounds rotate the order. Runs hold ``/tmp/vl-bench.lock`` (:func:`harness.run_locked`).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    REPO,
    Run,
    checked,
    cli_command,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_locked,
    run_process,
    summary,
    table,
)

BEFORE = "dc1e4486"
"""main before the set-based image keys (issue #49 item 1)."""
BATCH = 65_536  # what the prediction writer hands PathKeys at a time, about


def extract(commit: str, into: Path) -> Path:
    """The ``visionlens_jlab`` folder of ``commit``, extracted under ``into``."""
    archive = subprocess.run(
        ["git", "archive", commit, "visionlens_jlab"], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def file_name(i: int) -> str:
    """The dataset's name of image ``i``."""
    return f"train/{i:012d}.jpg"


def write_catalog(n: int, folder: Path) -> Path:
    """Dataset ``bench`` of ``n`` images in a catalog under ``folder``, and the predictions
    Parquet naming them by absolute paths (not timed)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(REPO))
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.features import load as load_features
    from visionlens_jlab.records.batches import ANNOTATION_SCHEMA, SAMPLE_SCHEMA, Batch
    from visionlens_jlab.records.report import IngestReport

    class Source:
        format, source, media_root = "coco", "generated", "/nowhere"
        json_checked = False

        def __init__(self, batch: Batch) -> None:
            self.report = IngestReport()
            self._batch = batch

        def batches(self) -> Any:
            yield self._batch

        def categories(self) -> list[tuple[str, None, int]]:
            return [("cat", None, 1)]

    names = [file_name(i) for i in range(n)]
    samples = pa.table(
        {
            "sample_index": pa.array(np.arange(n), pa.int64()),
            "file_name": pa.array(names),
            "location": pa.array([f"/nowhere/{name}" for name in names]),
            "width": pa.array(np.full(n, 640), pa.int32()),
            "height": pa.array(np.full(n, 480), pa.int32()),
            "split": pa.array(["train"] * n),
            "source_image_id": pa.array([str(i + 1) for i in range(n)]),
            "fields": pa.nulls(n, pa.string()),
        },
        schema=SAMPLE_SCHEMA,
    )
    load_features()
    with Catalog(folder / "catalog") as catalog:
        write_dataset(catalog, "bench", Source(Batch(samples, ANNOTATION_SCHEMA.empty_table())))
    rng = np.random.default_rng(0)
    preds = pa.table(
        {
            "filepath": pa.array([f"/data/coco/{name}" for name in names]),
            "label": pa.array(np.where(rng.random(n) < 0.5, "cat", "dog").tolist()),
            "score": pa.array(rng.random(n)),
        }
    )
    pq.write_table(preds, folder / "preds.parquet")
    return folder


def cli_round(tree: Path, folder: Path, _round: int) -> Run:
    """The CLI with ``tree``'s code importing the predictions into a fresh catalog copy."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="vl-bench-keys-") as tmp:
        data = Path(tmp) / "catalog"
        shutil.copytree(folder / "catalog", data)
        argv = cli_command("predictions", "bench", str(folder / "preds.parquet"), "--model", "m",
                           "--data-dir", str(data), "--json")  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(tree)}
        run = checked(run_process(argv, env=env), f"CLI {tree}")
        with duckdb.connect(str(data / "catalog.duckdb"), read_only=True) as con:
            written = con.execute(
                "SELECT count(*), sum(hash(s.file_name, c.label)) FROM classifications c "
                "JOIN samples s USING (sample_id) WHERE c.source = 'm'"
            ).fetchone()
    report: dict[str, Any] = json.loads(run.stdout)
    report.pop("created_at", None)
    run.inner = {"report": report, "written": [str(x) for x in written or ()]}
    return run


def child(n: int) -> None:
    """In a child process of the tree on the path: the keys made in process, timed."""
    import duckdb

    import visionlens_jlab.features as features
    from visionlens_jlab.catalog.writes.image_keys import create_image_keys

    try:
        from visionlens_jlab.catalog.writes.path_keys import PathKeys
    except ImportError:  # the code before: PathKeys beside create_image_keys
        from visionlens_jlab.catalog.writes.image_keys import PathKeys  # type: ignore[attr-defined,no-redef]

    features.load()
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE samples AS SELECT 1 AS dataset_id, i AS sample_id, "
        "'train/' || lpad(i::VARCHAR, 12, '0') || '.jpg' AS file_name, "
        "NULL::VARCHAR AS source_image_id, 640 AS width, 480 AS height, 'train' AS split "
        "FROM range(?) t(i)",
        [n],
    )
    refs = [f"/data/coco/{file_name(i)}" for i in range(n)]
    t0, c0 = time.perf_counter(), time.process_time()
    create_image_keys(con, 1)
    t1, c1 = time.perf_counter(), time.process_time()
    paths = PathKeys(con, 1)
    for k in range(0, n, BATCH):
        paths.add(refs[k : k + BATCH])
    t2, c2 = time.perf_counter(), time.process_time()
    keys = con.execute(
        "SELECT count(*), sum(hash(key, sample_id, width, height, priority)) FROM _vl_image_keys"
    ).fetchone()
    print(json.dumps({"keys_s": t1 - t0, "keys_cpu": c1 - c0, "paths_s": t2 - t1,
                      "paths_cpu": c2 - c1, "keys": [str(x) for x in keys or ()]}))  # fmt: skip


def child_round(tree: Path, n: int, _round: int) -> Run:
    """:func:`child` with ``tree``'s code."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(n)]
    return checked(run_process(argv, env={**os.environ, "PYTHONPATH": str(tree)}), f"child {tree}")


def pair(runs: dict[str, list[Run]], value: Any, digits: int = 2) -> list[str]:
    """Before, after and the paired ratio of ``value(run)``."""
    b, a = [value(r) for r in runs["before"]], [value(r) for r in runs["after"]]
    return [summary(b).fmt(digits), summary(a).fmt(digits), ratios(a, b).fmt(2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the Markdown here (default: stdout)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child)
    before_commit = subprocess.run(
        ["git", "rev-parse", "--short=8", args.before], cwd=REPO, check=True,
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    cli_rows, process_rows = [], []
    with tempfile.TemporaryDirectory(prefix="vl-bench-image-keys-") as tmp:
        before = extract(before_commit, Path(tmp))
        for tree in (before, REPO):
            compileall.compile_dir(tree / "visionlens_jlab", quiet=1)
        load0, env = load_average(), environment()
        for n in args.sizes:
            folder = write_catalog(n, Path(tmp) / f"data-{n}")
            runs = interleave({"before": partial(cli_round, before, folder),
                               "after": partial(cli_round, REPO, folder)}, args.rounds)  # fmt: skip
            same = all(
                x.inner == y.inner for x, y in zip(runs["before"], runs["after"], strict=True)
            )
            cli_rows.append([
                f"{n:,}", *pair(runs, lambda r: r.wall_s), *pair(runs, lambda r: r.cpu_s),
                *pair(runs, lambda r: r.peak_rss_mb, 0), "yes" if same else "**NO**",
            ])  # fmt: skip
            runs = interleave({"before": partial(child_round, before, n),
                               "after": partial(child_round, REPO, n)}, args.rounds)  # fmt: skip
            same = all(x.inner["keys"] == y.inner["keys"]
                       for x, y in zip(runs["before"], runs["after"], strict=True))  # fmt: skip
            process_rows.append([
                f"{n:,}", *pair(runs, lambda r: r.inner["keys_cpu"]),
                *pair(runs, lambda r: r.inner["paths_cpu"]),
                *pair(runs, lambda r: r.inner["keys_s"] + r.inner["paths_s"]),
                "yes" if same else "**NO**",
            ])  # fmt: skip
            shutil.rmtree(folder)
        load1 = load_average()
    title = (
        f"Image names by absolute path, before ({before_commit}) and after, {args.rounds} rounds"
    )
    text = "\n".join([
        header(title, env, load0, load1),
        "`visionlens predictions` of a classification Parquet naming every image by its "
        "absolute path (a fresh process on a fresh catalog copy):\n",
        table(["images", "before: wall s", "after: wall s", "after / before wall (paired)",
               "before: CPU s", "after: CPU s", "after / before CPU (paired)",
               "before: peak RSS MB", "after: peak RSS MB", "after / before RSS",
               "same report and labels"], cli_rows),
        "In process (in-memory DuckDB): CPU seconds of `create_image_keys` and of "
        f"`PathKeys.add` in batches of {BATCH:,}, and the wall of both:\n",
        table(["images", "before: keys CPU s", "after: keys CPU s", "after / before",
               "before: PathKeys CPU s", "after: PathKeys CPU s", "after / before",
               "before: wall s", "after: wall s", "after / before", "same keys"], process_rows),
    ])  # fmt: skip
    if args.out:
        args.out.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    run_locked(main)
