"""Exports through a running server: ``visionlens export`` when a server owns the data
directory, and ``ds.export(...)`` in a real kernel. Both queue the server's export job, wait
for it and give back its result; a refusal is one clear line, never a traceback."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import coco_counts, leftovers, server_source
from tests.notebook_fixtures import running_kernel


@pytest.fixture
def src(vl_app: Any, http_server_client: Any, tmp_path: Path) -> dict[str, Any]:
    """Dataset ``src`` on a server that listens (``http_server_client``): the CLI and the
    kernel reach it through ``server.json`` and the exported variables."""
    return server_source(vl_app, tmp_path / "src")


async def _cli(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """``python -m visionlens_jlab.cli ARGS`` in a child process: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "visionlens_jlab.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "VISIONLENS_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def _export_jobs(app: Any) -> list[Any]:
    return [j for j in app.jobs.list() if j.kind == "export"]


async def test_the_cli_exports_through_the_server(
    vl_app: Any, vl_data_dir: Path, src: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "coco"
    code, stdout, err = await _cli(
        vl_data_dir, "export", "src", "--format", "coco", "--out", str(out), "--json"
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert result == {
        "out": str(out), "format": "coco", "samples": 8,
        "annotations": len(src["annotations"]), "files": 9, "refused": 0, "bad_names": 0,
        "skipped": [],
    }  # fmt: skip
    assert coco_counts(out / "labels.json") == (8, len(src["annotations"]))
    [job] = _export_jobs(vl_app)  # the server ran it: the CLI did not open the catalog
    assert job.status == "done" and job.result == result

    code, stdout, err = await _cli(
        vl_data_dir, "export", "src", "--format", "yolo", "--out", str(out)
    )
    assert code == 1
    assert "is not empty: pass --overwrite" in err and "Traceback" not in err
    assert len(_export_jobs(vl_app)) == 1  # refused before a job


async def test_a_failed_server_export_is_the_clis_error(
    vl_app: Any, vl_data_dir: Path, src: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "src" / "images" / src["images"][0]["file_name"]).unlink()
    out = tmp_path / "broken"
    code, stdout, err = await _cli(
        vl_data_dir, "export", "src", "--format", "voc", "--out", str(out), "--json"
    )
    assert code == 1
    assert json.loads(stdout)["errors"][0]["message"].startswith("cannot copy the image ")
    assert "Traceback" not in err
    assert leftovers(tmp_path, "broken") == []


async def test_the_notebook_exports_a_view(
    vl_app: Any, src: dict[str, Any], tmp_path: Path
) -> None:
    val_ids = {im["id"] for im in src["images"] if im["split"] == "val"}
    val_anns = sum(a["image_id"] in val_ids for a in src["annotations"])
    async with running_kernel() as k:
        out = await k.check(
            "import json, os, visionlens_jlab.notebook as vl\n"
            f"os.chdir({str(tmp_path)!r})\n"
            "ds = vl.dataset('src')\n"
            "r = ds.export('nb/coco', filter={'sample': {'split': {'in': ['val']}}},\n"
            "              progress=False)\n"
            "print(json.dumps(r))\n"
        )
        result = json.loads(out.strip().splitlines()[-1])
        assert result == {
            "out": str(tmp_path / "nb" / "coco"), "format": "coco", "samples": len(val_ids),
            "annotations": val_anns, "files": len(val_ids) + 1, "refused": 0, "bad_names": 0,
            "skipped": [],
        }  # fmt: skip
        assert coco_counts(tmp_path / "nb" / "coco" / "labels.json") == (len(val_ids), val_anns)
        answer = await k.execute(
            "ds.export('nb/other', format='yolo', classes='nope', progress=False)"
        )
        assert answer["error"].startswith("VisionLensError: unknown classes 'nope'")
        answer = await k.execute("ds.export('nb/coco', format='yolo', progress=False)")
        assert "is not empty" in answer["error"] and "overwrite=True" in answer["error"]
        answer = await k.execute(f"ds.export({str(tmp_path / 'nb' / 'y')!r}, format='yolo')")
        assert answer["error"] is None and "'format': 'yolo'" in answer["result"], answer
    assert (tmp_path / "nb" / "y" / "data.yaml").is_file()
