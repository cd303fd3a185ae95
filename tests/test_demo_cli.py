"""``visionlens demo`` through the real CLI: generate, ingest, idempotent rerun, --force."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.cli import main

pytest.importorskip("visionlens_jlab.ingest.open", reason="the ingest parsers have not landed")

N = 120


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["demo", *argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real ``python -m visionlens_jlab.cli demo`` run in a fresh data dir."""
    data_dir = tmp_path_factory.mktemp("vl") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISIONLENS_")}
    proc = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "demo", "--images", str(N),
         "--data-dir", str(data_dir), "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    coco = json.loads(Path(result["files"]["annotations"]).read_text())
    preds = json.loads(Path(result["files"]["predictions"]).read_text())
    return {"data_dir": data_dir, "result": result, "coco": coco, "preds": preds}


def test_demo_ingests_with_the_expected_counts(ingested: dict[str, Any]) -> None:
    result, coco, preds = ingested["result"], ingested["coco"], ingested["preds"]
    assert result["dataset"] == "demo" and result["created"] is True
    assert result["samples"] == N == len(coco["images"])
    # labels of every type: the objects and one ground-truth image label per image
    assert result["annotations"] == len(coco["annotations"]) + N
    stars = sum(1 for a in coco["annotations"] if "keypoints" in a)
    assert result["label_types"] == {
        "boxes": len(coco["annotations"]), "rotated_boxes": 0, "polylines": 0, "masks": len(coco["annotations"]),
        "label_maps": 0,
        "keypoints": stars, "classifications": N,
    }  # fmt: skip
    assert 0 < stars < len(coco["annotations"])
    assert result["categories"] == 8
    assert result["model"] == "simulated-model, simulated-shape-classifier"
    # every detection and every image's classification found its image
    assert result["predictions"] == len(preds) + N
    assert result["errors"] == [] and result["warnings"] == []
    files = result["files"]
    assert Path(files["images"]) == ingested["data_dir"] / "demo-sources" / "demo" / "images"
    assert json.loads(Path(files["blind_spots"]).read_text())["images"] == N
    embeddings = result["embeddings"]  # the offline demo has vectors by default
    assert (embeddings["model"], embeddings["embedded"], embeddings["failed"]) == (
        "builtin-color-gradient",
        N,
        0,
    )


def test_demo_rows_in_the_catalog(ingested: dict[str, Any]) -> None:
    with Catalog(ingested["data_dir"]) as catalog, catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "demo")
        scenes = {
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT json_extract_string(fields, '$.scene') FROM samples "
                "WHERE dataset_id = ?", [ds],
            ).fetchall()
        }  # fmt: skip
        sources = dict(
            cur.execute(
                "SELECT source, COUNT(*) FROM annotations WHERE dataset_id = ? GROUP BY source",
                [ds],
            ).fetchall()
        )
        by_label = dict(
            cur.execute(
                "SELECT label, COUNT(*) FROM annotations WHERE dataset_id = ? "
                "AND source = 'simulated-model' GROUP BY label",
                [ds],
            ).fetchall()
        )
        located = cur.execute(
            "SELECT location FROM samples WHERE dataset_id = ? ORDER BY sample_id LIMIT 1", [ds]
        ).fetchone()
    assert scenes == {"day", "dusk", "night"}
    assert sources == {
        "ground_truth": len(ingested["coco"]["annotations"]),
        "simulated-model": len(ingested["preds"]),
    }
    assert located is not None and Path(located[0]).is_file()
    with Catalog(ingested["data_dir"]) as catalog:
        info = catalog.get_dataset("demo")
    models = {m["name"]: m["label_types"] for m in info["models"]}
    with_keypoints = sum(1 for p in ingested["preds"] if "keypoints" in p)
    assert models == {
        "simulated-model": {"boxes": len(ingested["preds"]), "rotated_boxes": 0, "polylines": 0, "masks": len(ingested["preds"]),
                            "label_maps": 0,
                            "keypoints": with_keypoints, "classifications": 0},
        "simulated-shape-classifier": {"boxes": 0, "rotated_boxes": 0, "polylines": 0, "masks": 0, "label_maps": 0, "keypoints": 0,
                                 "classifications": N},
    }  # fmt: skip
    assert 0 < with_keypoints < len(ingested["preds"])
    # predictions name classes by COCO category id: each must land on the right class name
    names = {c["id"]: c["name"] for c in ingested["coco"]["categories"]}
    assert by_label == dict(Counter(names[p["category_id"]] for p in ingested["preds"]))


def test_demo_split_comes_from_the_per_image_key(ingested: dict[str, Any]) -> None:
    """The COCO parser maps an image's ``split`` key to the sample's split column."""
    with Catalog(ingested["data_dir"]) as catalog, catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "demo")
        splits = dict(
            cur.execute(
                "SELECT split, COUNT(*) FROM samples WHERE dataset_id = ? GROUP BY split", [ds]
            ).fetchall()
        )
    assert splits == dict(Counter(img["split"] for img in ingested["coco"]["images"]))


