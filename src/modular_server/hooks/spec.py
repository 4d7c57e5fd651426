"""PluginSpec: what a plugin declares about itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from modular_server.hooks.markers import CONTRACT_VERSION


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """Identity and needs of one plugin; exported as ``PLUGIN`` by the plugin module.

    ``prefixes`` are the URL prefixes the plugin serves; while the plugin is not active they
    answer 503 with its reason. ``python_packages`` are import names checked before the
    plugin's hooks run (in addition to the extras named in the entry point).
    """

    name: str
    version: str = "0.0.0"
    description: str = ""
    requires: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    python_packages: tuple[str, ...] = ()
    install_hint: str | None = None
    contract: int = CONTRACT_VERSION
    tags: tuple[str, ...] = field(default=())

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
