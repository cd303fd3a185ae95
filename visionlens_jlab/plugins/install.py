"""Hand what loaded plugins declared to the parts of the server that use it: computed
fields (the filter whitelist; each plugin's fields are its catalog-extension manifest,
``plugin.<name>``), blind-spot image attributes and agent tools. Server and CLI side only
(it imports the catalog); worker processes need none of it."""

from __future__ import annotations

from ..blindspots.extensions import register_agent_tool, register_image_attribute
from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, install
from .registry import PluginRegistry


def install_plugin_hooks(registry: PluginRegistry) -> None:
    """Register every loaded plugin's fields, blind-spot attributes and agent tools."""
    fields: dict[str, list[ComputedFieldKind]] = {}
    for name, (plugin, spec) in registry.fields.items():
        description = spec.description or f"from plugin {plugin}"
        fields.setdefault(plugin, []).append(ComputedFieldKind(name, spec.kind, description))
    for plugin, kinds in fields.items():
        install(Manifest(f"plugin.{plugin}", computed_fields=tuple(kinds)), replace=True)
    for name, (plugin, _attribute) in registry.blindspot_attributes.items():
        register_image_attribute(name, plugin)
    for name, (plugin, tool) in registry.agent_tools.items():
        register_agent_tool(name, tool.function, tool.description or f"from plugin {plugin}")
