"""The CLI works whether or not a server owns the data dir, and never shows a lock error raw."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource, toy_rows


async def run_cli(*args: str, data_dir: Path) -> tuple[int, str, str]:
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(data_dir)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "visionlens_jlab.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_goes_through_the_running_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    # http_server_client makes pytest-jupyter actually serve on the port in server.json.
    samples, boxes, classes = toy_rows()
    write_dataset(vl_app.catalog, "toy", RowsSource(samples, boxes, classes))
    assert (vl_data_dir / "server.json").exists()
    code, out, err = await run_cli("datasets", "--json", data_dir=vl_data_dir)
    assert code == 0, err
    assert [d["name"] for d in json.loads(out)["datasets"]] == ["toy"]
    code, out, err = await run_cli("delete", "toy", data_dir=vl_data_dir)
    assert code == 0, err
    assert vl_app.catalog.list_datasets() == []
    code, out, err = await run_cli("delete", "toy", "--json", data_dir=vl_data_dir)
    assert code == 1
    assert "no dataset named 'toy'" in err and "Traceback" not in err
    assert json.loads(out)["errors"][0]["message"]


def test_cli_without_server_opens_the_catalog(tmp_path: Path) -> None:
    samples, boxes, classes = toy_rows()
    with Catalog(tmp_path) as catalog:
        write_dataset(catalog, "toy", RowsSource(samples, boxes, classes))
    result = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "datasets", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("toy")


def test_listing_an_empty_data_folder_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "elsewhere"
    result = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "datasets", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"no datasets in {data_dir}" in result.stdout
    assert "--data-dir" in result.stdout and "VISIONLENS_DATA_DIR" in result.stdout
    assert not data_dir.exists()


def test_cli_says_what_to_do_when_another_process_holds_the_catalog(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from visionlens_jlab.catalog import Catalog; "
            "from visionlens_jlab.features import load; load(); "
            f"c = Catalog({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", "datasets", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert time.monotonic() - start < 30
        assert result.returncode == 3
        assert "in use by another process" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()
