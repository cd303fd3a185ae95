"""The shared benchmark harness: what every ``benchmarks/bench_*.py`` measures, and how.

* **What a user runs**: :func:`run_process` times a fresh process from before it is spawned
  to its exit (interpreter start and imports included) and reads the peak RSS of its whole
  process tree; a child that prints a JSON line (its last stdout line) can add its own
  in-process figure beside it (e.g. ``{"seconds": ...}`` timed after its imports).
* **Repeated and paired**: :func:`interleave` runs every case once per round, the order
  rotated each round, so ours and the reference see the same moments of a noisy machine;
  :func:`summary` gives median and range (min–max); :func:`ratios` pairs ours / reference
  round by round.
* **Where and when**: :func:`environment` (CPU model, cores, RAM, date, git commit, versions)
  and the load average at the start and end go with every result (:func:`header`).
* **One benchmark at a time**: :func:`bench_lock` takes ``/tmp/vl-bench.lock`` (re-entrant
  for ``benchmarks/run_all.py``, which holds it for every benchmark it starts).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LOCK_PATH = "/tmp/vl-bench.lock"
LOCK_HELD_ENV = "VL_BENCH_LOCK_HELD"
LAUNCHER = Path(__file__).resolve().with_name("measured_launch.py")
SAMPLE_SECONDS = 0.02
"""How often the process tree's summed RSS is sampled (the kernel's own per-process peak is
exact; the sum only matters when several processes of the tree run at once)."""


@dataclass
class Run:
    """One measured process: wall time from spawn to exit, peak RSS, CPU time, its output."""

    wall_s: float
    peak_rss_mb: float
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str
    inner: dict[str, Any] = field(default_factory=dict)
    """The JSON object of the last stdout line, if it is one (the in-process figures)."""


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    """``visionlens ARGS``: the console script installed beside this interpreter (what a user
    types), or ``python -m visionlens_jlab.cli`` where none is installed."""
    script = Path(sys.executable).with_name("visionlens")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "visionlens_jlab.cli", *args]


def run_process(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = REPO) -> Run:
    """Run ``argv`` to completion and measure it (see the module docstring).

    The command is spawned by :mod:`measured_launch`, a small fresh interpreter that times
    it and reads its ``wait4`` usage: spawned straight from this process, the kernel would
    count this process's own peak RSS as the command's (see that module). The peak RSS is
    the larger of the kernel's peak (the command and its reaped descendants) and the largest
    sampled sum over the command's live process tree (the launcher left out).
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="vl-measured-") as tmp,
    ):
        result = Path(tmp) / "usage.json"
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(LAUNCHER), str(result), *argv],
            stdout=out,
            stderr=err,
            env=env or child_env(),
            cwd=cwd,
        )
        tree_peak = [0]
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, done, tree_peak))
        sampler.start()
        proc.wait()
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        try:
            usage = json.loads(result.read_text())
        except (OSError, ValueError):  # the launcher itself failed (e.g. no such command)
            usage = {"wall_s": 0.0, "maxrss_kb": 0, "cpu_s": 0.0, "returncode": proc.returncode}
    peak_kb = max(usage["maxrss_kb"], tree_peak[0] // 1024)
    lines = stdout.strip().splitlines()
    inner: dict[str, Any] = {}
    if lines:
        with contextlib.suppress(ValueError):
            parsed = json.loads(lines[-1])
            inner = parsed if isinstance(parsed, dict) else {}
    return Run(
        wall_s=usage["wall_s"],
        peak_rss_mb=peak_kb / 1024,
        cpu_s=usage["cpu_s"],
        returncode=proc.returncode if usage["returncode"] is None else usage["returncode"],
        stdout=stdout,
        stderr=stderr,
        inner=inner,
    )


def _sample_tree(launcher_pid: int, done: threading.Event, peak: list[int]) -> None:
    """Sample the summed RSS of the launcher's descendants (not the launcher's own)."""
    import psutil

    try:
        launcher = psutil.Process(launcher_pid)
    except psutil.Error:
        return
    tree: list[psutil.Process] = []
    last_scan = -1.0
    while not done.wait(SAMPLE_SECONDS):
        now = time.monotonic()
        if not tree or now - last_scan > 0.2:  # listing children scans /proc: not every sample
            with contextlib.suppress(psutil.Error):
                tree = launcher.children(recursive=True)
            last_scan = now
        total = 0
        for p in tree:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        peak[0] = max(peak[0], total)


def checked(run: Run, what: str) -> Run:
    """``run``, or exit with its stderr if the process failed."""
    if run.returncode != 0:
        raise SystemExit(f"{what} failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    return run


def interleave(
    cases: dict[str, Callable[[int], Run]], rounds: int, *, log: bool = True
) -> dict[str, list[Run]]:
    """Run every case once per round (``case(round)``), the order rotated each round."""
    names = list(cases)
    runs: dict[str, list[Run]] = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            run = cases[name](r)
            runs[name].append(run)
            if log:
                print(
                    f"  round {r + 1}/{rounds} {name}: {run.wall_s:.2f} s, "
                    f"{run.peak_rss_mb:.0f} MB, load {load_average()}",
                    file=sys.stderr,
                    flush=True,
                )
    return runs


@dataclass
class Summary:
    """Median and range of repeated measurements."""

    median: float
    low: float
    high: float
    n: int

    def fmt(self, digits: int = 2, unit: str = "") -> str:
        """``median (low–high) unit``."""
        u = f" {unit}" if unit else ""
        return f"{self.median:.{digits}f}{u} ({self.low:.{digits}f}–{self.high:.{digits}f})"


def summary(values: Sequence[float]) -> Summary:
    """Median and min–max of ``values`` (at least one)."""
    return Summary(statistics.median(values), min(values), max(values), len(values))


def ratios(ours: Sequence[float], reference: Sequence[float]) -> Summary:
    """Paired ours / reference, round by round."""
    return summary([a / b for a, b in zip(ours, reference, strict=True)])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """In-process wall times of ``runs`` calls of ``fn``, and the last call's value."""
    times, value = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return times, value


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (the platform's word for it elsewhere)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return cpu


def ram_gib() -> float:
    """Physical memory in GiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def environment() -> dict[str, str]:
    """The machine, software and code a result was measured on."""
    cpu = cpu_model()
    ram = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024**2:.0f} GiB"
    versions = [f"Python {platform.python_version()}"]
    for mod in ("duckdb", "pyarrow", "orjson", "numpy"):
        with contextlib.suppress(Exception):
            versions.append(f"{mod} {__import__(mod).__version__}")
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "versions": ", ".join(versions),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
    }


def git_commit() -> str:
    """Short hash of this checkout's HEAD, ``+dirty`` when tracked files differ from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def accelerator() -> str:
    """``; torch VERSION, GPU NAME`` where the measured code imported torch and it sees a
    CUDA device, ``; torch VERSION`` where it sees none, else nothing (read at the end of a
    run, so a benchmark that imports torch lazily still names it)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return ""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else ""
    return f"; torch {torch.__version__}" + (f", **GPU {gpu}**" if gpu else "")


def header(title: str, env: dict[str, str], load_start: str, load_end: str) -> str:
    """The markdown lines that go above every result table."""
    return (
        f"## {title} ({env['date']})\n\n"
        f"Machine `{env['host']}`: {env['cpu']}, **{env['cores']} cores**, {env['ram']} RAM, "
        f"{env['os']}; {env['versions']}{accelerator()}. Code at `{env['commit']}`. "
        f"Load average (1 / 5 / 15 min) **{load_start} at the start, {load_end} at the end**.\n"
    )


def write_section(path: Path, section: str, text: str, *, top: bool = False) -> None:
    """Put ``text`` into the results file ``path`` in place of its section whose heading
    line starts with ``section`` (e.g. ``"## Video seek"``), keeping every other section
    where it is; a file without one gets it at the end, or with ``top`` above its first
    section (below the file's title and intro), where the newest results go.

    A section runs from its heading to the next heading of the same or a higher level, so
    its own subsections (``###``) go with it; only heading lines are matched (not text, not
    a ``#`` comment in a fenced code block)."""
    level = len(section) - len(section.lstrip("#"))
    lines = (path.read_text() if path.exists() else "").splitlines(keepends=True)
    levels = _heading_levels(lines)
    text = text.rstrip("\n") + "\n"
    starts = [i for i, line in enumerate(lines) if levels[i] and line.startswith(section)]
    firsts = [i for i, n in enumerate(levels) if n > 1]
    if starts:
        after = [i for i in range(starts[0] + 1, len(lines)) if 0 < levels[i] <= level]
        end = after[0] if after else len(lines)
        lines[starts[0] : end] = [text, "\n"] if after else [text]
    elif top and firsts:
        lines[firsts[0] : firsts[0]] = [text, "\n"]
    else:
        lines += ["\n"] * bool(lines) + [text]
    path.write_text("".join(lines).rstrip("\n") + "\n")


def _heading_levels(lines: Sequence[str]) -> list[int]:
    """Per line, its markdown heading level (``## x``: 2), 0 for text and code blocks."""
    levels, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        hashes = len(line) - len(line.lstrip("#"))
        heading = not fenced and 0 < hashes <= 6 and line[hashes : hashes + 1] == " "
        levels.append(hashes if heading else 0)
    return levels


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def run_locked(main: Callable[[], Any]) -> Any:
    """``main()`` under :func:`bench_lock`, except for ``--help`` (nothing to measure)."""
    if {"-h", "--help"} & set(sys.argv[1:]):
        return main()
    with bench_lock():
        return main()


@contextlib.contextmanager
def bench_lock() -> Iterator[None]:
    """Hold ``/tmp/vl-bench.lock`` (no other benchmark runs meanwhile); a no-op inside
    ``run_all.py``, which already holds it."""
    if os.environ.get(LOCK_HELD_ENV):
        yield
        return
    with open(LOCK_PATH, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if _held_by_ancestor(os.fstat(f.fileno()).st_ino):  # `flock FILE python bench...`
                yield
                return
            print(f"waiting for {LOCK_PATH} (another benchmark runs) ...", file=sys.stderr)
            fcntl.flock(f, fcntl.LOCK_EX)
        os.environ[LOCK_HELD_ENV] = "1"  # the children this benchmark starts inherit it
        try:
            yield
        finally:
            del os.environ[LOCK_HELD_ENV]
            fcntl.flock(f, fcntl.LOCK_UN)


def _held_by_ancestor(inode: int) -> bool:
    """Whether a process above this one holds the flock on ``inode`` (``/proc/locks``)."""
    try:
        locks = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    holders = set()
    for line in locks:
        parts = line.split()
        if len(parts) > 5 and parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
            holders.add(int(parts[4]))
    pid = os.getppid()
    while pid > 1:
        if pid in holders:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False
