"""``visionlens evaluate`` end to end, the code of a commit before against this checkout,
paired round by round on the same catalogs.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_evaluate_cli_paired.py
        [--before COMMIT] [--iou-types bbox segm] [--sizes 10000] [--rounds 5] [--cache DIR]

Each case is the CLI as a user runs it (``visionlens evaluate bench --model model --iou-type
T --data-dir COPY --json``, a fresh process on a fresh copy of the catalog that
``bench_evaluate_hotcoco.py`` prepares, kept in ``--cache``), once with the ``visionlens_jlab``
folder of ``--before`` (extracted with ``git archive``) first on the path, once with this
checkout's; both trees are byte-compiled first (as an installed package is), so neither
pays for compiling. Rounds rotate the order. Wall and CPU seconds and peak RSS per process;
the two reports (less their creation time) must be equal in every round.
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
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate_hotcoco import data_folder
from harness import (
    REPO,
    Run,
    bench_lock,
    checked,
    cli_command,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_process,
    summary,
    table,
)


def extract(commit: str, into: Path) -> Path:
    """The ``visionlens_jlab`` folder of ``commit``, extracted under ``into``."""
    archive = subprocess.run(
        ["git", "archive", commit, "visionlens_jlab"], cwd=REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def cli_round(tree: Path, iou_type: str, folder: Path, _round: int) -> Run:
    """The CLI with ``tree``'s code on a fresh copy of ``folder``'s catalog."""
    with tempfile.TemporaryDirectory(prefix="vl-bench-cli-paired-") as tmp:
        data = Path(tmp) / "catalog"
        shutil.copytree(folder / "catalog", data)
        argv = cli_command("evaluate", "bench", "--model", "model", "--iou-type", iou_type,
                           "--data-dir", str(data), "--json")  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(tree)}
        run = checked(run_process(argv, env=env), f"CLI {tree}")
    report: dict[str, Any] = json.loads(run.stdout)
    report.pop("created_at", None)
    run.inner = {"report": report}
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="the commit to compare with")
    parser.add_argument("--iou-types", nargs="+", default=["bbox", "segm"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="keep and reuse the prepared data here")
    args = parser.parse_args()
    before_commit = subprocess.run(
        ["git", "rev-parse", "--short=8", args.before], cwd=REPO, check=True,
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    rows = []
    with bench_lock(), tempfile.TemporaryDirectory(prefix="vl-bench-before-") as tmp:
        before = extract(before_commit, Path(tmp))
        for tree in (before, REPO):
            compileall.compile_dir(tree / "visionlens_jlab", quiet=1)
        load0, env = load_average(), environment()
        for iou_type in args.iou_types:
            for n in args.sizes:
                with data_folder(args.cache, iou_type, n) as (folder, _counts):
                    runs = interleave(
                        {
                            "before": partial(cli_round, before, iou_type, folder),
                            "after": partial(cli_round, REPO, iou_type, folder),
                        },
                        args.rounds,
                    )
                b, a = runs["before"], runs["after"]
                same = all(x.inner == y.inner for x, y in zip(b, a, strict=True))
                rows.append([
                    iou_type, f"{n:,}",
                    summary([r.wall_s for r in b]).fmt(2), summary([r.wall_s for r in a]).fmt(2),
                    ratios([r.wall_s for r in a], [r.wall_s for r in b]).fmt(2),
                    summary([r.cpu_s for r in b]).fmt(2), summary([r.cpu_s for r in a]).fmt(2),
                    ratios([r.cpu_s for r in a], [r.cpu_s for r in b]).fmt(2),
                    summary([r.peak_rss_mb for r in b]).fmt(0),
                    summary([r.peak_rss_mb for r in a]).fmt(0),
                    "yes" if same else "**NO**",
                ])  # fmt: skip
        load1 = load_average()
    title = f"`visionlens evaluate` before ({before_commit}) and after, {args.rounds} rounds"
    print(header(title, env, load0, load1))
    print(table(HEAD, rows))


HEAD = [
    "iou type", "images", "before: wall s", "after: wall s", "after / before wall (paired)",
    "before: CPU s", "after: CPU s", "after / before CPU (paired)", "before: peak RSS MB",
    "after: peak RSS MB", "same report every round",
]  # fmt: skip


if __name__ == "__main__":
    main()
