"""Run one command and report its own wall time, CPU time and peak RSS (``harness.run_process``).

    python -I -S measured_launch.py RESULT_FILE CMD [ARG ...]

Why a launcher: Linux records, at ``exec``, the peak RSS of the memory the process had
before it (``signal->maxrss``), and a child forked (or vforked) from a process inherits that
process's size: so ``wait4``'s ``ru_maxrss`` of a command spawned by a large benchmark
process is at least the benchmark's own peak (805 MB for every ingest of a run that had just
generated its data). This launcher is a fresh, small interpreter (a few MB; started with
``-I -S`` it imports almost nothing), and the command it spawns starts from its size, not the
benchmark's. The command inherits stdin, stdout, stderr and the environment; the launcher
exits with the command's exit code and writes one JSON object to ``RESULT_FILE``.
"""

import json
import os
import sys
import time


def main() -> int:
    """Spawn ``sys.argv[2:]``, wait for it, write its measures to ``sys.argv[1]``."""
    result_file, argv = sys.argv[1], sys.argv[2:]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    with open(result_file, "w") as f:
        json.dump(
            {
                "wall_s": wall,
                "maxrss_kb": usage.ru_maxrss,  # the command's and its reaped descendants'
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "returncode": code,
            },
            f,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
