"""PluginSpec: what a plugin declares about itself."""

from __future__ import annotations

from dataclasses import dataclass

from modular_server.hooks.markers import CONTRACT_VERSION


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """Identity and needs of one plugin; exported as ``PLUGIN`` by the plugin module.

    ``prefixes`` are the URL prefixes the plugin serves; while the plugin is not active they
    answer 503 with its reason. ``python_packages`` are import names checked before the
    plugin's hooks run (in addition to the extras named in the entry point).
    ``audited_tables`` are tables of the plugin whose every change the core writes to the
    audit trail while the plugin is active.
    """

    name: str
    version: str = "0.0.0"
    description: str = ""
    requires: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    python_packages: tuple[str, ...] = ()
    install_hint: str | None = None
    audited_tables: tuple[str, ...] = ()
    contract: int = CONTRACT_VERSION

    @classmethod
    def from_manifest(cls, package: str) -> PluginSpec:
        """The spec declared in the ``plugin.toml`` of ``package`` (``PLUGIN =
        PluginSpec.from_manifest(__name__)``): one declaration, read by the kernel without
        importing the plugin (docs/plugins/manifest.md)."""
        from modular_server.hooks.manifest import read_manifest

        manifest = read_manifest(package)
        if manifest is None:
            raise LookupError(f"package {package!r} has no plugin.toml")
        return manifest.spec
