"""docs/plugin-api-reference.md is what docs/tools/plugin_reference.py generates from the
plugin API's docstrings now (regenerate it after changing the API)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_committed_reference_is_up_to_date() -> None:
    out = subprocess.run(
        [sys.executable, "docs/tools/plugin_reference.py", "--check"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr


def test_the_reference_names_every_exported_name() -> None:
    from visionlens_jlab.plugins import api

    text = (REPO / "docs" / "plugin-api-reference.md").read_text()
    missing = [name for name in api.__all__ if f"`{name}" not in text]
    assert missing == []