def test_rerun_without_force_changes_nothing(
    ingested: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(ingested["data_dir"])
    code, result = _run(capsys, "--images", str(N), "--data-dir", data_dir)
    assert code == 0
    assert result["created"] is False and "--force" in result["message"]
    assert result["samples"] == N and result["predictions"] == ingested["result"]["predictions"]
    assert (result["embeddings"]["embedded"], result["embeddings"]["skipped"]) == (0, N)
    code, skipped = _run(capsys, "--images", str(N), "--data-dir", data_dir, "--no-embed")
    assert code == 0 and "embeddings" not in skipped


def test_force_replaces_the_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(tmp_path / "data")
    code, first = _run(capsys, "--images", "30", "--name", "mini", "--data-dir", data_dir)
    assert code == 0 and first["samples"] == 30
    code, second = _run(
        capsys, "--images", "40", "--seed", "5", "--name", "mini", "--data-dir", data_dir,
        "--force",
    )  # fmt: skip
    assert code == 0 and second["created"] is True and second["samples"] == 40
    # the new dataset takes the old one's ids: none may keep the old images' vectors
    assert (first["embeddings"]["embedded"], second["embeddings"]["embedded"]) == (30, 40)
    coco = json.loads(Path(second["files"]["annotations"]).read_text())
    # the objects and one image label per image
    assert second["annotations"] == len(coco["annotations"]) + 40
    with Catalog(tmp_path / "data") as catalog:
        (ds,) = catalog.list_datasets()
    assert ds["name"] == "mini" and ds["num_samples"] == 40
    assert ds["num_annotations"] == len(coco["annotations"]) + 40


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--name", "no/slashes", "--data-dir", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert "invalid dataset name" in json.loads(captured.out)["errors"][0]["message"]
    assert "Traceback" not in captured.err
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--images", "0", "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    assert "positive number of images" in capsys.readouterr().err


async def test_demo_through_a_running_server(vl_app: Any, vl_data_dir: Path, api: Any) -> None:
    """With JupyterLab owning the catalog, the CLI generates the files and the server ingests."""
    assert (vl_data_dir / "server.json").exists()
    # requesting `api` (jp_fetch) is what makes pytest-jupyter's server listen on its port
    assert (await api("GET", "datasets"))[0] == 200
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)}

    async def demo(*args: str) -> tuple[int, dict[str, Any], str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "visionlens_jlab.cli", "demo", "--images", "40", "--json",
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        out, err = await proc.communicate()
        return proc.returncode or 0, json.loads(out), err.decode()

    code, result, err = await demo()
    assert code == 0, err
    coco = json.loads(Path(result["files"]["annotations"]).read_text())
    (ds,) = vl_app.catalog.list_datasets()
    assert ds["name"] == "demo" and ds["num_samples"] == 40 == result["samples"]
    # through the server too, the image labels go in with the objects
    assert ds["num_annotations"] == len(coco["annotations"]) + 40 == result["annotations"]
    assert [m["name"] for m in ds["models"]] == ["simulated-model", "simulated-shape-classifier"]
    assert ds["models"][1]["num_predictions"] == 40
    assert sum(m["num_predictions"] for m in ds["models"]) == result["predictions"] > 40
    preds = json.loads(Path(result["files"]["predictions"]).read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    with vl_app.catalog.cursor() as cur:
        by_label = dict(
            cur.execute(
                "SELECT label, COUNT(*) FROM annotations WHERE source = 'simulated-model' "
                "GROUP BY label"
            ).fetchall()
        )
    assert by_label == dict(Counter(names[p["category_id"]] for p in preds))
    assert result["embeddings"]["embedded"] == 40  # computed by the server's embedding job
    assert vl_app.vector_store().count(result["embeddings"]["space"]) == 40
    code, again, err = await demo()
    assert code == 0 and again["created"] is False, err
    assert (again["dataset"], again["samples"]) == ("demo", 40)  # counts read from the server
    code, forced, err = await demo("--force", "--seed", "2")
    assert code == 0 and forced["created"] is True, err
    new_coco = json.loads(Path(forced["files"]["annotations"]).read_text())
    assert new_coco["info"]["seed"] == 2
    (ds,) = vl_app.catalog.list_datasets()
    assert ds["num_annotations"] == forced["annotations"] == len(new_coco["annotations"]) + 40


def test_held_catalog_is_a_clear_error_via_python_m(tmp_path: Path) -> None:
    """``python -m visionlens_jlab.cli demo`` on a catalog held by another process: exit 3, no
    traceback (the error raised by the shared CLI helpers must be caught as such)."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from visionlens_jlab.catalog import Catalog; "
         "from visionlens_jlab.features import load; load(); "
         f"c = Catalog({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        proc = subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", "demo", "--images", "5",
             "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 3, proc.stderr
    assert "in use by another process" in proc.stderr
    assert "Traceback" not in proc.stderr
