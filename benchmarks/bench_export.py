"""Export benchmark: ``visionlens export`` of a 100K-image / 700K-box catalog to COCO against
``json.dump`` of the same document, and to YOLO (100K label files).

The catalog is ingested once from ``tests.ingest_fixtures.write_coco`` (8-point polygons,
80 classes; reused with ``--keep``). Measured in rounds whose order rotates
(``benchmarks/harness.py``):

* **COCO, CLI**: ``visionlens export bench --format coco --out DIR --images none --json`` as
  a fresh process (start, imports, catalog reads, the streamed write), with its peak RSS;
* **reference**: a fresh interpreter that ``json.load``s the exported ``labels.json`` (not
  timed) and times ``json.dump`` of that dict to a file (the in-process figure);
* **YOLO, CLI**: the same command with ``--format yolo`` (one label file per image);
* **bare file creation** (YOLO's floor on this disk): a fresh interpreter creating as many
  files of 1.6 KB (a label file's size here) in one folder, with the system calls the export
  uses (``os.open``, one ``os.write``, ``os.close``, one thread), timed in-process.

    python benchmarks/bench_export.py                  # 100K images / 700K boxes, 3 rounds
    python benchmarks/bench_export.py --small          # 10K / 70K
    python benchmarks/bench_export.py --keep /tmp/vl-bench-export
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from harness import (
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

JSON_DUMP = """
import json, sys, time
with open(sys.argv[1]) as f:
    doc = json.load(f)
t = time.perf_counter()
with open(sys.argv[2], "w") as f:
    json.dump(doc, f)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

CREATE_FILES = """
import json, os, sys, time
folder, n = sys.argv[1], int(sys.argv[2])
data = b"0 " + b"0.1234567890123456 " * 86 + b"\\n"
flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
t = time.perf_counter()
os.makedirs(folder)
for i in range(n):
    fd = os.open(f"{folder}/{i:012d}.txt", flags, 0o666)
    os.write(fd, data)
    os.close(fd)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def prepare(work: Path, n_images: int) -> tuple[Path, int]:
    """The data dir holding dataset ``bench`` (ingested once per size) and its box count."""
    from tests.ingest_fixtures import write_coco

    data = work / f"data-{n_images}"
    marker = data / "bench.boxes"
    if not marker.exists():
        shutil.rmtree(data, ignore_errors=True)
        source = work / f"coco_{n_images}.json"
        t = time.perf_counter()
        boxes = write_coco(source, n_images)
        checked(
            run_process(
                cli_command("ingest", str(source), "--name", "bench", "--data-dir", str(data))
                + ["--json"]
            ),
            "visionlens ingest",
        )
        source.unlink()
        marker.write_text(str(boxes))
        print(f"ingested {n_images} images in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return data, int(marker.read_text())


def fresh(folder: Path) -> None:
    """Remove ``folder`` (a previous round's output) and flush the disk: the removal of
    100K files, or json.dump's 250 MB, is written back in the next case's time otherwise."""
    shutil.rmtree(folder, ignore_errors=True)
    os.sync()


def export_round(data: Path, out: Path, fmt: str, r: int) -> Run:
    """``visionlens export`` into a fresh folder (the previous round's is removed first)."""
    fresh(out)
    return checked(
        run_process(
            cli_command("export", "bench", "--format", fmt, "--out", str(out), "--images", "none")
            + ["--data-dir", str(data), "--json"]
        ),
        f"visionlens export --format {fmt}",
    )


def dump_round(document: Path, target: Path, r: int) -> Run:
    """The reference: ``json.dump`` of the exported document, timed in-process."""
    fresh(target)
    return checked(
        run_process([sys.executable, "-c", JSON_DUMP, str(document), str(target)]), "json.dump"
    )


def files_round(folder: Path, n_files: int, r: int) -> Run:
    """The floor: ``n_files`` bare file creations in a fresh folder (the last one removed)."""
    fresh(folder)
    return checked(
        run_process([sys.executable, "-c", CREATE_FILES, str(folder), str(n_files)]),
        "file creation",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10K images instead of 100K")
    ap.add_argument("--rounds", type=int, default=3, help="repetitions of every measurement")
    ap.add_argument("--keep", help="keep (and reuse) the ingested catalog in this folder")
    opts = ap.parse_args()
    n_images = 10_000 if opts.small else 100_000
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="vl-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with bench_lock():
            data, boxes = prepare(work, n_images)
            load0, env = load_average(), environment()
            coco_out = work / "out-coco"
            export_round(data, coco_out, "coco", 0)  # the reference's document
            document = work / "labels.json"
            shutil.copyfile(coco_out / "labels.json", document)
            cases: dict[str, Callable[[int], Run]] = {
                "coco": partial(export_round, data, coco_out, "coco"),
                "json.dump": partial(dump_round, document, work / "dumped.json"),
                "yolo": partial(export_round, data, work / "out-yolo", "yolo"),
                "files": partial(files_round, work / "out-files", n_images),
            }
            runs = interleave(cases, opts.rounds)
            load1 = load_average()
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    for name in ("coco", "yolo"):
        got = {(r.inner["samples"], r.inner["annotations"]) for r in runs[name]}
        assert got == {(n_images, boxes)}, f"{name}: {got}"
    coco, dump, yolo = runs["coco"], runs["json.dump"], runs["yolo"]
    wall = [r.wall_s for r in coco]
    dumped = [r.inner["seconds"] for r in dump]
    yolo_wall = [r.wall_s for r in yolo]
    created = [r.inner["seconds"] for r in runs["files"]]
    print(
        header(
            f"Export, {n_images:,} images / {boxes:,} boxes, {opts.rounds} rounds",
            env,
            load0,
            load1,
        )
    )
    print(
        table(
            [
                "case",
                "CLI wall (process start included)",
                "peak RSS",
                "reference",
                "CLI / reference",
            ],
            [
                [
                    "COCO `labels.json` (polygons)",
                    summary(wall).fmt(2, "s"),
                    summary([r.peak_rss_mb for r in coco]).fmt(0, "MB"),
                    f"`json.dump` of the same dict, in-process: {summary(dumped).fmt(2, 's')}",
                    f"**{ratios(wall, dumped).fmt(2)}**",
                ],
                [
                    f"YOLO, {n_images:,} label files",
                    f"**{summary(yolo_wall).fmt(2, 's')}**",
                    summary([r.peak_rss_mb for r in yolo]).fmt(0, "MB"),
                    f"goal: 10 s; floor: bare creation of {n_images:,} 1.6 KB files on the same "
                    f"disk, one thread, in-process: {summary(created).fmt(2, 's')}",
                    f"{ratios(yolo_wall, created).fmt(2)} (of the floor)",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
