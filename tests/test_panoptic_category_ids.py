"""Category ids in COCO panoptic results as tools write them: a detectron2 model's
contiguous ids (0..n-1, its training's, not the dataset's) dumped without mapping them
back, refused at import naming the ids, where and the fix, nothing recorded; ids written as
digits (``"category_id": "3"``, a JSON written from a table of strings), read as the
integers they are, the report that of the same file with numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.semantic_fixtures import run_cli

from .panoptic_fixtures import CATEGORIES, write_panoptic


def _ingest(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Path], str]:
    files = write_panoptic(root, 6, seed=2)
    data = str(root / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 0, out
    return files, data


def _rewrite(path: Path, to: Path, category: Any) -> None:
    results = json.loads(path.read_text())
    for ann in results["annotations"]:
        for segment in ann["segments_info"]:
            segment["category_id"] = category(segment["category_id"])
    to.write_text(json.dumps(results))


def test_contiguous_category_ids_are_refused_at_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, data = _ingest(tmp_path, capsys)
    # 0..4 for the dataset's 1, 3, 7, 100, 120: 1 and 3 are ids of both, the others not
    contiguous = {c["id"]: k for k, c in enumerate(CATEGORIES)}
    _rewrite(files["pred_json"], tmp_path / "d2.json", contiguous.__getitem__)
    masks = ("--masks", str(files["pred_folder"]), "--data-dir", data)
    code, out = run_cli(
        capsys, "panoptic-predictions", "p", str(tmp_path / "d2.json"), "--model", "d2", *masks
    )
    assert code == 1 and "Traceback" not in out["stderr"], out
    assert "category id(s) 0, 2, 4 (first at annotations[0].segments_info[0])" in out["stderr"]
    assert "none of the dataset's 5 categories (1, 3, 7, 100, 120)" in out["stderr"]
    assert "thing_dataset_id_to_contiguous_id" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "p", "--model", "d2", "--data-dir", data)
    assert code == 1  # nothing was recorded for the model


def test_category_ids_written_as_digits_are_their_integers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {}
    for name, category in (("numbers", int), ("digits", str)):
        root = tmp_path / name
        files = write_panoptic(root, 6, seed=2)
        _rewrite(files["gt_json"], files["gt_json"], category)
        _rewrite(files["pred_json"], files["pred_json"], category)
        data = str(root / "data")
        argv = ("--images", str(files["images"]), "--data-dir", data)
        assert (
            run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)[0] == 0
        )
        argv = ("--model", "m", "--data-dir", data)
        code, out = run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *argv)
        assert code == 0, out
        code, out = run_cli(capsys, "evaluate", "p", *argv)
        assert code == 0 and "Traceback" not in out["stderr"], out
        reports[name] = out["panoptic"]
    assert reports["digits"] == reports["numbers"]
    assert 0 < reports["numbers"]["All"]["pq"] < 1 and reports["numbers"]["All"]["n"] == 5
