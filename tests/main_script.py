"""Run test code as a real ``__main__`` script, counting how many processes executed it.

Spawned workers re-run their parent's main script unless told not to; in JupyterLab that
script is ``jupyter-server``, whose imports cost ~1.9 s of CPU per worker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_TEMPLATE = """
import os, sys
sys.path.insert(0, {repo!r})
# Module level: runs again in every child process that re-runs this main script.
with open({marker!r}, "a") as f:
    f.write(f"{{os.getpid()}}\\n")

if __name__ == "__main__":
{body}
"""


def run_as_main_script(tmp_path: Path, body: str) -> tuple[str, int]:
    """Run ``body`` (code indented by four spaces) under ``if __name__ == "__main__":`` of a
    script; returns its stdout and how many processes ran the script's module level."""
    marker = tmp_path / "main-ran"
    script = tmp_path / "main_script.py"
    script.write_text(_TEMPLATE.format(repo=str(REPO), marker=str(marker), body=body))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, len(marker.read_text().split())
