"""The benchmark harness measures the command it runs, not the process that runs it.

Linux counts a process's memory before ``exec`` in the new program's ``ru_maxrss``, and a
child spawned by a large process starts from that process's size: spawned straight from a
benchmark that had just generated 805 MB of data, every ingest reported a peak of 805 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# A parent that holds 500 MB (touched, so it is resident) while it measures a child that
# holds about 60 MB; prints the harness's Run as JSON.
PARENT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from harness import run_process

held = bytearray(b"x" * (500 << 20))
child = (
    "import sys, time\n"
    "block = bytearray(b'y' * (60 << 20))\n"
    "time.sleep(0.3)\n"
    "print('{\"held\": %d}' % len(block))\n"
    "sys.exit(3)\n"
)
run = run_process([sys.executable, "-c", child])
print(json.dumps({"peak": run.peak_rss_mb, "code": run.returncode, "inner": run.inner,
                  "wall": run.wall_s, "cpu": run.cpu_s, "held": len(held)}))
"""


@pytest.fixture(scope="module")
def measured() -> dict[str, object]:
    """The harness's measure of the small child, taken from inside the 500 MB parent."""
    out = subprocess.run(
        [sys.executable, "-c", PARENT, str(BENCHMARKS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_peak_rss_is_the_childs_own_not_its_big_parents(measured: dict[str, object]) -> None:
    peak = measured["peak"]
    assert isinstance(peak, float)
    # The child's 60 MB block (plus an interpreter) is seen; the parent's 500 MB is not.
    assert 60 <= peak < 200, f"measured peak {peak:.0f} MB"


def test_run_reports_the_commands_exit_code_and_output(measured: dict[str, object]) -> None:
    result = measured
    assert result["code"] == 3
    assert result["inner"] == {"held": 60 << 20}
    wall, cpu = result["wall"], result["cpu"]
    assert isinstance(wall, float) and isinstance(cpu, float)
    assert wall > 0.3 and cpu > 0  # the launcher's own clock saw the child's sleep
