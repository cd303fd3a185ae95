"""The ``visionlens`` CLI run in the test's own process (it opens its own catalog)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from visionlens_jlab.cli import main as cli_main


def cli(data: Path, *argv: str) -> dict[str, Any]:
    """Run one ``visionlens`` command on data folder ``data`` with ``--json``; returns its
    answer (the command must succeed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main([*argv, "--data-dir", str(data), "--json"])
    assert code == 0, out.getvalue()
    return dict(json.loads(out.getvalue()))
