"""The plugin registry: discovery with per-plugin isolation, and what the plugins provide.

:meth:`PluginRegistry.discover` loads every candidate on its own: a plugin that fails to
import, declares an unsupported ``api_version``, or whose declaring hook raises or runs
past the time limit is recorded as ``failed`` with its error, and the others load. Later
failures (a field job whose hook raises or hangs) mark the plugin failed through
:meth:`PluginRegistry.mark_failed`. The server, the CLI and worker processes each build
their own registry; :func:`default_registry` is the one of this process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..config import resolve_data_dir
from .api import (
    API_VERSION,
    CATEGORICAL,
    NUMERIC,
    SUPPORTED_API_VERSIONS,
    AgentTool,
    BlindspotAttribute,
    EmbedderModel,
    FieldSpec,
    IngestFormat,
    SampleFieldProvider,
    SetupContext,
)
from .discovery import (
    PluginError,
    PluginRef,
    check_plugin,
    describe_error,
    find_plugins,
    folder_enabled,
    import_plugin,
)

FOLDER_ENV = "VISIONLENS_PLUGIN_FOLDER"
"""``auto``/``on``/``off``: the server exports its setting so that workers and kernels agree."""
TIMEOUT_ENV = "VISIONLENS_PLUGIN_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
_FIELD_RE_MAX = 64
T = TypeVar("T")


@dataclass
class PluginRecord:
    """One discovered plugin as ``GET plugins`` shows it."""

    ref: PluginRef
    name: str
    version: str = ""
    api_version: str = ""
    hooks: list[str] = field(default_factory=list)
    status: str = "loaded"  # loaded | failed | disabled
    error: str | None = None
    plugin: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "api_version": self.api_version,
            "hooks": list(self.hooks),
            "status": self.status,
            "error": self.error,
            "source": self.ref.source,
            "module": self.ref.module,
        }


def call_with_limit(fn: Callable[[], T], timeout: float, what: str) -> T:
    """``fn()`` on a daemon thread; :class:`PluginError` if it has not returned in ``timeout``
    seconds (the thread is abandoned: Python cannot stop it, but nobody waits for it)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=run, name=f"visionlens-plugin {what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise PluginError(f"{what} did not return within its time limit of {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


class PluginRegistry:
    """The plugins of one process and what their hooks declared."""

    def __init__(
        self,
        *,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        disabled: tuple[str, ...] = (),
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.settings = {k: dict(v) for k, v in (settings or {}).items()}
        self.disabled = set(disabled)
        self.timeout_s = timeout_s
        self.records: dict[str, PluginRecord] = {}
        self.fields: dict[str, tuple[str, FieldSpec]] = {}
        """``{field name: (plugin name, spec)}`` of every loaded plugin: its sample fields
        and its blind-spot attributes (both stored as computed fields)."""
        self.ingest_formats: dict[str, tuple[str, IngestFormat]] = {}
        self.embedders: dict[str, tuple[str, EmbedderModel]] = {}
        self.blindspot_attributes: dict[str, tuple[str, BlindspotAttribute]] = {}
        self.agent_tools: dict[str, tuple[str, AgentTool]] = {}
        self._lock = threading.Lock()

    def setup_context(self, name: str) -> SetupContext:
        return SetupContext(settings=dict(self.settings.get(name, {})), api_version=API_VERSION)

    def discover(self, folder: Path | None) -> None:
        """Load every plugin of the entry points and ``folder`` (None: no folder)."""
        for ref in find_plugins(folder):
            self.load(ref)

    def load(self, ref: PluginRef) -> PluginRecord:
        """Import, check and register one plugin; failures are recorded, never raised."""
        record = PluginRecord(ref, name=ref.label, version=ref.dist_version)
        if ref.label in self.disabled:
            record.status = "disabled"
            return self._keep(record)
        try:
            obj = import_plugin(ref)
            record.name, record.version, record.api_version, record.hooks = check_plugin(obj)
            if record.name in self.disabled:
                record.status = "disabled"
                return self._keep(record)
            if record.name in self.records:
                raise PluginError(
                    f"another plugin is named {record.name!r} ({self.records[record.name].ref.module})"
                )
            record.plugin = obj
            self._register_hooks(record)
        except BaseException as exc:  # an import may raise SystemExit or KeyboardInterrupt too
            if isinstance(exc, KeyboardInterrupt):
                raise
            record.status, record.error, record.plugin = "failed", describe_error(exc), None
        return self._keep(record)

    def _keep(self, record: PluginRecord) -> PluginRecord:
        key = (
            record.name if record.name not in self.records else f"{record.name}@{record.ref.module}"
        )
        self.records[key] = record
        return record

    def call_hook(self, record: PluginRecord, hook: str) -> Any:
        """Call a declaring hook of a loaded plugin with its setup context, under the limit."""
        method = getattr(record.plugin, hook)
        context = self.setup_context(record.name)
        return call_with_limit(
            lambda: method(context=context), self.timeout_s, f"hook {hook} of plugin {record.name}"
        )

    def _register_hooks(self, record: PluginRecord) -> None:
        """Run the declaring hooks; everything is checked before anything is registered."""
        found: dict[str, Any] = {h: self.call_hook(record, h) for h in record.hooks}
        fields: dict[str, FieldSpec] = {}
        if "sample_fields" in found:
            provider = _expect(found["sample_fields"], SampleFieldProvider, "sample_fields")
            for spec in provider.fields:
                fields[spec.name] = check_field(spec, self.fields, record.name)
        formats = {f.name: f for f in _expect_list(found.get("ingest_formats"), IngestFormat)}
        embedders = {m.name: m for m in _expect_list(found.get("embedders"), EmbedderModel)}
        attributes = {
            a.spec.name: a
            for a in _expect_list(found.get("blindspot_attributes"), BlindspotAttribute)
        }
        for attribute in attributes.values():
            if attribute.spec.name in fields:
                raise PluginError(f"field {attribute.spec.name!r} is declared twice")
            fields[attribute.spec.name] = check_field(attribute.spec, self.fields, record.name)
        tools = {t.name: t for t in _expect_list(found.get("agent_tools"), AgentTool)}
        for name in formats:
            if name in self.ingest_formats:
                raise PluginError(f"ingest format {name!r} is already provided by another plugin")
        with self._lock:
            for table, items in (
                (self.fields, fields),
                (self.ingest_formats, formats),
                (self.embedders, embedders),
                (self.blindspot_attributes, attributes),
                (self.agent_tools, tools),
            ):
                for key, item in items.items():
                    table[key] = (record.name, item)  # type: ignore[assignment]

    def mark_failed(self, name: str, error: str) -> None:
        """Record that a loaded plugin failed later (a hook raised or hung in a job)."""
        record = self.records.get(name)
        if record is not None:
            record.status, record.error = "failed", error

    def loaded(self, name: str) -> PluginRecord:
        """The loaded plugin ``name``, else :class:`PluginError` saying what is wrong."""
        record = self.records.get(name)
        if record is None:
            known = ", ".join(sorted(r.name for r in self.records.values())) or "none"
            raise PluginError(f"no plugin named {name!r} (plugins: {known})")
        if record.status != "loaded":
            raise PluginError(
                f"plugin {name} is {record.status}: {record.error or ''}".rstrip(": ")
            )
        return record

    def document(self) -> dict[str, Any]:
        """The JSON of ``GET plugins`` and ``visionlens plugins --json``."""
        return {
            "api_version": API_VERSION,
            "supported_api_versions": list(SUPPORTED_API_VERSIONS),
            "plugins": [r.to_dict() for r in self.records.values()],
        }


def check_field(spec: Any, existing: Mapping[str, tuple[str, FieldSpec]], plugin: str) -> FieldSpec:
    """A declared field, checked: name, kind, and no clash with another plugin's field."""
    spec = _expect(spec, FieldSpec, "a sample field")
    if not (
        spec.name.isidentifier()
        and spec.name == spec.name.lower()
        and len(spec.name) <= _FIELD_RE_MAX
    ):
        raise PluginError(f"field name {spec.name!r} must be a lowercase identifier")
    if spec.kind not in (NUMERIC, CATEGORICAL):
        raise PluginError(f"field {spec.name}: kind must be {NUMERIC!r} or {CATEGORICAL!r}")
    owner = existing.get(spec.name)
    if owner is not None and owner[0] != plugin:
        raise PluginError(f"field {spec.name!r} is already provided by plugin {owner[0]}")
    return spec


def _expect(value: Any, kind: type[T], what: str) -> T:
    if not isinstance(value, kind):
        raise PluginError(f"{what} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _expect_list(value: Any, kind: type[T]) -> list[T]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise PluginError(f"the hook must return a list of {kind.__name__}")
    return [_expect(v, kind, "each item") for v in value]


_DEFAULT: PluginRegistry | None = None
_DEFAULT_LOCK = threading.Lock()


def registry_from_environment() -> PluginRegistry:
    """A registry discovered as the server configured it (:data:`FOLDER_ENV`, data dir)."""
    registry = PluginRegistry(timeout_s=float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S))
    setting = os.environ.get(FOLDER_ENV) or "auto"
    registry.discover(resolve_data_dir() / "plugins" if folder_enabled(setting) else None)
    return registry


def default_registry() -> PluginRegistry:
    """This process's registry (discovered on first use unless the server set one)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = registry_from_environment()
        return _DEFAULT


def set_default_registry(registry: PluginRegistry | None) -> None:
    """Make ``registry`` this process's (the server's own), or forget it (None)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        _DEFAULT = registry
