"""A plugin module whose import fails."""

raise RuntimeError("boom at import")
