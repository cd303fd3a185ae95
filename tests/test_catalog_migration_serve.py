"""Old data directories served, exported and extended: what the other migration tests do not
ask of them.

* the Jupyter server is started on the version 25 catalog of ``fixtures/catalog_v25`` (it
  migrates the file as it opens it) and serves its datasets, pages, facets and videos as the
  old code gave them;
* the CLI exports a view of that catalog and the selection the old code stored;
* ``embeddings-import`` writes a new space into the vector store the pre-migration code of
  ``fixtures/old_catalog`` wrote, and that store's own space still answers as it did.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import samples_page

from .cli_fixtures import cli
from .conftest import ApiCall

FIXTURES = Path(__file__).resolve().parent / "fixtures"
V25: dict[str, Any] = json.loads((FIXTURES / "catalog_v25" / "expected.json").read_text())
OLD: dict[str, Any] = json.loads((FIXTURES / "old_catalog" / "expected.json").read_text())


def unpack(fixture: str, into: Path) -> Path:
    """A fixture's packed data directory, unpacked under ``into``; returns it."""
    with tarfile.open(FIXTURES / fixture / "data.tar.gz") as tar:
        tar.extractall(into, filter="data")
    return into / "data"


@pytest.fixture
def vl_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test server's data directory: the version 25 catalog, unpacked."""
    data = unpack("catalog_v25", tmp_path)
    monkeypatch.setenv("VISIONLENS_DATA_DIR", str(data))
    return data


def ids(page: dict[str, Any]) -> list[int]:
    """The sample ids of a page, in order."""
    return [sample["sample_id"] for sample in page["samples"]]


async def test_the_server_serves_a_version_25_catalog_it_migrated(api: ApiCall) -> None:
    status, listing = await api("GET", "datasets")
    assert status == 200, listing
    assert sorted(d["name"] for d in listing["datasets"]) == sorted(V25["datasets"])
    for name, old_page in V25["pages"].items():
        status, page = await api("GET", f"datasets/{name}/samples", params={"limit": "2"})
        assert status == 200, page
        assert (page["total"], ids(page)) == (old_page["total"], ids(old_page))
        status, facets = await api("GET", f"datasets/{name}/facets")
        assert status == 200, facets
        assert facets["total"] == V25["facets"][name]["total"]
    status, videos = await api("GET", "datasets/mot/videos")
    assert status == 200, videos
    assert [v["name"] for v in videos["videos"]] == [v["name"] for v in V25["videos"]]


def test_a_version_25_catalog_exports_a_view_and_its_old_selection(tmp_path: Path) -> None:
    data = unpack("catalog_v25", tmp_path)
    every = cli(data, "export", "coco", "--format", "coco", "--out", str(tmp_path / "all"),
                "--images", "none")  # fmt: skip
    assert every["samples"] == V25["pages"]["coco"]["total"]
    selection = V25["selection"]
    chosen = cli(data, "export", "coco", "--format", "coco", "--out", str(tmp_path / "sel"),
                 "--selection", str(selection["id"]), "--images", "none")  # fmt: skip
    assert chosen["samples"] == len(selection["sample_ids"])
    with Catalog(data) as catalog:
        pages = samples_page(catalog, "coco", None, limit=100)["samples"]
    names = {s["file_name"] for s in pages if s["sample_id"] in selection["sample_ids"]}
    written = json.loads((tmp_path / "sel" / "labels.json").read_text())
    assert {image["file_name"] for image in written["images"]} == names
    source = json.loads((data.parent / "sources" / "coco" / "instances.json").read_text())
    exported = json.loads((tmp_path / "all" / "labels.json").read_text())
    was_cat = V25["edited"]["label"] == "cat"
    assert cats(exported) == cats(source) + (not was_cat)  # the old code's relabel to a cat


def cats(coco: dict[str, Any]) -> int:
    """How many objects of a COCO file are cats."""
    cat = {c["id"] for c in coco["categories"] if c["name"] == "cat"}
    return sum(a["category_id"] in cat for a in coco["annotations"])


def test_embeddings_import_into_the_vector_store_the_old_code_wrote(tmp_path: Path) -> None:
    data = unpack("old_catalog", tmp_path)
    with Catalog(data) as catalog:
        samples = samples_page(catalog, "demo", None, limit=100)["samples"]
    names = [s["file_name"] for s in samples]
    vectors = np.random.default_rng(3).random((len(names), 8), dtype=np.float32)
    table = pa.table({"file_name": names, "embedding": vectors.tolist()})
    pq.write_table(table, tmp_path / "v.parquet")
    out = cli(data, "embeddings-import", "demo", str(tmp_path / "v.parquet"), "--space", "mine",
              "--key", "file_name")  # fmt: skip
    assert out["imported"] == len(names)
    first = samples[0]["sample_id"]
    mine = cli(data, "search", "demo", "--like", str(first), "--k", "3", "--model", "mine")
    assert mine["results"][0]["sample_id"] == first  # its own vector, the one imported
    # the newest vectors are the default since: the old space is named to be asked
    own = cli(data, "search", "demo", "--like", str(first), "--k", "5", "--model",
              OLD["search"]["model"])  # fmt: skip
    assert (own["space"], own["results"]) == (OLD["search"]["space"], OLD["search"]["results"])
