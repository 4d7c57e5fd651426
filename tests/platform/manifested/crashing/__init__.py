"""A plugin that fails to import; its manifest still names its prefixes."""

raise RuntimeError("crashing at import")
