"""Plugin packages with a plugin.toml, shaped like third-party plugins."""
