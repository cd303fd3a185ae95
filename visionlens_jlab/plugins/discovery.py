"""Find plugins (entry points, the plugins folder) and import them one at a time.

Every candidate is imported and checked on its own: an import error, a missing attribute or
an unsupported ``api_version`` marks that plugin failed (with the error) and the loop goes
on. Nothing here imports the catalog: worker processes discover plugins too.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .api import API_VERSION, HOOKS, SUPPORTED_API_VERSIONS

ENTRY_POINT_GROUP = "visionlens.plugins"
FOLDER_MODULE_PREFIX = "visionlens_folder_plugins."
HUB_ENV = ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class PluginError(Exception):
    """A plugin could not be loaded or used; the message says which and why."""


@dataclass(frozen=True)
class PluginRef:
    """Where a plugin comes from, enough to load it again in a worker process."""

    source: str
    """``entry_point`` or ``folder``."""
    target: str
    """``module:attribute`` of an entry point, or the path of a folder plugin's file."""
    label: str
    """The entry point's name or the file's stem: the plugin's name until it is imported."""
    dist_version: str = ""

    @property
    def module(self) -> str:
        """The module name (entry points) or file path (folder plugins)."""
        return self.target.split(":", 1)[0] if self.source == "entry_point" else self.target


def hub_single_user(env: dict[str, str] | None = None) -> bool:
    """Whether this process is (or was started by) a JupyterHub single-user server."""
    env = dict(os.environ) if env is None else env
    return any(env.get(k) for k in HUB_ENV)


def folder_enabled(setting: str, env: dict[str, str] | None = None) -> bool:
    """``on``/``off`` as given; ``auto``: on, except under JupyterHub (only plugins installed
    in the server's environment load there)."""
    if setting not in ("auto", "on", "off"):
        raise ValueError(f"plugin folder setting must be auto, on or off, not {setting!r}")
    return setting == "on" or (setting == "auto" and not hub_single_user(env))


def find_plugins(folder: Path | None) -> list[PluginRef]:
    """Every candidate: entry points of :data:`ENTRY_POINT_GROUP`, then ``folder/*.py``."""
    refs = []
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        dist = getattr(ep, "dist", None)
        refs.append(
            PluginRef("entry_point", ep.value, ep.name, dist.version if dist is not None else "")
        )
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                refs.append(PluginRef("folder", str(path.resolve()), path.stem))
    return refs


def import_plugin(ref: PluginRef) -> Any:
    """The plugin object of ``ref`` (imported; checked by :func:`check_plugin`)."""
    if ref.source == "entry_point":
        module_name, _, attr = ref.target.partition(":")
        module: Any = importlib.import_module(module_name.strip())
        obj = module
        for part in attr.strip().split(".") if attr.strip() else []:
            obj = getattr(obj, part)
    else:
        obj = _import_file(Path(ref.target))
        obj = getattr(obj, "plugin", obj)
    return obj() if isinstance(obj, type) else obj


def _import_file(path: Path) -> ModuleType:
    name = FOLDER_MODULE_PREFIX + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"{path} is not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def check_plugin(obj: Any) -> tuple[str, str, str, list[str]]:
    """``(name, version, api_version, hooks)`` of a plugin object, else :class:`PluginError`."""
    name, version, api = (getattr(obj, a, None) for a in ("name", "version", "api_version"))
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise PluginError(
            f"plugin name must be a lowercase identifier (a-z, 0-9, _, -), not {name!r}"
        )
    if not isinstance(version, str) or not version:
        raise PluginError(f"plugin {name}: version must be a non-empty string")
    check_api_version(api)
    hooks = [h for h in HOOKS if callable(getattr(obj, h, None))]
    if not hooks:
        raise PluginError(f"plugin {name} defines none of the hooks {', '.join(HOOKS)}")
    return name, version, str(api), hooks


def check_api_version(api: Any) -> None:
    """Accept ``major.minor`` whose major is supported and whose minor is not newer."""
    match = re.fullmatch(r"(\d+)\.(\d+)", api) if isinstance(api, str) else None
    if match is None:
        raise PluginError(f"api_version must be 'major.minor' (e.g. {API_VERSION!r}), not {api!r}")
    major, minor = match.groups()
    current_major, current_minor = API_VERSION.split(".")
    if major not in SUPPORTED_API_VERSIONS:
        raise PluginError(
            f"api_version {api} is not supported: this VisionLens supports major version(s) "
            f"{', '.join(SUPPORTED_API_VERSIONS)} (API {API_VERSION})"
        )
    if major == current_major and int(minor) > int(current_minor):
        raise PluginError(
            f"api_version {api} is newer than this VisionLens's API {API_VERSION}: upgrade "
            "VisionLens or use an older release of the plugin"
        )


def describe_error(exc: BaseException) -> str:
    """One line for the plugins list: the exception type and message, and where it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
