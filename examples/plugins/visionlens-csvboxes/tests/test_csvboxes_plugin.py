"""The csvboxes plugin, installed: a CSV written here is auto-detected and ingested (server
job and CLI) with exact sample and box counts, and its bad rows are in the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image

ROWS = [
    "image,label,x,y,w,h,note",
    "a.jpg,cat,1,2,10,20,",
    "a.jpg,dog,5,5,8,8,",
    "b.jpg,cat,0,0,30,10,x",
    "b.jpg,cat,zero,0,3,3,",  # bad: not a number
    "c.jpg,,,,,,",  # an image without boxes
    "d.jpg,dog,1,1,0,4,",  # bad: empty box
]


def write_csv(root: Path) -> Path:
    for name, size in (
        ("a.jpg", (64, 48)),
        ("b.jpg", (32, 32)),
        ("c.jpg", (40, 20)),
        ("d.jpg", (16, 16)),
    ):
        Image.new("RGB", size, (90, 120, 150)).save(root / name)
    path = root / "boxes.csv"
    path.write_text("\n".join(ROWS) + "\n")
    return path


def check_report(report: dict[str, Any]) -> None:
    bad = [e for e in report["errors"] if e["code"] == "bad_row"]
    assert len(bad) == 1 and bad[0]["count"] == 2
    assert any("line 5" in example for example in bad[0]["examples"])
    assert any("line 7" in example for example in bad[0]["examples"])


async def test_a_csv_ingests_through_the_server(api: Any, wait_job: Any, tmp_path: Path) -> None:
    status, listing = await api("GET", "plugins")
    plugin = next(p for p in listing["plugins"] if p["name"] == "csvboxes")
    assert (plugin["status"], plugin["hooks"]) == ("loaded", ["ingest_formats"])

    source = write_csv(tmp_path)
    status, answer = await api("POST", "datasets", {"source": str(source), "name": "boxes"})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert (job["result"]["samples"], job["result"]["annotations"]) == (4, 3)
    check_report(job["result"])

    status, dataset = await api("GET", "datasets/boxes")
    assert dataset["format"] == "csv-boxes"
    assert (dataset["num_samples"], dataset["num_annotations"]) == (4, 3)
    status, page = await api("GET", "datasets/boxes/samples", params={"limit": 10})
    by_name = {s["file_name"]: s for s in page["samples"]}
    assert (by_name["a.jpg"]["width"], by_name["a.jpg"]["height"]) == (64, 48)
    assert sorted(len(s["annotations"]) for s in page["samples"]) == [0, 0, 1, 2]

    # the format can be named too
    status, answer = await api(
        "POST", "datasets", {"source": str(source), "name": "named", "format": "csv-boxes"}
    )
    assert status == 202 and (await wait_job(answer["job"]))["status"] == "done"


def test_the_cli_detects_and_ingests_a_csv(tmp_path: Path, installed_plugin: str | None) -> None:
    source = write_csv(tmp_path)
    env = dict(os.environ, VISIONLENS_PLUGIN_FOLDER="off")
    if installed_plugin:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [installed_plugin, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "ingest", str(source), "--name", "cli",
         "--data-dir", str(tmp_path / "data"), "--json"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    assert (result["samples"], result["annotations"], result["categories"]) == (4, 3, 2)
    check_report(result)


def test_foreign_files_are_not_claimed(tmp_path: Path) -> None:
    from visionlens_csvboxes import looks_like_csv_boxes

    other = tmp_path / "other.csv"
    other.write_text("file,class\n")
    assert not looks_like_csv_boxes(str(other))
    assert not looks_like_csv_boxes(str(tmp_path))
    assert looks_like_csv_boxes(str(write_csv(tmp_path)))
