"""The states a discovered plugin ends in, and the record the kernel keeps per plugin."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from modular_server.core.sources import PluginSource
from modular_server.hooks.spec import PluginSpec


class PluginState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    MISSING_DEPENDENCY = "missing_dependency"
    IMPORT_ERROR = "import_error"
    INVALID_CONFIG = "invalid_config"
    SETUP_FAILED = "setup_failed"
    SKIPPED = "skipped"
    DEGRADED = "degraded"

    @property
    def serving(self) -> bool:
        """Whether the plugin's routes answer (degraded: routes serve, observers are off)."""
        return self in (PluginState.ACTIVE, PluginState.DEGRADED)


@dataclass(slots=True)
class PluginRecord:
    """Everything the kernel knows about one discovered plugin."""

    source: PluginSource
    state: PluginState = PluginState.ACTIVE
    reason: str = ""
    hint: str = ""
    spec: PluginSpec | None = None
    obj: Any = None
    settings: Any = None
    tables: tuple[str, ...] = ()
    migrations: Path | None = None
    routers: list[Any] = field(default_factory=list)
    hooks: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    #: its ``startup`` hook has run (its observers are called from then on)
    started: bool = False
    observer_failures: int = 0
    #: per hook: failures since its last success (one hook failing on every call is enough to
    #: degrade the plugin, even while its other observers succeed)
    consecutive_failures: dict[str, int] = field(default_factory=dict)
    #: per observer/gate hook: every failure since the start
    failures_by_hook: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def requires(self) -> tuple[str, ...]:
        return self.spec.requires if self.spec else ()

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Declared prefixes; a plugin never imported is assumed to serve /api/v1/<name>."""
        if self.spec and self.spec.prefixes:
            return self.spec.prefixes
        return (f"/api/v1/{self.name}",)

    def fail(self, state: PluginState, reason: str, hint: str = "") -> None:
        self.state = state
        self.reason = reason
        self.hint = hint

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.value,
            "reason": self.reason,
            "hint": self.hint,
            "version": self.spec.version if self.spec else None,
            "description": self.spec.description if self.spec else "",
            "requires": list(self.requires),
            "prefixes": list(self.prefixes),
            "hooks": list(self.hooks),
            "tables": list(self.tables),
            "origin": self.source.origin,
            "timings_ms": {phase: round(sec * 1000, 3) for phase, sec in self.timings.items()},
            "observer_failures": self.observer_failures,
            "failures_by_hook": dict(self.failures_by_hook),
        }
