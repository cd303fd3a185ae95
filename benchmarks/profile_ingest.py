"""Where ``visionlens ingest`` spends its time and memory on one COCO file.

Runs the CLI under py-spy (``pip install py-spy``; native frames included, so time inside
DuckDB, Arrow and orjson shows up under the Python call that entered it) while sampling the
process's RSS, then prints the functions with the most samples (self and inclusive) and the
RSS over time.

    python benchmarks/profile_ingest.py FILE [--top 25] [--rss-every 0.25]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import bench_lock, child_env, cli_command, load_average


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--rss-every", type=float, default=0.25, help="seconds between RSS samples")
    ap.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    ap.add_argument("--stacks", help="also keep py-spy's raw stacks in this file")
    opts = ap.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    work = Path(tempfile.mkdtemp(prefix="vl-profile-"))
    raw = work / "stacks.txt"
    cmd = cli_command("ingest", opts.source, "--name", "p", "--data-dir", str(work / "data"))
    try:
        with bench_lock():
            print(f"load average {load_average()}", file=sys.stderr)
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [spy, "record", "--native", "-r", str(opts.rate), "-f", "raw", "-o", str(raw)]
                + ["--", *cmd, "--json"],
                env=child_env(),
                stdout=subprocess.DEVNULL,
            )
            rss = _sample_rss(proc, opts.rss_every)
            proc.wait()
            wall = time.perf_counter() - t0
        if opts.stacks:
            shutil.copy(raw, opts.stacks)
        _print_profile(raw, opts.top)
        print(f"\nwall under py-spy {wall:.1f} s; RSS (s: MB):")
        print("  " + ", ".join(f"{t:.1f}: {mb:.0f}" for t, mb in rss))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sample_rss(proc: subprocess.Popen[bytes], every: float) -> list[tuple[float, float]]:
    """RSS of the profiled program (py-spy's child) every ``every`` seconds until it exits."""
    import psutil

    out: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    done = threading.Event()
    while proc.poll() is None and not done.wait(every):
        try:
            kids = psutil.Process(proc.pid).children()
            if kids:
                out.append((time.perf_counter() - t0, kids[0].memory_info().rss / 2**20))
        except psutil.Error:
            pass
    return out


def _print_profile(raw: Path, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1] for f in stack.split(";")[1:]]
        total += n
        if frames:
            own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    print(f"{total} samples")
    for title, counter in (("self", own), ("inclusive", inclusive)):
        print(f"\n-- {title} --")
        for frame, n in counter.most_common(top):
            print(f"{100 * n / total:5.1f}%  {frame[:150]}")


if __name__ == "__main__":
    main()
