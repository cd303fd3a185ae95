"""Ids a deletion takes away are never handed out again, so an undo that puts the samples
(or objects) back never meets another with the same id: deleting the highest ids, then
ingesting or adding, then undoing, leaves every id unique and the restored rows as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import coco_source, ingest_source, run_cli
from visionlens_jlab.catalog import Catalog


def ids(data_dir: Path) -> dict[str, Any]:
    with Catalog(data_dir) as catalog, catalog.cursor() as cur:
        return {
            table: cur.execute(
                f"SELECT COUNT(*), COUNT(DISTINCT {column}), MAX({column}) FROM {table}"  # noqa: S608 - fixed names
            ).fetchall()[0]
            for table, column in (("samples", "sample_id"), ("annotations", "ann_id"))
        }


def rows_of(data_dir: Path, dataset: str) -> list[tuple[Any, ...]]:
    with Catalog(data_dir) as catalog, catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.sample_id, s.file_name, a.ann_id, a.label, a.x, a.y FROM samples s "
            "JOIN datasets d USING (dataset_id) LEFT JOIN annotations a USING (sample_id) "
            "WHERE d.name = ? ORDER BY ALL",
            [dataset],
        ).fetchall()


def test_an_undone_delete_of_the_highest_ids_meets_no_new_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco_source(tmp_path / "src", "segm")
    data = ingest_source(capsys, tmp_path / "src", tmp_path / "vl")
    before = rows_of(data, "src")
    top_sample = max(r[0] for r in before)
    view = json.dumps({"sample": {"sample_id": {"in": [top_sample]}}})
    code, out = run_cli(capsys, data, "delete-samples", "src", "--filter", view, "--yes")
    assert code == 0 and out["samples"] == 1, out
    # another dataset and a drawn object take new ids meanwhile
    code, out = run_cli(capsys, data, "ingest", str(tmp_path / "src" / "gt.json"), "--name",
                        "other", "--images", str(tmp_path / "src" / "images"))  # fmt: skip
    assert code == 0, out
    other = rows_of(data, "other")
    assert min(r[0] for r in other) > top_sample
    assert min(r[2] for r in other if r[2] is not None) > max(r[2] for r in before if r[2])
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "add", "sample_id": before[0][0], "label": before[0][3],
                                "bbox": [1, 1, 5, 5]}]))  # fmt: skip
    code, out = run_cli(capsys, data, "edit", "src", "--ops", str(ops))
    assert code == 0, out
    code, out = run_cli(capsys, data, "undo", "src")  # the add
    assert code == 0, out
    code, out = run_cli(capsys, data, "undo", "src")  # the delete
    assert code == 0, out
    assert rows_of(data, "src") == before
    for total, distinct, _ in ids(data).values():
        assert total == distinct
