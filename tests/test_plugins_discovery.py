"""Plugin discovery and the registry without a server: version rules, the folder's hub
default, disabled and duplicate plugins, declaring-hook time limits, plugin ingest formats
beside the built-in ones, the CLI, and the layer rule (no catalog on the plugin side)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest_fixtures import write_coco
from tests.plugin_fixtures import GOOD_PLUGIN, write_folder_plugins
from tests.test_layers import loaded_after
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.plugins.api import IngestFormat, SetupContext
from visionlens_jlab.plugins.discovery import (
    PluginError,
    PluginRef,
    check_api_version,
    folder_enabled,
)
from visionlens_jlab.plugins.registry import PluginRegistry, set_default_registry
from visionlens_jlab.records.parsed import ParsedSource
from visionlens_jlab.records.report import IngestError


def test_api_versions_major_must_match_and_minor_may_be_older() -> None:
    check_api_version("1.0")
    with pytest.raises(PluginError, match="newer than this VisionLens"):
        check_api_version("1.1")
    with pytest.raises(PluginError, match="2.0 is not supported"):
        check_api_version("2.0")
    with pytest.raises(PluginError, match="0.9 is not supported"):
        check_api_version("0.9")
    for bad in ("1", "one", None, 1.0):
        with pytest.raises(PluginError, match="major.minor"):
            check_api_version(bad)


def test_the_folder_is_off_under_jupyterhub_unless_forced() -> None:
    hub = {"JUPYTERHUB_API_TOKEN": "x"}
    prefix = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ann/"}
    assert folder_enabled("auto", {}) is True
    assert folder_enabled("auto", hub) is False
    assert folder_enabled("auto", prefix) is False
    assert folder_enabled("on", hub) is True
    assert folder_enabled("off", {}) is False
    with pytest.raises(ValueError):
        folder_enabled("maybe", {})


def folder_registry(folder: Path, **kw: object) -> PluginRegistry:
    registry = PluginRegistry(**kw)  # type: ignore[arg-type]
    for path in sorted(folder.glob("*.py")):
        registry.load(PluginRef("folder", str(path), path.stem))
    return registry


def test_disabled_duplicate_and_clashing_plugins(tmp_path: Path) -> None:
    (tmp_path / "a_aspect.py").write_text(GOOD_PLUGIN)
    (tmp_path / "b_same_name.py").write_text(GOOD_PLUGIN)  # also named "aspect"
    (tmp_path / "c_clash.py").write_text(
        GOOD_PLUGIN.replace('name = "aspect"', 'name = "clash"')
    )  # same field names, another plugin
    (tmp_path / "d_off.py").write_text("raise SystemExit('imported although disabled')\n")
    registry = folder_registry(tmp_path, disabled=("d_off",))
    records = {r.ref.label: r for r in registry.records.values()}
    assert records["a_aspect"].status == "loaded"
    assert records["b_same_name"].status == "failed"
    assert "another plugin is named 'aspect'" in str(records["b_same_name"].error)
    assert "already provided by plugin aspect" in str(records["c_clash"].error)
    assert (records["d_off"].status, records["d_off"].error) == ("disabled", None)
    assert set(registry.fields) == {"aspect_ratio", "aspect_class"}


def test_a_declaring_hook_past_its_limit_fails_its_plugin_only(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(
        "import time\n"
        "class P:\n    name='slow'\n    version='1'\n    api_version='1.0'\n"
        "    def ingest_formats(self, *, context):\n        time.sleep(30)\n"
        "plugin = P()\n"
    )
    (tmp_path / "zgood.py").write_text(GOOD_PLUGIN)
    registry = folder_registry(tmp_path, timeout_s=0.3)
    records = {r.name: r for r in registry.records.values()}
    assert records["slow"].status == "failed"
    assert "ingest_formats of plugin slow did not return within its time limit" in str(
        records["slow"].error
    )
    assert records["aspect"].status == "loaded"


class _GreedyFormats:
    """Claims every path; its parser cannot open anything."""

    name = "greedy"
    version = "1"
    api_version = "1.0"

    def ingest_formats(self, *, context: SetupContext) -> list[IngestFormat]:
        def fail(**_: object) -> ParsedSource:
            raise RuntimeError("cannot parse")

        return [IngestFormat("greedy-format", lambda path: True, fail)]


@pytest.fixture
def greedy_registry(tmp_path: Path) -> Iterator[PluginRegistry]:
    module = tmp_path / "greedy.py"
    module.write_text(
        "from tests.test_plugins_discovery import _GreedyFormats\nplugin = _GreedyFormats()\n"
    )
    registry = PluginRegistry()
    registry.load(PluginRef("folder", str(module), "greedy"))
    set_default_registry(registry)
    yield registry
    set_default_registry(None)


def test_plugin_formats_never_take_builtin_sources(
    greedy_registry: PluginRegistry, tmp_path: Path
) -> None:
    assert greedy_registry.records["greedy"].status == "loaded"
    coco = tmp_path / "c.json"
    write_coco(coco, 2, 1)
    assert open_dataset(str(coco)).format == "coco"
    other = tmp_path / "boxes.xyz"
    other.write_text("whatever")
    with pytest.raises(IngestError, match="format greedy-format of plugin greedy could not open"):
        open_dataset(str(other))
    with pytest.raises(IngestError, match="use auto or one of .*greedy-format"):
        open_dataset(str(other), "nope")


def run_cli(*args: str, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *args, "--json"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


@pytest.mark.slow
def test_cli_lists_plugins_and_computes_a_field_without_a_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_folder_plugins(data / "plugins")
    env = dict(os.environ, VISIONLENS_PLUGIN_FOLDER="on")
    env.pop("JUPYTERHUB_API_TOKEN", None)
    env.pop("VISIONLENS_DATA_DIR", None)
    document = run_cli("plugins", "--data-dir", str(data), env=env)  # its plugins folder
    env["VISIONLENS_DATA_DIR"] = str(data)
    assert document["api_version"] == "1.0"
    statuses = {p["name"]: p["status"] for p in document["plugins"]}  # type: ignore[attr-defined]
    assert statuses["aspect"] == "loaded" and statuses["future"] == "failed"

    coco = tmp_path / "c.json"
    write_coco(coco, 5, 1)
    run_cli("ingest", str(coco), "--name", "five", env=env)
    result = run_cli("plugin-field", "five", "--plugin", "aspect", env=env)
    assert result["fields"] == {"aspect_ratio": 5, "aspect_class": 5}

    hub_env = dict(env, VISIONLENS_PLUGIN_FOLDER="auto", JUPYTERHUB_API_TOKEN="x")
    names = {p["name"] for p in run_cli("plugins", env=hub_env)["plugins"]}  # type: ignore[attr-defined]
    assert "aspect" not in names  # the folder is off under JupyterHub


def test_the_plugin_side_imports_no_catalog() -> None:
    modules = ("api", "discovery", "registry", "field_compute")
    assert loaded_after("\n".join(f"import visionlens_jlab.plugins.{m}" for m in modules)) == []
