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


def test_the_lab_side_reference_is_what_typedoc_generates(tmp_path: Path) -> None:
    """docs/lab-plugin-api is typedoc's Markdown of the model token's interface
    (``jlpm docs:api``, configured in typedoc.json): regenerate and compare."""
    subprocess.run(
        [str(REPO / "node_modules" / ".bin" / "typedoc"), "--out", str(tmp_path / "api")],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    committed = REPO / "docs" / "lab-plugin-api"
    made = {
        p.relative_to(tmp_path / "api"): p.read_text() for p in (tmp_path / "api").rglob("*.md")
    }
    kept = {p.relative_to(committed): p.read_text() for p in committed.rglob("*.md")}
    assert made.keys() == kept.keys(), "run `jlpm docs:api` and commit docs/lab-plugin-api"
    stale = [str(k) for k in made if made[k] != kept[k]]
    assert not stale, f"stale: {stale}; run `jlpm docs:api` and commit docs/lab-plugin-api"
