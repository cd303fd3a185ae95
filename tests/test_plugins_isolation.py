"""Broken plugins are isolated: on a real Jupyter server with a good plugin and one broken
plugin of each kind (import error, wrong api_version, a declaring hook that raises, a field
hook that raises, a field hook that sleeps past its limit), the good plugin loads and
computes, each broken one is listed with its error, and datasets and samples still serve."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import write_coco
from tests.plugin_fixtures import write_distribution, write_folder_plugins

TIME_LIMIT_S = 2.0


@pytest.fixture
def plugin_site(tmp_path: Path) -> Iterator[Path]:
    """Installed distributions: one whose module fails to import, one entry point whose
    attribute is missing. On ``sys.path`` (spawned workers inherit it) for this test only."""
    site = tmp_path / "site"
    write_distribution(
        site,
        "vl_broken_import",
        {"brokenimport": "vl_broken_import_mod:plugin"},
        {"vl_broken_import_mod.py": "import a_module_that_is_not_installed\nplugin = None\n"},
    )
    write_distribution(
        site,
        "vl_missing_attr",
        {"missingattr": "vl_missing_attr_mod:nothing_here"},
        {"vl_missing_attr_mod.py": "plugin = None\n"},
    )
    sys.path.insert(0, str(site))
    yield site
    sys.path.remove(str(site))
    for name in ("vl_broken_import_mod", "vl_missing_attr_mod"):
        sys.modules.pop(name, None)


@pytest.fixture
def vl_settings(vl_data_dir: Path, plugin_site: Path) -> dict[str, Any]:
    write_folder_plugins(vl_data_dir / "plugins")
    return {
        "plugin_folder": "on",
        "plugin_timeout_s": TIME_LIMIT_S,
        "plugin_settings": {"aspect": {"wide_above": 1.2}},
    }


async def ingest_small(api: Any, wait_job: Any, tmp_path: Path) -> None:
    source = tmp_path / "coco.json"
    write_coco(source, 12, 2, n_classes=3)
    # mixed sizes so that the aspect field has both values
    data = json.loads(source.read_text())
    for i, image in enumerate(data["images"]):
        image["width"], image["height"] = (640, 480) if i % 3 else (300, 400)
    source.write_text(json.dumps(data))
    status, answer = await api("POST", "datasets", {"source": str(source), "name": "small"})
    assert status == 202, answer
    assert (await wait_job(answer["job"]))["status"] == "done"


def by_name(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in listing["plugins"]}


async def test_broken_plugins_are_listed_and_the_rest_works(
    api: Any, wait_job: Any, tmp_path: Path
) -> None:
    status, listing = await api("GET", "plugins")
    assert status == 200
    assert (listing["api_version"], listing["supported_api_versions"]) == ("1.0", ["1"])
    plugins = by_name(listing)
    # (installed plugins, such as the examples after `make setup`, are listed too)
    assert set(plugins) >= {
        "aspect", "future", "badformats", "raises", "sleeps", "brokenimport", "missingattr"
    }  # fmt: skip

    good = plugins["aspect"]
    assert (good["status"], good["version"], good["hooks"], good["source"]) == (
        "loaded", "1.2.3", ["sample_fields"], "folder"
    )  # fmt: skip
    assert good["module"].endswith("aspect.py") and good["error"] is None

    def failed(name: str, *needles: str) -> None:
        entry = plugins[name]
        assert entry["status"] == "failed", entry
        for needle in needles:
            assert needle in entry["error"], entry

    failed("brokenimport", "ModuleNotFoundError", "a_module_that_is_not_installed")
    assert plugins["brokenimport"]["source"] == "entry_point"
    assert plugins["brokenimport"]["module"] == "vl_broken_import_mod"
    failed("missingattr", "AttributeError", "nothing_here")
    failed("future", "api_version 2.0 is not supported")
    failed("badformats", "cannot set up the formats")
    # these load; their field hooks fail only when run
    assert plugins["raises"]["status"] == plugins["sleeps"]["status"] == "loaded"

    await ingest_small(api, wait_job, tmp_path)

    for name, needle in (("raises", "no score for you"), ("sleeps", "time limit of 2 s")):
        status, answer = await api("POST", "datasets/small/plugin-fields", {"plugin": name})
        assert status == 202, answer
        job = await wait_job(answer["job"])
        assert job["status"] == "failed" and needle in job["error"], job
    _, listing = await api("GET", "plugins")
    plugins = by_name(listing)
    failed("raises", "ValueError", "no score for you")
    failed("sleeps", "did not return within its time limit")
    status, answer = await api("POST", "datasets/small/plugin-fields", {"plugin": "sleeps"})
    assert status == 400 and "failed" in answer["message"]

    # the good plugin still computes, with its own settings, and the server still serves
    status, answer = await api("POST", "datasets/small/plugin-fields", {"plugin": "aspect"})
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["result"]["fields"] == {"aspect_ratio": 12, "aspect_class": 12}
    status, facets = await api("GET", "datasets/small/facets")
    values = {f["name"]: f for f in facets["facets"]}["computed.aspect_class"]["values"]
    assert {v["value"]: v["count"] for v in values} == {"wide": 8, "narrow": 4}
    status, page = await api("GET", "datasets/small/samples", params={"limit": 50})
    assert status == 200 and page["total"] == 12
    ratios = sorted(round(s["computed"]["aspect_ratio"], 4) for s in page["samples"])
    assert ratios == sorted([0.75] * 4 + [round(640 / 480, 4)] * 8)
    status, datasets = await api("GET", "datasets")
    assert [d["name"] for d in datasets["datasets"]] == ["small"]


async def test_only_one_field_can_be_asked_for(api: Any, wait_job: Any, tmp_path: Path) -> None:
    await ingest_small(api, wait_job, tmp_path)
    status, answer = await api(
        "POST", "datasets/small/plugin-fields", {"plugin": "aspect", "field": "aspect_class"}
    )
    job = await wait_job(answer["job"])
    assert job["result"]["fields"] == {"aspect_class": 12}
    status, facets = await api("GET", "datasets/small/facets")
    names = {f["name"] for f in facets["facets"]}
    assert "computed.aspect_class" in names and "computed.aspect_ratio" not in names
    status, answer = await api("POST", "datasets/small/plugin-fields", {"plugin": "future"})
    assert status == 400 and "api_version 2.0" in answer["message"]
    status, answer = await api("POST", "datasets/small/plugin-fields", {"plugin": 3})
    assert status == 400
