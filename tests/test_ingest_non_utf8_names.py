"""File and folder names that are not UTF-8 (bytes a Linux file system allows, which Python
holds as surrogate escapes and no catalog column can store): each format's reader skips them
with a report row instead of dying in the catalog write."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.cli import main as cli_main

BAD = os.fsdecode(b"\xe9t\xe9")  # Latin-1 bytes: not UTF-8


def ingest(data: Path, source: Path) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["ingest", str(source), "--name", "x", "--data-dir", str(data), "--json"])
    assert code == 0, out.getvalue() + err.getvalue()
    return dict(json.loads(out.getvalue()))


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tiny_jpeg(32, 24))


def _tree(root: Path) -> int:
    for name in ("cat/1.jpg", f"cat/{BAD}.jpg", f"{BAD}/2.jpg", "dog/3.jpg", f"{BAD}.jpg"):
        _image(root / name)
    return 2  # cat/1.jpg and dog/3.jpg


def _voc(root: Path) -> int:
    for name in ("a.jpg", f"{BAD}.jpg"):
        _image(root / "data" / name)
    (root / "labels").mkdir()
    (root / "labels" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>32</width><height>24</height>"
        "</size><object><name>cat</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>9</xmax>"
        "<ymax>9</ymax></bndbox></object></annotation>"
    )
    return 1


def _yolo(root: Path) -> int:
    for name in ("a.jpg", f"{BAD}.jpg"):
        _image(root / "images" / "train" / name)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nnames: [cat]\n")
    return 1


@pytest.mark.parametrize("build", [_tree, _voc, _yolo], ids=["tree", "voc", "yolo"])
def test_names_that_are_not_utf8_are_report_rows(tmp_path: Path, build: Any) -> None:
    source = tmp_path / "source"
    source.mkdir()
    kept = build(source)
    result = ingest(tmp_path / "vl", source)
    assert result["samples"] == kept
    rows = {w["code"]: w for w in result["warnings"]}
    assert "file_name_not_utf8" in rows, result["warnings"]
    assert all("\\xe9" in e or "\\udce9" in e for e in rows["file_name_not_utf8"]["examples"])
