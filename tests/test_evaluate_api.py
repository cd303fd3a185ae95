"""The evaluation REST API (real Jupyter server) and the ``visionlens evaluate`` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog

from .evaluate_fixtures import write_scene


@pytest.fixture
def scene(vl_app: Any) -> str:
    write_scene(vl_app.catalog)
    return "scene"


async def test_evaluation_job_list_and_report(api: Any, wait_job: Any, scene: str) -> None:
    status, body = await api(
        "POST", f"datasets/{scene}/evaluations", {"model": "m1", "protocol": "coco", "iou": 0.5}
    )
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job
    key = job["result"]["key"]
    assert job["result"]["counts"]["fp"] == 4

    status, listed = await api("GET", f"datasets/{scene}/evaluations")
    assert status == 200
    assert [e["key"] for e in listed["evaluations"]] == [key]
    assert set(listed["evaluations"][0]["stats"]) >= {"AP", "AP50", "ARlarge"}

    status, report = await api("GET", f"datasets/{scene}/evaluations/{key}")
    assert status == 200
    assert report["protocol"] == "coco" and report["model"] == "m1"
    labels = report["confusion"]["labels"]
    assert labels[-1] == "background"
    matrix = report["confusion"]["matrix"]
    assert matrix[labels.index("dog")][labels.index("cat")] == 1
    assert {r["class"] for r in report["per_class"]} == {"cat", "dog", "person"}
    curve = report["pr_curves"]["cat"]
    assert len(curve["recall"]) == len(curve["precision"]) == 101

    # The grid's filter sees the per-box results.
    flt = {"labels": {"source": "m1", "eval": {"status": ["fp"], "error": ["background"]}}}
    status, page = await api("POST", f"datasets/{scene}/samples/query", {"filter": flt})
    assert status == 200 and page["total"] == 1


async def test_evaluation_bad_requests(api: Any, scene: str) -> None:
    cases = [
        ({}, 400, "model"),
        ({"model": "m1", "protocol": "yolo"}, 400, "protocol"),
        ({"model": "m1", "iou": 2}, 400, "iou"),
        ({"model": "m1", "plus_one": "yes"}, 400, "plus_one"),
        ({"model": "m9"}, 404, "m9"),
    ]
    for body, code, word in cases:
        status, answer = await api("POST", f"datasets/{scene}/evaluations", body)
        assert status == code, (body, answer)
        assert word in json.dumps(answer)
    status, _ = await api("POST", "datasets/nope/evaluations", {"model": "m1"})
    assert status == 404
    status, _ = await api("GET", f"datasets/{scene}/evaluations/missing-key")
    assert status == 404


def _run_cli(monkeypatch: pytest.MonkeyPatch, capsys: Any, argv: list[str]) -> tuple[int, str, str]:
    if "visionlens_jlab.cli.evaluate" not in cli.EXTENSION_COMMAND_MODULES:
        monkeypatch.setattr(
            cli,
            "EXTENSION_COMMAND_MODULES",
            [*cli.EXTENSION_COMMAND_MODULES, "visionlens_jlab.cli.evaluate"],
        )
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_evaluate_local(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_scene(catalog)
    code, out, _ = _run_cli(
        monkeypatch,
        capsys,
        [
            "evaluate",
            "scene",
            "--model",
            "m1",
            "--protocol",
            "voc",
            "--plus-one",
            "--data-dir",
            str(data),
            "--json",
        ],
    )
    assert code == 0
    report = json.loads(out)
    assert report["protocol"] == "voc" and report["params"]["plus_one"] is True
    assert set(report["stats"]) == {"mAP", "mAP_11point"}

    code, out, err = _run_cli(
        monkeypatch, capsys, ["evaluate", "scene", "--model", "nope", "--data-dir", str(data)]
    )
    assert code == 1 and "no model 'nope'" in err and "Traceback" not in err
    code, out, err = _run_cli(
        monkeypatch,
        capsys,
        ["evaluate", "scene", "--model", "m1", "--iou", "0", "--data-dir", str(data)],
    )
    assert code == 2 and "iou" in err


async def test_cli_evaluate_goes_through_the_running_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    """With a live server owning the data dir, the command runs as a server job."""
    write_scene(vl_app.catalog)
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "visionlens_jlab.cli", "evaluate", "scene", "--model", "m1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert "COCO evaluation of 'm1' on 'scene'" in text and "TP 2  FP 4  FN 1" in text
    from visionlens_jlab.evaluate import list_evaluations

    assert [e["key"] for e in list_evaluations(vl_app.catalog, "scene")] == ["m1--coco-iou0.5"]


def test_release_freed_memory_keeps_the_memory_limit(tmp_path: Any) -> None:
    """Handing DuckDB's freed memory back re-applies the limit, never changes it; while a
    writer holds the write lock it does nothing (and does not wait for it)."""
    from visionlens_jlab.evaluate.api import release_freed_memory

    def limit(catalog: Catalog) -> str:
        with catalog.cursor() as cur:
            return str(cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    with Catalog(tmp_path / "c", memory_limit="300MB") as catalog:
        before = limit(catalog)
        release_freed_memory(catalog)
        assert limit(catalog) == before
        with catalog.write():
            release_freed_memory(catalog)
        assert limit(catalog) == before
    with Catalog(tmp_path / "c") as catalog:  # DuckDB's default limit
        before = limit(catalog)
        release_freed_memory(catalog)
        assert limit(catalog) == before
