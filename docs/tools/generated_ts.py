"""Write a generated TypeScript file through the project's Prettier, or check that it is
current: the one output step of the ``*_ts.py`` generators beside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def write_or_check(output: Path, text: str, script: str, argv: list[str]) -> int:
    """Format ``text`` as Prettier formats ``output``; with ``--check`` in ``argv`` answer 1
    (naming ``script`` to run) when ``output`` differs, else write it. Returns the exit code."""
    prettier = REPO / "node_modules" / ".bin" / "prettier"
    formatted = subprocess.run(
        [str(prettier), "--stdin-filepath", str(output)],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    if "--check" in argv:
        if output.read_text(encoding="utf-8") != formatted:
            print(f"{output} is stale: run python {script}", file=sys.stderr)
            return 1
        return 0
    output.write_text(formatted, encoding="utf-8")
    return 0
