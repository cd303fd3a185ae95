"""Who holds the GIL: a table from ``py-spy record --gil`` samples of the server.

    py-spy record --gil --native --threads -r 50 -d 60 -f raw -o gil.txt -p SERVER_PID
    python benchmarks/gil_holders.py gil.txt [--top 15]

py-spy's ``--gil`` keeps only the samples of the thread holding the GIL, so each row's share
is the share of GIL-held time spent there. A row is the holding thread and its innermost
frame of interest: the garbage collector (``gc_collect_main``, whatever triggered it), a
native call into Qdrant Edge, DuckDB, pyarrow or orjson, else the innermost VisionLens
frame, else the innermost Python frame. Used for the holder table of results/load.md.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

NATIVE = {
    "gc_collect_main": "garbage collector (gc_collect_main)",
    "qdrant_edge": "Qdrant Edge (native)",
    "duckdb": "DuckDB (native)",
    "libarrow": "pyarrow (native)",
    "orjson": "orjson (native)",
}


def thread_name(frame: str) -> str:
    """``thread (123): visionlens-request_1`` -> ``visionlens-request``."""
    name = frame.split(":", 1)[-1].strip()
    return re.sub(r"_\d+$", "", name) or "unnamed"


def holder(frames: list[str]) -> str:
    """The row a sample counts in (see the module docstring)."""
    for key, label in NATIVE.items():
        if any(key in f for f in frames):
            return label
    python = [f for f in frames if ".py:" in f]
    ours = [f for f in python if "visionlens_jlab" in f]
    pick = (ours or python or frames[-1:])[-1]
    return re.sub(r" \((?:.*/)?([^/]+\.py):\d+\)", r" (\1)", pick)


def table(path: Path, top: int) -> str:
    """The Markdown table of the ``top`` holders in py-spy's raw output ``path``."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        counts[(thread_name(frames[0]), holder(frames[1:]))] += int(count)
    total = sum(counts.values()) or 1
    rows = ["| thread | holding the GIL in | share of GIL-held samples |", "|---|---|---|"]
    for (thread, where), n in counts.most_common(top):
        rows.append(f"| {thread} | {where} | {n / total * 100:.1f} % |")
    rows.append(f"\n{total} samples.")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path, help="py-spy record -f raw output")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print(table(args.raw, args.top))


if __name__ == "__main__":
    main()
