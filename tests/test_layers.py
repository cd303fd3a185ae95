"""One concern per folder: the parse side never imports DuckDB or the catalog.

Parsers run in spawned worker processes; importing the catalog there would cost start-up time
and memory in every worker, and would let parse code reach the one catalog only the server
may open. Each check runs in a fresh interpreter, so modules other tests imported do not
hide an import.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import visionlens_jlab.ingest
import visionlens_jlab.records

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("duckdb", "visionlens_jlab.catalog")


def parse_modules() -> list[str]:
    """Every module under ``visionlens_jlab/ingest/`` and ``visionlens_jlab/records/``,
    subpackages included, and the module the ingest worker process runs."""
    found = [
        m.name
        for m in pkgutil.walk_packages(visionlens_jlab.ingest.__path__, "visionlens_jlab.ingest.")
    ]
    records = [
        m.name
        for m in pkgutil.walk_packages(visionlens_jlab.records.__path__, "visionlens_jlab.records.")
    ]
    return ["visionlens_jlab.ingest", *found, *records, "visionlens_jlab.importing.parse_process"]


def loaded_after(code: str) -> list[str]:
    """Names of the forbidden modules loaded after running ``code`` in a fresh interpreter."""
    script = (
        f"import sys\n{code}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
        f"or m.startswith({FORBIDDEN[1]!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1].replace("'", '"')))


def test_the_walk_finds_the_parsers() -> None:
    modules = parse_modules()
    for expected in (
        "visionlens_jlab.ingest.open",
        "visionlens_jlab.records.parsed",
        "visionlens_jlab.ingest.coco.sql_source",
        "visionlens_jlab.ingest.yolo",
    ):
        assert expected in modules


def test_importing_the_parse_side_loads_no_duckdb_and_no_catalog() -> None:
    modules = parse_modules()
    imports = "\n".join(f"import {m}" for m in modules)
    assert loaded_after(imports) == []


def test_the_import_check_catches_a_catalog_import() -> None:
    # the check itself can fail: the catalog writer does import both
    assert set(loaded_after("import visionlens_jlab.catalog.writes.dataset_writer")) >= {
        "duckdb",
        "visionlens_jlab.catalog",
    }


def test_a_parse_worker_run_loads_no_duckdb_and_no_catalog(tmp_path: Path) -> None:
    # a small COCO file (under the SQL path's threshold) parsed as the worker process does
    source = tmp_path / "tiny.json"
    source.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
                "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}],
                "categories": [{"id": 1, "name": "cat"}],
            }
        )
    )
    code = (
        "from visionlens_jlab.importing.parse_process import parse_items\n"
        f"items = list(parse_items('dataset', {{'source': {str(source)!r}, 'fmt': 'coco'}}))\n"
        "assert items[0][0] == 'meta' and items[-1][0] == 'end', items\n"
        "assert sum(p.annotations.num_rows for t, p in items if t == 'batch' "
        "and p.annotations is not None) == 1"
    )
    assert loaded_after(code) == []
